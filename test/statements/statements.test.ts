import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maskName } from '../../src/households/names.js';
import { expectLedgerIntact, startApp, type TestApp } from '../helpers/app.js';
import { backends } from '../helpers/database.js';
import { createFund, createHousehold, createPreventionFund, createVillage, transfer } from '../helpers/fixtures.js';
import { csvLine, download, fieldScenario, pdfPages, pdfText, plain } from './setup.js';

const ID_NUMBER = /\d{17}[\dX]/;

/** What an auditor computes from a JSON statement: SHA-256 of it, keys sorted, without who and when. */
function recomputedDigest(statement: Record<string, unknown>): string {
  const { digest: _digest, generatedAt: _at, generatedBy: _by, ...data } = statement;
  const sorted = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(sorted) : v && typeof v === 'object' ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sorted((v as any)[k])])) : v;
  return createHash('sha256').update(JSON.stringify(sorted(data))).digest('hex');
}
const MASKED_ID_NUMBER = /\d{4}\*{10}\d{3}[\dX]/;

describe.each(backends)('statements on $name', (backend) => {
  let t: TestApp;
  let maker: string;
  let checker: string;
  let s: Awaited<ReturnType<typeof fieldScenario>>;
  let today: string;
  let period: string;

  beforeAll(async () => {
    t = await startApp(backend);
    maker = await t.keyFor('officer');
    checker = await t.keyFor('approver');
    s = await fieldScenario(t, { maker, checker });
    today = t.app.ctx.today();
    period = `from=2026-01-01&to=${today}`;
  });
  afterAll(async () => {
    await expectLedgerIntact(t);
    await t.close();
  });

  const json = async (url: string) => {
    const r = await t.call('GET', url);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body;
  };
  const withFormat = (url: string, format: string) => `${url}${url.includes('?') ? '&' : '?'}format=${format}`;
  const verify = async (kind: string, params: Record<string, string>, digest: string) => {
    const r = await t.call('POST', '/v1/statements/verify', { body: { kind, params, digest } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body as { valid: boolean; digest: string };
  };

  it('states the fund’s cash by source and use, and opening + in − out = closing', async () => {
    const statement = await json(`/v1/funds/${s.fundId}/statement?${period}`);
    expect(statement).toMatchObject({
      kind: 'fund',
      fund: { id: s.fundId, name: '扶貧基金（臺灣村試點）' },
      period: { from: '2026-01-01', to: today },
      // The donation of 2025-12-20 is before the period.
      openingBalance: '10000.00',
      income: { dividends: '132000.00', donations: '500000.00', fiscalTransfers: '100000.00', insuranceRefunds: '5000.00', other: '0.00', total: '737000.00' },
      outgoings: {
        byCategory: [
          { category: 'medical_subsidy', name: '医疗补贴', amount: '3000.00' },
          { category: 'living_allowance', name: '生活补助', amount: '800.00' },
        ],
        insurancePremiums: '50000.00',
        other: '0.00',
        total: '53800.00',
      },
      byVillage: [
        { villageId: s.villages.taiwan, villageName: '臺灣村', amount: '3000.00' },
        { villageId: s.villages.qingshan, villageName: '青山村', amount: '800.00' },
      ],
      // The temporary relief approved and not yet paid.
      reserved: '1200.00',
      available: '692000.00',
      closingBalance: '693200.00',
      reconciles: true,
      generatedBy: { id: 'env-admin' },
    });
    expect(statement.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(recomputedDigest(statement)).toBe(statement.digest);
    // The closing balance is the bank's: what the two bank accounts hold now (the period ends today).
    const balance = async (id: string) => (await t.call('GET', `/v1/accounts/${id}`)).body.balance;
    expect(await balance(s.byRole.bank!)).toBe('692000.00');
    expect(await balance(s.byRole.bank_reserved!)).toBe('1200.00');

    // Before the period the opening balance is the earlier donation, and nothing moved.
    const before = await json(`/v1/funds/${s.fundId}/statement?from=2025-01-01&to=2025-12-31`);
    expect(before).toMatchObject({ openingBalance: '0.00', income: { donations: '10000.00', total: '10000.00' }, closingBalance: '10000.00', reconciles: true });
  });

  it('nets payments the bank returned and counts cash moved against other accounts as other, so it still reconciles', async () => {
    const { fundId, byRole } = await createPreventionFund(t);
    const village = await createVillage(t, '石桥村');
    const household = await createHousehold(t, village);
    expect((await t.call('POST', `/v1/funds/${fundId}/income`, { body: { source: 'donation', payer: '某银行', date: '2026-01-05', amount: '1000.00' } })).status).toBe(201);
    // A suspense account outside the standard chart: money in, part of it out again.
    const suspense = await t.call('POST', `/v1/funds/${fundId}/accounts`, { body: { code: '2901', name: '暂收款', type: 'liability' } });
    expect((await t.call('POST', '/v1/transactions', { body: transfer('2026-02-01', byRole.bank!, suspense.body.id, '50.00') })).status).toBe(201);
    expect((await t.call('POST', '/v1/transactions', { body: transfer('2026-02-02', suspense.body.id, byRole.bank!, '20.00') })).status).toBe(201);
    const pay = async (amount: string) => {
      const d = await t.call('POST', '/v1/disbursements', {
        body: { fundId, householdId: household, category: 'medical_subsidy', amount, date: '2026-06-15' },
        token: maker,
      });
      expect((await t.call('POST', `/v1/disbursements/${d.body.id}/approve`, { token: checker })).status).toBe(200);
      expect((await t.call('POST', `/v1/disbursements/${d.body.id}/pay`, { body: { bankReference: 'YKT-1' }, token: checker })).status).toBe(200);
      return d.body.id as string;
    };
    const returned = await pay('500.00');
    expect((await t.call('POST', `/v1/disbursements/${returned}/fail`, { body: { reason: '账户冻结' }, token: checker })).status).toBe(200);
    await pay('300.00');

    const statement = await json(`/v1/funds/${fundId}/statement?${period}`);
    expect(statement).toMatchObject({
      openingBalance: '0.00',
      income: { donations: '1000.00', other: '50.00', total: '1050.00' },
      outgoings: { byCategory: [{ category: 'medical_subsidy', amount: '300.00' }], insurancePremiums: '0.00', other: '20.00', total: '320.00' },
      byVillage: [{ villageId: village, villageName: '石桥村', amount: '300.00' }],
      reserved: '0.00',
      closingBalance: '730.00',
      reconciles: true,
    });
  });

  it('prints the fund statement with its fund, villages, totals and reconciliation, and the CSV has the same figures', async () => {
    const url = `/v1/funds/${s.fundId}/statement?${period}`;
    const statement = await json(url);
    const pdf = await download(t, withFormat(url, 'pdf'));
    expect(pdf.status).toBe(200);
    expect(pdf.type).toBe('application/pdf');
    expect(pdf.body.subarray(0, 5).toString()).toBe('%PDF-');
    const text = plain(pdfText(pdf.body));
    for (const expected of ['扶貧基金（臺灣村試點）', '臺灣村', '青山村', '基金收支报表', '737000.00', '53800.00', '693200.00', '10000.00', '1200.00', '相符 reconciles']) {
      expect(text).toContain(expected);
    }
    expect(text).toContain('10000.00 + 737000.00 − 53800.00 = 693200.00');
    expect(text).toMatch(/第 1 页 共 1 页 · page 1 of 1/);
    expect(text).toContain(statement.digest);

    const csv = await download(t, withFormat(url, 'csv'));
    expect(csv.status).toBe(200);
    expect(csv.type).toBe('text/csv; charset=utf-8');
    expect(csvLine(csv.text, 'digest')?.[1]).toBe(statement.digest);
    expect(csvLine(csv.text, '收入合计 Total income')?.[1]).toBe('737000.00');
    expect(csvLine(csv.text, '支出合计 Total out')?.[1]).toBe('53800.00');
    expect(csvLine(csv.text, '期末余额 Closing balance')?.[1]).toBe('693200.00');
    expect(csvLine(csv.text, '臺灣村')?.[2]).toBe('3000.00');
  });

  it('gives every statement the same figures and digest in JSON, CSV and PDF, with page X of Y on each page', async () => {
    const cases: { kind: string; url: string; params: Record<string, string>; figures: (j: any) => string[]; names: string[] }[] = [
      {
        kind: 'ledger',
        url: `/v1/accounts/${s.byRole.bank}/ledger?${period}`,
        params: { accountId: s.byRole.bank!, from: '2026-01-01', to: today },
        figures: (j) => [j.openingBalance, j.totals.debit, j.totals.credit, j.closingBalance],
        names: ['扶貧基金（臺灣村試點）', '明细账'],
      },
      {
        kind: 'trial-balance',
        url: `/v1/funds/${s.fundId}/trial-balance?asOf=${today}`,
        params: { fundId: s.fundId, asOf: today },
        figures: (j) => [j.totals.debitTotal, j.totals.creditTotal, j.totals.debitBalances, j.totals.creditBalances],
        names: ['扶貧基金（臺灣村試點）', '村级收益分配—臺灣村', '试算平衡表'],
      },
      {
        kind: 'household',
        url: `/v1/households/${s.households.li}/statement?${period}`,
        params: { householdId: s.households.li, from: '2026-01-01', to: today },
        figures: (j) => [j.total],
        names: ['扶貧基金（臺灣村試點）', '青山村', '防贫保险赔付'],
      },
      {
        kind: 'village',
        url: `/v1/villages/${s.villages.taiwan}/statement?${period}`,
        params: { villageId: s.villages.taiwan, from: '2026-01-01', to: today },
        figures: (j) => [j.totals.allocated, j.totals.spent, j.totals.remaining],
        names: ['扶貧基金（臺灣村試點）', '臺灣村', '某县肉牛养殖有限公司'],
      },
      {
        kind: 'notice',
        url: `/v1/villages/${s.villages.qingshan}/notice?${period}`,
        params: { villageId: s.villages.qingshan, from: '2026-01-01', to: today },
        figures: (j) => [j.total],
        names: ['扶貧基金（臺灣村試點）', '青山村', '欧**月'],
      },
      {
        kind: 'insurance',
        url: `/v1/insurance-policies/${s.policyId}/statement`,
        params: { policyId: s.policyId },
        figures: (j) => [j.premiumPaid, j.paidOut, j.refunded, j.surplus],
        names: ['扶貧基金（臺灣村試點）', '某保险公司某县支公司'],
      },
    ];
    for (const c of cases) {
      const statement = await json(c.url);
      expect(statement.kind).toBe(c.kind);
      // The JSON holds everything the digest covers: it can be checked without the service.
      expect(recomputedDigest(statement), c.kind).toBe(statement.digest);
      const figures = c.figures(statement);
      const csv = await download(t, withFormat(c.url, 'csv'));
      expect(csv.status, c.kind).toBe(200);
      expect(csvLine(csv.text, 'digest')?.[1], c.kind).toBe(statement.digest);
      const pdf = await download(t, withFormat(c.url, 'pdf'));
      expect(pdf.status, c.kind).toBe(200);
      expect(pdf.type).toBe('application/pdf');
      expect(pdf.body.subarray(0, 5).toString()).toBe('%PDF-');
      const pages = pdfPages(pdf.body).map(plain);
      pages.forEach((page, i) => {
        expect(page, `${c.kind} page ${i + 1}`).toContain(`第 ${i + 1} 页 共 ${pages.length} 页 · page ${i + 1} of ${pages.length}`);
        expect(page, `${c.kind} page ${i + 1}`).toContain(statement.digest);
      });
      const text = pages.join('\n');
      for (const figure of figures) {
        expect(text, `${c.kind} PDF has ${figure}`).toContain(figure);
        expect(csv.text, `${c.kind} CSV has ${figure}`).toContain(figure);
      }
      for (const name of c.names) expect(text, `${c.kind} PDF names ${name}`).toContain(name);
      // The printed digest is the ledger's for these parameters.
      expect(await verify(c.kind, c.params, statement.digest)).toEqual({ kind: c.kind, valid: true, digest: statement.digest });
    }
  });

  it('shows each village its allocation and the rule version of each dividend split', async () => {
    const village = await json(`/v1/villages/${s.villages.qingshan}/statement?${period}`);
    expect(village.funds).toEqual([
      expect.objectContaining({ fundId: s.fundId, opening: '0.00', allocated: '39600.00', spent: '0.00', remaining: '39600.00' }),
    ]);
    expect(village.dividends).toEqual([
      expect.objectContaining({
        date: '2026-03-01',
        dividendAmount: '132000.00',
        ruleVersion: 1,
        projectVillageShare: '0.40000000',
        radiatingShare: '0.60000000',
        role: 'radiating',
        weight: '1.0000',
        amount: '39600.00',
      }),
    ]);
    const project = await json(`/v1/villages/${s.villages.taiwan}/statement?${period}`);
    expect(project.totals).toEqual({ opening: '0.00', allocated: '52800.00', spent: '3000.00', remaining: '49800.00' });
    expect(project.dividends[0]).toMatchObject({ role: 'project', weight: null, amount: '52800.00' });
    // The same figures as the allocations read.
    const allocations = await json(`/v1/villages/${s.villages.taiwan}/allocations`);
    expect(allocations.funds[0]).toMatchObject({ allocated: '52800.00', spent: '3000.00', remaining: '49800.00' });
    const text = pdfText((await download(t, `/v1/villages/${s.villages.taiwan}/statement?${period}&format=pdf`)).body);
    expect(text).toMatch(/第1版 v1/);
    expect(text).toContain('40%');
    expect(text).toContain('60%');
  });

  it('lists what a household received by fund and category', async () => {
    const zhang = await json(`/v1/households/${s.households.zhang}/statement?${period}`);
    expect(zhang).toMatchObject({
      household: { id: s.households.zhang, headName: '张三明', village: { name: '臺灣村' } },
      funds: [{ id: s.fundId, categories: [{ category: 'medical_subsidy', count: 1, amount: '3000.00' }], total: '3000.00' }],
      total: '3000.00',
    });
    expect(zhang.household.idNumberMasked).toMatch(MASKED_ID_NUMBER);
    // Approved and not paid is not received.
    const li = await json(`/v1/households/${s.households.li}/statement?${period}`);
    expect(li.items.map((i: any) => [i.category, i.amount])).toEqual([['insurance', '9000.00']]);
  });

  it('masks names on the village notice and prints no ID number, in JSON, CSV and PDF', async () => {
    expect(maskName('张三明')).toBe('张*明');
    expect(maskName('李四')).toBe('李*');
    expect(maskName('欧阳明月')).toBe('欧**月');
    expect(maskName('王')).toBe('王');
    expect(maskName('阿卜杜·热合曼')).toBe('阿*****曼');

    const url = `/v1/villages/${s.villages.qingshan}/notice?${period}`;
    const notice = await json(url);
    expect(notice.rows.map((r: any) => [r.name, r.categoryName, r.amount])).toEqual([
      ['李*', '防贫保险赔付', '9000.00'],
      ['欧**月', '生活补助', '800.00'],
    ]);
    expect(notice).toMatchObject({ householdCount: 2, total: '9800.00' });
    const csv = (await download(t, withFormat(url, 'csv'))).text;
    const pdf = pdfText((await download(t, withFormat(url, 'pdf'))).body);
    for (const published of [JSON.stringify(notice), csv, pdf]) {
      expect(published).not.toMatch(ID_NUMBER);
      expect(published).not.toMatch(MASKED_ID_NUMBER);
      expect(published).not.toContain('欧阳明月');
      expect(published).not.toContain('李四');
      expect(published).toContain('欧**月');
    }
    // Nor a health detail: the claim's cause is not on it.
    expect(JSON.stringify(notice)).not.toContain('illness');
  });

  it('answers whether a printed statement is genuine: an edited digest or a later posting into the period is not', async () => {
    const f = await createFund(t);
    const post = async (date: string, amount: string) => {
      const r = await t.call('POST', '/v1/transactions', { body: transfer(date, f.accounts.bank!, f.accounts.income!, amount) });
      expect(r.status).toBe(201);
    };
    await post('2026-03-01', '100.00');
    const params = { accountId: f.accounts.bank!, from: '2026-01-01', to: '2026-06-30' };
    const printed = await json(`/v1/accounts/${f.accounts.bank}/ledger?from=2026-01-01&to=2026-06-30`);
    expect(await verify('ledger', params, printed.digest)).toEqual({ kind: 'ledger', valid: true, digest: printed.digest });
    // Upper-case hex is the same digest.
    expect((await verify('ledger', params, printed.digest.toUpperCase())).valid).toBe(true);

    const edited = `${printed.digest.slice(0, 63)}${printed.digest.endsWith('0') ? '1' : '0'}`;
    expect(await verify('ledger', params, edited)).toEqual({ kind: 'ledger', valid: false, digest: printed.digest });

    // After the period: the statement of the period stands.
    await post('2026-07-01', '5.00');
    expect((await verify('ledger', params, printed.digest)).valid).toBe(true);
    // Back-dated into the period: the printout is outdated.
    await post('2026-05-01', '7.00');
    const outdated = await verify('ledger', params, printed.digest);
    expect(outdated.valid).toBe(false);
    expect(outdated.digest).toBe((await json(`/v1/accounts/${f.accounts.bank}/ledger?from=2026-01-01&to=2026-06-30`)).digest);

    // The same for the fund statement: a donation back-dated into the period.
    const fundParams = { fundId: s.fundId, from: '2026-01-01', to: today };
    const fund = await json(`/v1/funds/${s.fundId}/statement?${period}`);
    expect((await verify('fund', fundParams, fund.digest)).valid).toBe(true);
    const income = await t.call('POST', `/v1/funds/${s.fundId}/income`, { body: { source: 'donation', payer: '某企业', date: '2026-04-01', amount: '1.00' } });
    expect(income.status).toBe(201);
    expect((await verify('fund', fundParams, fund.digest)).valid).toBe(false);
    const after = await json(`/v1/funds/${s.fundId}/statement?${period}`);
    expect(after).toMatchObject({ income: { donations: '500001.00' }, closingBalance: '693201.00', reconciles: true });
  });

  it('keeps the trial balance as it was, with the fund, its digest and the other formats', async () => {
    const tb = await json(`/v1/funds/${s.fundId}/trial-balance?asOf=${today}`);
    expect(tb).toMatchObject({ kind: 'trial-balance', fundId: s.fundId, asOf: today, balanced: true, fund: { id: s.fundId } });
    expect(tb.totals.debitTotal).toBe(tb.totals.creditTotal);
    const csv = await download(t, `/v1/funds/${s.fundId}/trial-balance?asOf=${today}&format=csv`);
    expect(csv.text).toContain(`,合计 Total,,${tb.totals.debitTotal},${tb.totals.creditTotal},${tb.totals.debitBalances},${tb.totals.creditBalances}`);
  });

  it('lets an auditor key print statements, naming it; a reader key (other systems) reads balances, not statements', async () => {
    const pdf = await download(t, `/v1/funds/${s.fundId}/statement?${period}&format=pdf`, await t.keyFor('auditor'));
    expect(pdf.status).toBe(200);
    expect(pdfText(pdf.body)).toContain('auditor for tests');
    expect((await download(t, `/v1/funds/${s.fundId}/statement?${period}&format=pdf`, await t.keyFor('reader'))).status).toBe(403);
  });

  it('refuses unknown ids, bad formats and bad periods with problem+json, whatever the format', async () => {
    const missing = '00000000-0000-4000-8000-000000000000';
    for (const url of [
      `/v1/funds/${missing}/statement?format=pdf`,
      `/v1/accounts/${missing}/ledger?format=pdf`,
      `/v1/funds/${missing}/trial-balance?format=csv`,
      `/v1/households/${missing}/statement?format=pdf`,
      `/v1/villages/${missing}/statement?format=pdf`,
      `/v1/villages/${missing}/notice?format=csv`,
      `/v1/insurance-policies/${missing}/statement?format=pdf`,
    ]) {
      const r = await download(t, url);
      expect(r.status, url).toBe(404);
      expect(r.type, url).toContain('application/problem+json');
      expect(JSON.parse(r.text).code).toBe('not_found');
    }
    const badFormat = await download(t, `/v1/funds/${s.fundId}/statement?format=docx`);
    expect(badFormat.status).toBe(400);
    expect(badFormat.type).toContain('application/problem+json');
    expect(JSON.parse(badFormat.text)).toMatchObject({ code: 'validation_failed', errors: [expect.objectContaining({ in: 'querystring' })] });

    const backwards = await t.call('GET', `/v1/funds/${s.fundId}/statement?from=2026-06-01&to=2026-05-01&format=pdf`);
    expect(backwards.status).toBe(400);
    expect(backwards.body).toMatchObject({ code: 'validation_failed' });
    expect(backwards.body.detail).toContain('2026-06-01');

    const notADate = await t.call('GET', `/v1/accounts/${s.byRole.bank}/ledger?from=2026-02-30`);
    expect(notADate.status).toBe(400);

    // A fund without the standard chart has no bank account to state.
    const plainFund = await createFund(t);
    const noChart = await t.call('GET', `/v1/funds/${plainFund.fundId}/statement?format=pdf`);
    expect(noChart.status).toBe(422);
    expect(noChart.body.code).toBe('chart_account_missing');

    const unknownKind = await t.call('POST', '/v1/statements/verify', { body: { kind: 'balance-sheet', params: {}, digest: 'a'.repeat(64) } });
    expect(unknownKind.status).toBe(400);
    const shortDigest = await t.call('POST', '/v1/statements/verify', { body: { kind: 'fund', params: { fundId: s.fundId }, digest: 'abc' } });
    expect(shortDigest.status).toBe(400);
    const strayParam = await t.call('POST', '/v1/statements/verify', { body: { kind: 'insurance', params: { policyId: s.policyId, from: '2026-01-01' }, digest: 'a'.repeat(64) } });
    expect(strayParam.status).toBe(400);
    const unknownFund = await t.call('POST', '/v1/statements/verify', { body: { kind: 'fund', params: { fundId: missing }, digest: 'a'.repeat(64) } });
    expect(unknownFund.status).toBe(404);
  });
});
