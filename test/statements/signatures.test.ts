import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Money } from '../../src/ledger/money.js';
import { expectLedgerIntact, startApp, type TestApp } from '../helpers/app.js';
import { backends } from '../helpers/database.js';
import { createHousehold, transfer } from '../helpers/fixtures.js';
import { csvRows, download, fieldScenario, pdfText, plain } from './setup.js';

// Spelt by code point, so that no editor or normalisation can swap one for a look-alike.
const c = (codePoint: number) => String.fromCodePoint(codePoint);
const OFFICER = `王${c(0x2a6a5)}`; // 王𪚥, Extension B
const APPROVER = `赵${c(0x20bb7)}`; // 赵𠮷, Extension B
const ADMIN = `陈${c(0xfa0e)}`; // 陈﨎, a compatibility ideograph of its own

const A4_WIDTH = 595.28;
const MARGIN = 40;

/** The right edge of the rightmost word on any page, by poppler's pdftotext -bbox. */
function rightmost(pdf: Buffer): number {
  const boxes = execFileSync('pdftotext', ['-bbox', '-enc', 'UTF-8', '-', '-'], { input: pdf, encoding: 'utf8' });
  return Math.max(...[...boxes.matchAll(/<word [^>]*xMax="([\d.]+)"/g)].map((m) => Number(m[1])));
}

