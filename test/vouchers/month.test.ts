// A month of the field scenario, the way a township office closes it: a hand voucher drafted and
// reviewed in a fund that requires review, source documents attached (the bank's fee slip behind the
// voucher; the hospital bill behind the medical subsidy, counted on its payment's vouchers), June printed
// for binding with its cover,
// and the fund's journal exported and re-added by hledger to the service's own trial balance.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Money } from '../../src/ledger/money.js';
import { expectLedgerIntact, startApp, type TestApp } from '../helpers/app.js';
import { backends } from '../helpers/database.js';
import { download, fieldScenario, hledgerBalances, pdfPages } from '../statements/setup.js';

const PDF = Buffer.from('%PDF-1.4\n%%EOF\n');
const squeeze = (text: string) => text.replace(/\s+/g, '');
const hledgerMissing = (() => {
  try {
    execFileSync('hledger', ['--version'], { stdio: 'ignore' });
    return false;
  } catch {
    return process.env.LEDGER_EXTERNAL_TOOLS !== 'required';
  }
})();

describe.each(backends)('a month of the field scenario on $name', (backend) => {
  let t: TestApp;
  let dir: string;
  let scenario: Awaited<ReturnType<typeof fieldScenario>>;
  let officer: string;
  let approver: string;

  const attach = async (path: string, name: string) => {
    const r = await t.app.inject({
      method: 'POST',
      url: `${path}?name=${encodeURIComponent(name)}`,
      headers: { authorization: `Bearer ${officer}`, 'content-type': 'application/pdf' },
      payload: PDF,
    });
    expect(r.statusCode, r.body).toBe(201);
  };

  beforeAll(async () => {
    t = await startApp(backend);
    dir = mkdtempSync(join(tmpdir(), 'month-'));
    [officer, approver] = await Promise.all([t.keyFor('officer'), t.keyFor('approver')]);
    scenario = await fieldScenario(t, { maker: officer, checker: approver });
  }, 120_000);
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await expectLedgerIntact(t);
    await t.close();
  });

  it('is drafted, reviewed, attached and bound with its cover', async () => {
    const { fundId } = scenario;
    expect((await t.call('PATCH', `/v1/funds/${fundId}`, { body: { manualVouchersNeedReview: true } })).status).toBe(200);
    const bank = scenario.byRole.bank!;
    const fee = (await t.call('POST', `/v1/funds/${fundId}/accounts`, { body: { code: '5901', name: '银行手续费', type: 'expense' } })).body.id;
    const body = { date: '2026-06-30', description: '六月银行手续费', attachments: 1, lines: [{ accountId: fee, direction: 'debit', amount: '35.50' }, { accountId: bank, direction: 'credit', amount: '35.50' }] };

    // Posted directly: refused; drafted: not in the books until another key approves it.
    const { attachments: _, ...direct } = body;
    expect((await t.call('POST', '/v1/transactions', { body: direct, token: officer })).body.code).toBe('review_required');
    const drafted = await t.call('POST', '/v1/vouchers', { body, token: officer });
    await attach(`/v1/vouchers/${drafted.body.id}/attachments`, '手续费回单.pdf');
    const approved = await t.call('POST', `/v1/vouchers/${drafted.body.id}/approve`, { token: approver });
    expect(approved.body.status).toBe('posted');

    // The hospital bill behind 张三明's medical subsidy: on its approval's voucher and its payment's.
    const [medical] = (await t.call('GET', `/v1/disbursements?fundId=${fundId}&category=medical_subsidy`)).body.items;
    await attach(`/v1/disbursements/${medical.id}/attachments`, '住院费用结算单.pdf');

    const june = (await t.call('GET', `/v1/transactions?fundId=${fundId}&from=2026-06-01&to=2026-06-30&limit=500`)).body.items;
    const labels = june.map((x: { voucherNumbers: { label: string }[] }) => x.voucherNumbers[0]!.label).sort();
    expect(labels).toEqual(labels.map((_: string, i: number) => `记-2026-06-${String(i + 1).padStart(4, '0')}`));
    const prints = await Promise.all(june.map(async (x: { id: string }) => (await t.call('GET', `/v1/transactions/${x.id}/voucher`)).body));
    expect(prints.filter((p) => p.attachments > 0).map((p) => [p.description, p.attachments, p.preparedByName, p.reviewedByName])).toEqual([
      ['六月银行手续费', 1, 'officer for tests', 'approver for tests'],
    ]);
    // The payment's vouchers (approval and payment are posted on the day they happen) count the bill too.
    for (const id of [medical.approvalTransactionId, medical.paymentTransactionId]) {
      expect((await t.call('GET', `/v1/transactions/${id}/voucher`)).body).toMatchObject({ attachments: 1, preparedByName: 'officer for tests', reviewedByName: 'approver for tests' });
    }

    const binding = await download(t, `/v1/funds/${fundId}/vouchers?period=2026-06&format=pdf`, approver);
    expect(binding.status).toBe(200);
    const [cover, ...forms] = pdfPages(binding.body).map(squeeze);
    const debit = prints.reduce((sum, p) => sum.plus(p.parts[0].debitTotal), new Money(0));
    expect(cover).toContain(`凭证起止号记-2026-06-0001至${labels.at(-1)}`);
    expect(cover).toContain(`凭证张数${june.length}张`);
    expect(cover).toContain('附件张数1张');
    expect(cover).toContain(`借方金额合计${debit.toFixed(2).replace(/\B(?=(\d{3})+(?!\d))/g, ',')}`);
    const printed = forms.join('');
    for (const label of labels) expect(printed).toContain(`凭证号：${label}`);
    expect(forms.length).toBe(Math.ceil(prints.reduce((n, p) => n + Math.ceil(p.parts[0].lines.length / 10), 0) / 2));
  });

  it.skipIf(hledgerMissing)('is re-added by hledger from its export to the service’s trial balance', async () => {
    const journal = await t.app.inject({ method: 'GET', url: `/v1/funds/${scenario.fundId}/export?format=ledger`, headers: { authorization: `Bearer ${approver}` } });
    const file = join(dir, 'month.journal');
    writeFileSync(file, journal.body);
    const theirs = hledgerBalances(file);
    const trial = (await t.call('GET', `/v1/funds/${scenario.fundId}/trial-balance`)).body;
    for (const a of trial.accounts) expect(new Money(theirs.get(a.code) ?? '0').toFixed(2), a.code).toBe(new Money(a.debitTotal).minus(a.creditTotal).toFixed(2));
    expect(theirs.get('5901')).toBe('35.50');
  });
});
