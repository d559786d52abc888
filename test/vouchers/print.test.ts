import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectLedgerIntact, startApp, type TestApp } from '../helpers/app.js';
import { backends } from '../helpers/database.js';
import { uniqueCode } from '../helpers/fixtures.js';
import { download, pdfPages, pdfText } from '../statements/setup.js';

const pageCount = (pdf: Buffer) => Number(/Pages:\s+(\d+)/.exec(execFileSync('pdfinfo', ['-'], { input: pdf, encoding: 'utf8' }))![1]);
/** pdftotext -layout spaces characters out; compare without any whitespace. */
const squeeze = (text: string) => text.replace(/\s+/g, '');

describe.each(backends)('printed vouchers on $name', (backend) => {
  let t: TestApp;
  let fundId: string;
  const account: Record<string, string> = {};
  let officer: string;
  let approver: string;

  const line = (code: string, direction: 'debit' | 'credit', amount: string, memo?: string) => ({ accountId: account[code]!, direction, amount, memo });
  const post = async (date: string, description: string, lines: object[]) => {
    const r = await t.call('POST', '/v1/transactions', { body: { date, description, lines } });
    if (r.status !== 201) throw new Error(JSON.stringify(r.body));
    return r.body;
  };

  beforeAll(async () => {
    t = await startApp(backend);
    [officer, approver] = await Promise.all([t.keyFor('officer'), t.keyFor('approver')]);
    const fund = await t.call('POST', '/v1/funds', {
      body: { code: uniqueCode('PV'), name: '某乡防止返贫专项基金', organisation: '某县某乡人民政府', purpose: '防止返贫' },
    });
    fundId = fund.body.id;
    for (const [code, name, type] of [
      ['1002', '银行存款', 'asset'],
      ['4001', '财政拨款收入', 'income'],
      ['5001', '医疗救助支出', 'expense'],
      ['5002', '临时救助支出', 'expense'],
    ] as const) {
      account[code] = (await t.call('POST', `/v1/funds/${fundId}/accounts`, { body: { code, name, type } })).body.id;
    }
  });
  afterAll(async () => {
    await expectLedgerIntact(t);
    await t.close();
  });

  it('prints a reviewed voucher with its number, the total in capitals, 附件, 记账 / 审核 / 制单 and its digest', async () => {
    await post('2026-01-05', '县财政拨款', [line('1002', 'debit', '188000.00'), line('4001', 'credit', '188000.00')]);
    const drafted = await t.call('POST', '/v1/vouchers', {
      body: { date: '2026-01-20', description: '医疗救助', attachments: 2, lines: [line('5001', 'debit', '100500.00', '王𪚥 住院医疗救助'), line('1002', 'credit', '100500.00')] },
      token: officer,
    });
    const approved = await t.call('POST', `/v1/vouchers/${drafted.body.id}/approve`, { token: approver });
    expect(approved.status).toBe(200);

    const json = await t.call('GET', `/v1/transactions/${approved.body.transactionId}/voucher`);
    expect(json.body).toMatchObject({
      kind: 'voucher',
      attachments: 2,
      preparedByName: 'officer for tests',
      reviewedByName: 'approver for tests',
      postedByName: 'approver for tests',
      reversal: null,
      parts: [{ label: '记-2026-01-0002', debitTotal: '100500.00', creditTotal: '100500.00', totalInCapitals: '壹拾万零伍佰元整' }],
    });

    const pdf = await download(t, `/v1/transactions/${approved.body.transactionId}/voucher?format=pdf`);
    expect(pdf.status).toBe(200);
    expect(pdf.type).toBe('application/pdf');
    const text = squeeze(pdfText(pdf.body));
    for (const expected of ['记账凭证', '凭证号：记-2026-01-0002', '2026年01月20日', '王𪚥住院医疗救助', '5001医疗救助支出', '1002银行存款',
      '100,500.00', '合计人民币（大写）壹拾万零伍佰元整', '附件2张', '记账：approverfortests', '审核：approverfortests', '制单：officerfortests']) {
      expect(text).toContain(expected);
    }
    expect(text).toContain(`SHA-256${json.body.digest}`);
    const header = await download(t, `/v1/transactions/${approved.body.transactionId}/voucher?format=pdf`);
    expect(header.body.length).toBeGreaterThan(1000);

    const verified = await t.call('POST', '/v1/statements/verify', { body: { kind: 'voucher', params: { transactionId: approved.body.transactionId }, digest: json.body.digest } });
    expect(verified.body).toMatchObject({ valid: true });
  });

  it('prints a reversal as 红字冲销: the reversed lines negative on their own sides, with the voucher it reverses', async () => {
    const wrong = await post('2026-01-21', '临时救助', [line('5002', 'debit', '300.00'), line('1002', 'credit', '300.00')]);
    const reversal = await t.call('POST', `/v1/transactions/${wrong.id}/reversal`, { body: { reason: '重复支付', date: '2026-01-22' } });
    const json = await t.call('GET', `/v1/transactions/${reversal.body.id}/voucher`);
    expect(json.body.reversal).toEqual({ transactionId: wrong.id, labels: [wrong.voucherNumbers[0].label], reason: '重复支付' });
    expect(json.body.parts[0].lines.map((l: { debit: string; credit: string }) => [l.debit, l.credit])).toEqual([
      ['-300.00', ''],
      ['', '-300.00'],
    ]);
    expect(json.body.parts[0].totalInCapitals).toBe('负叁佰元整');
    const text = squeeze(pdfText((await download(t, `/v1/transactions/${reversal.body.id}/voucher?format=pdf`)).body));
    expect(text).toContain('记账凭证（红字冲销）');
    expect(text).toContain(`冲销${wrong.voucherNumbers[0].label}号凭证，原因：重复支付`);
    expect(text).toContain('-300.00');
  });

  it('continues a long voucher on the next forms, carrying its totals (过次页 / 承前页)', async () => {
    const lines = Array.from({ length: 24 }, (_, i) => line('5001', 'debit', '10.00', `第${i + 1}户`));
    const long = await post('2026-01-23', '批量医疗救助', [...lines, line('1002', 'credit', '240.00')]);
    const json = await t.call('GET', `/v1/transactions/${long.id}/voucher`);
    expect(json.body.parts[0].totalInCapitals).toBe('贰佰肆拾元整');
    const pdf = (await download(t, `/v1/transactions/${long.id}/voucher?format=pdf`)).body;
    // Three forms of ten lines: two on the first page, the third on the second.
    expect(pageCount(pdf)).toBe(2);
    const text = squeeze(pdfText(pdf));
    const label = long.voucherNumbers[0].label;
    for (const piece of ['（1/3）', '（2/3）', '（3/3）']) expect(text).toContain(`${label}${piece}`);
    expect(text).toContain('过次页100.00');
    expect(text).toContain('过次页190.00');
    expect(text).toContain('承前页100.00');
    expect(text).toContain("承前页190.00");
    expect(text).toContain('合计人民币（大写）贰佰肆拾元整');
  });

  it('binds a month: the cover with its first and last number, count, totals and attachments, then every voucher two to a page', async () => {
    const fund = await t.call('POST', '/v1/funds', { body: { code: uniqueCode('BD'), name: '某村集体经济收益分配基金', organisation: '某村', purpose: '分红' } });
    const ids: Record<string, string> = {};
    for (const [code, name, type] of [['1002', '银行存款', 'asset'], ['4001', '分红收入', 'income'], ['5001', '救助支出', 'expense']] as const) {
      ids[code] = (await t.call('POST', `/v1/funds/${fund.body.id}/accounts`, { body: { code, name, type } })).body.id;
    }
    const transfer = (debit: string, credit: string, amount: string, description: string) => ({
      date: '2026-02-10',
      description,
      lines: [
        { accountId: ids[debit], direction: 'debit', amount },
        { accountId: ids[credit], direction: 'credit', amount },
      ],
    });
    expect((await t.call('POST', '/v1/transactions', { body: transfer('1002', '4001', '132000.00', '肉牛养殖分红') })).status).toBe(201);
    for (let i = 1; i <= 4; i++) await t.call('POST', '/v1/transactions', { body: transfer('5001', '1002', `${i}00.00`, `临时救助 赵𠮷 ${i}`) });
    const drafted = await t.call('POST', '/v1/vouchers', { body: { ...transfer('5001', '1002', '0.05', '手续费'), attachments: 3 }, token: officer });
    await t.call('POST', `/v1/vouchers/${drafted.body.id}/approve`, { token: approver });

    const binding = await download(t, `/v1/funds/${fund.body.id}/vouchers?period=2026-02&format=pdf`);
    expect(binding.status).toBe(200);
    expect(binding.type).toBe('application/pdf');
    // The cover, then six vouchers two to a page.
    expect(pageCount(binding.body)).toBe(4);
    const [cover, ...rest] = pdfPages(binding.body).map(squeeze);
    expect(cover).toContain('会计凭证封面');
    expect(cover).toContain('凭证起止号记-2026-02-0001至记-2026-02-0006');
    expect(cover).toContain('凭证张数6张');
    expect(cover).toContain('借方金额合计133,000.05（壹拾叁万叁仟元零伍分）');
    expect(cover).toContain('贷方金额合计133,000.05');
    expect(cover).toContain('附件张数3张');
    const body = rest.join('');
    for (let n = 1; n <= 6; n++) expect(body).toContain(`凭证号：记-2026-02-000${n}`);
    expect(body).toContain('临时救助赵𠮷3');

    const empty = await download(t, `/v1/funds/${fund.body.id}/vouchers?period=2026-03&format=pdf`);
    expect(pageCount(empty.body)).toBe(1);
    expect(squeeze(pdfText(empty.body))).toContain('凭证张数0张');
    const refused = await t.call('GET', `/v1/funds/${fund.body.id}/vouchers?period=2026-13`);
    expect(refused.status).toBe(400);
  });
});