// 制单 and 审核: each voucher line of a statement names who prepared it and who approved it.
describe.each(backends)('who prepared and approved, on the statements, on $name', (backend) => {
  let t: TestApp;
  let s: Awaited<ReturnType<typeof fieldScenario>>;
  let period: string;
  let params: { from: string; to: string };

  const issue = async (name: string, role: string) => {
    const scoped = role === 'officer' || role === 'approver' ? { scopes: { all: true } } : {};
    const r = await t.call('POST', '/v1/api-keys', { body: { name, role, ...scoped } });
    if (r.status !== 201) throw new Error(JSON.stringify(r.body));
    return r.body.token as string;
  };
  const json = async (url: string) => {
    const r = await t.call('GET', url);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body;
  };
  const verified = async (kind: string, statementParams: Record<string, string>, digest: string) => {
    const r = await t.call('POST', '/v1/statements/verify', { body: { kind, params: statementParams, digest } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body.valid as boolean;
  };
  /** The PDF's line that holds `needle`, rare characters and all. */
  const printedLine = (text: string, needle: string) => text.split('\n').find((l) => l.includes(needle)) ?? '';

  beforeAll(async () => {
    t = await startApp(backend);
    const officer = await issue(OFFICER, 'officer');
    const approver = await issue(APPROVER, 'approver');
    const admin = await issue(ADMIN, 'admin');
    s = await fieldScenario(t, { maker: officer, checker: approver });
    const today = t.app.ctx.today();
    period = `from=2026-01-01&to=${today}`;
    params = { from: '2026-01-01', to: today };

    // From 臺灣村's allocation besides the medical subsidy: a batch.
    const neighbour = await createHousehold(t, s.villages.taiwan, '2025-01-01', '刘二');
    const batch = await t.call('POST', '/v1/disbursement-batches', {
      body: {
        fundId: s.fundId,
        category: 'living_allowance',
        date: '2026-06-15',
        villageId: s.villages.taiwan,
        description: '六月生活补助',
        items: [
          { householdId: s.households.zhang, amount: '100.00' },
          { householdId: neighbour, amount: '200.00' },
        ],
      },
      token: officer,
    });
    expect(batch.status, JSON.stringify(batch.body)).toBe(201);
    const approved = await t.call('POST', `/v1/disbursement-batches/${batch.body.id}/approve`, { token: approver });
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    // And on the bank, a voucher of the admin's: the ledger names it.
    const interest = await t.call('POST', `/v1/funds/${s.fundId}/accounts`, { body: { code: '4901', name: '利息收入', type: 'income' } });
    expect(interest.status, JSON.stringify(interest.body)).toBe(201);
    const bank = await t.call('POST', '/v1/transactions', { body: transfer(today, s.byRole.bank!, interest.body.id, '7.00', '利息收入'), token: admin });
    expect(bank.status, JSON.stringify(bank.body)).toBe(201);
  });
  afterAll(async () => {
    await expectLedgerIntact(t);
    await t.close();
  });

  it('names the requester and approver of each payment on the household statement, in JSON, CSV and PDF', async () => {
    const url = `/v1/households/${s.households.zhang}/statement?${period}`;
    const zhang = await json(url);
    expect(zhang.items).toEqual([
      expect.objectContaining({ kind: 'disbursement', category: 'medical_subsidy', amount: '3000.00', preparedByName: OFFICER, approvedByName: APPROVER }),
    ]);
    // An insurance payout: who filed the claim and who approved it.
    const li = await json(`/v1/households/${s.households.li}/statement?${period}`);
    expect(li.items).toEqual([expect.objectContaining({ kind: 'insurance_claim', amount: '9000.00', preparedByName: OFFICER, approvedByName: APPROVER })]);

    const pdf = await download(t, `${url}&format=pdf`);
    expect(pdf.status).toBe(200);
    const text = plain(pdfText(pdf.body));
    expect(text).toContain('制单');
    expect(text).toContain('审核');
    const row = printedLine(text, 'YKT-');
    expect(row).toContain('3000.00');
    expect(row).toContain(OFFICER);
    expect(row).toContain(APPROVER);
    expect(row).not.toContain('…');
    expect(text).not.toContain('\uFFFD');
    expect(rightmost(pdf.body)).toBeLessThanOrEqual(A4_WIDTH - MARGIN + 0.5);

    const csv = csvRows((await download(t, `${url}&format=csv`)).text);
    expect(csv.find((r) => r[0] === zhang.items[0].date && r.includes('3000.00'))).toEqual(expect.arrayContaining([OFFICER, APPROVER]));

    expect(await verified('household', { householdId: s.households.zhang, ...params }, zhang.digest)).toBe(true);
    expect(await verified('household', { householdId: s.households.li, ...params }, li.digest)).toBe(true);
  });

  it('lists what the village spent, each payment and batch with its requester and approver, adding up to spent', async () => {
    const url = `/v1/villages/${s.villages.taiwan}/statement?${period}`;
    const village = await json(url);
    expect(village.spending.map((x: any) => [x.kind, x.category, x.amount, x.preparedByName, x.approvedByName])).toEqual([
      ['disbursement', 'medical_subsidy', '3000.00', OFFICER, APPROVER],
      ['batch', 'living_allowance', '300.00', OFFICER, APPROVER],
    ]);
    expect(village.spending[0].description).toContain('张三明');
    expect(village.spending[1].description).toBe('批次 六月生活补助（2 户）');
    const spent = village.spending.reduce((acc: Money, x: any) => acc.plus(x.amount), new Money(0)).toFixed(2);
    expect(spent).toBe(village.totals.spent);
    expect(spent).toBe('3300.00');

    const pdf = await download(t, `${url}&format=pdf`);
    const text = plain(pdfText(pdf.body));
    expect(text).toContain('使用明细 Spending');
    for (const [needle, names] of [
      ['张三明', [OFFICER, APPROVER]],
      ['六月生活补助', [OFFICER, APPROVER]],
    ] as const) {
      const row = printedLine(text, needle);
      for (const name of names) expect(row, needle).toContain(name);
    }
    expect(rightmost(pdf.body)).toBeLessThanOrEqual(A4_WIDTH - MARGIN + 0.5);
    expect(await verified('village', { villageId: s.villages.taiwan, ...params }, village.digest)).toBe(true);
  });

  it('names the preparer of each voucher on the account ledger', async () => {
    const url = `/v1/accounts/${s.byRole.bank}/ledger?${period}`;
    const ledger = await json(url);
    const preparer = (description: string) => ledger.lines.find((l: any) => l.description.includes(description))?.preparedByName;
    expect(preparer('利息收入')).toBe(ADMIN);
    // A reservation is posted by its approval: the approver prepared that voucher.
    expect(preparer('审批预留')).toBe(APPROVER);
    expect(ledger.lines.every((l: any) => typeof l.preparedByName === 'string')).toBe(true);

    const pdf = await download(t, `${url}&format=pdf`);
    const text = plain(pdfText(pdf.body));
    expect(text).toContain('制单');
    expect(printedLine(text, '利息收入')).toContain(ADMIN);
    expect(printedLine(text, '审批预留')).toContain(APPROVER);
    expect(rightmost(pdf.body)).toBeLessThanOrEqual(A4_WIDTH - MARGIN + 0.5);
    expect(await verified('ledger', { accountId: s.byRole.bank!, ...params }, ledger.digest)).toBe(true);
  });

  it('names who filed and who approved each insurance payout', async () => {
    const insurance = await json(`/v1/insurance-policies/${s.policyId}/statement`);
    expect(insurance.payouts).toEqual([expect.objectContaining({ amount: '9000.00', reference: 'LP-001', preparedByName: OFFICER, approvedByName: APPROVER })]);
    const pdf = await download(t, `/v1/insurance-policies/${s.policyId}/statement?format=pdf`);
    const row = printedLine(plain(pdfText(pdf.body)), 'LP-001');
    expect(row).toContain(OFFICER);
    expect(row).toContain(APPROVER);
    expect(await verified('insurance', { policyId: s.policyId }, insurance.digest)).toBe(true);
  });
});
