// Bank reconciliation (银行对账) over half a year of a township fund, with the bank's statements written
// for it: a donation, the insurance premium, a bank fee the books miss, a fiscal transfer, a dividend the
// bank received in two transfers, a medical subsidy the bank paid the next month, a monthly batch paid as
// one debit, a payment the bank returned, an insurance payout that never touches the fund's bank. Imported
// as CSV (UTF-8 and GB18030) and JSON, one twice and one overlapping; a broken statement refused whole.
// Every month's 调节表 to the fen, its PDF and digest, matching by hand, and the period close.
import { execFileSync } from 'node:child_process';
import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { rows } from '../../src/db/client.js';
import { type Reply, startApp, type TestApp } from '../helpers/app.js';
import { backends } from '../helpers/database.js';
import { createHousehold, createPreventionFund, createVillage, uniqueCode } from '../helpers/fixtures.js';

const ACCOUNT = '6228480012345678901';
const gb18030 = (text: string) => execFileSync('iconv', ['-f', 'UTF-8', '-t', 'GB18030'], { input: text });

/** A statement as the bank exports it: the facts, then the lines (date, memo, in, out, balance, counterparty, reference). */
function statementCsv(from: string, to: string, opening: string, closing: string, lines: [string, string, string, string, string, string, string][]) {
  const head = `账号,${ACCOUNT}\r\n开户行,某农商银行某支行\r\n起始日期,${from}\r\n截止日期,${to}\r\n期初余额,${opening}\r\n期末余额,"${closing}"\r\n`;
  const table = ['交易日期,摘要,收入金额,支出金额,余额,对方户名,流水号', ...lines.map((l) => l.map((c) => (c.includes(',') ? `"${c}"` : c)).join(','))];
  return `\ufeff${head}${table.join('\r\n')}\r\n`;
}

const JANUARY = statementCsv('2025-01-01', '2025-01-31', '0.00', '449,950.00', [
  ['2025-01-05', '捐赠 JZ-0105', '500,000.00', '', '500,000.00', '某银行某县支行', 'B0105'],
  ['2025-01-10', '防贫保保费', '', '50,000.00', '450,000.00', '某保险公司某县支公司', 'B0110'],
  ['2025-01-31', '账户管理费', '', '50.00', '449,950.00', '', 'B0131'],
]);
const FEBRUARY = statementCsv('2025-02-01', '2025-02-28', '449,950.00', '549,950.00', [
  ['2025-02-01', '财政拨款 CZ-0201 某县财政局', '100,000.00', '', '549,950.00', '某县财政局', 'B0201'],
]);
const MARCH = statementCsv('2025-03-01', '2025-03-31', '549,950.00', '681,950.00', [
  ['2025-03-01', '分红-2025 第一笔', '100,000.00', '', '649,950.00', '某县肉牛养殖有限公司', 'B0301'],
  ['2025-03-02', '分红-2025 第二笔', '32,000.00', '', '681,950.00', '某县肉牛养殖有限公司', 'B0302'],
]);
// March and April in one file: March's lines are known already.
const MARCH_APRIL = statementCsv('2025-03-01', '2025-04-30', '549,950.00', '678,950.00', [
  ['2025-03-01', '分红-2025 第一笔', '100,000.00', '', '649,950.00', '某县肉牛养殖有限公司', 'B0301'],
  ['2025-03-02', '分红-2025 第二笔', '32,000.00', '', '681,950.00', '某县肉牛养殖有限公司', 'B0302'],
  ['2025-04-01', '一卡通 医疗补贴', '', '3,000.00', '678,950.00', '', 'YKT-0331'],
]);

describe.each(backends)('bank reconciliation on $name', (backend) => {
  let t: TestApp;
  let fundId: string;
  let maker: string;
  let checker: string;
  let feeVoucher: string;
  const at = (day: string) => vi.setSystemTime(new Date(`${day}T04:00:00Z`));
  const ok = async (reply: Promise<Reply>, status = 201) => {
    const r = await reply;
    expect(r.status, JSON.stringify(r.body)).toBe(status);
    return r.body;
  };
  const upload = (body: string | Buffer, headers: Record<string, string> = {}) =>
    t.call('POST', `/v1/funds/${fundId}/bank-statements`, { body, headers: { 'content-type': 'text/csv', ...headers } });
  const reconcile = async (period: string) => ok(t.call('GET', `/v1/funds/${fundId}/bank-reconciliations/${period}`), 200);
  const stored = async () =>
    (await rows<{ s: number; l: number; m: number }>(t.database.db, sql`select (select count(*)::int from bank_statements) as s,
      (select count(*)::int from bank_statement_lines) as l, (select count(*)::int from bank_matches) as m`))[0];

  beforeAll(async () => {
    t = await startApp(backend);
    vi.useFakeTimers({ toFake: ['Date'] });
    at('2025-01-02');
    maker = await t.keyFor('officer');
    checker = await t.keyFor('approver');
    fundId = (await createPreventionFund(t, { bankAccountNumber: '6228 4800 1234 5678 901', bankName: '某农商银行某支行' })).fundId;
    const village = await createVillage(t, '青山村');
    const households = [await createHousehold(t, village, '2025-01-01', '王𪚥'), await createHousehold(t, village, '2025-01-01', '李四'), await createHousehold(t, village, '2025-01-01', '赵𠮷')];

    at('2025-01-05');
    await ok(t.call('POST', `/v1/funds/${fundId}/income`, { body: { source: 'donation', payer: '某银行某县支行', date: '2025-01-05', amount: '500000.00', reference: 'JZ-0105' } }));
    at('2025-01-10');
    const policy = await ok(
      t.call('POST', '/v1/insurance-policies', {
        body: { fundId, insurer: '某保险公司某县支公司', policyNumber: uniqueCode('FPB'), premium: '50000.00', coverFrom: '2025-01-01', coverTo: '2025-12-31', coveredPopulation: '全乡农业人口', coveredCount: 1000 },
      }),
    );
    await ok(t.call('POST', `/v1/insurance-policies/${policy.id}/premium`, { body: { date: '2025-01-10', amount: '50000.00' } }));
    at('2025-02-01');
    await ok(t.call('POST', `/v1/funds/${fundId}/income`, { body: { source: 'fiscal_transfer', payer: '某县财政局', date: '2025-02-01', amount: '100000.00', reference: 'CZ-0201' } }));
    at('2025-03-01');
    const industry = await ok(
      t.call('POST', '/v1/industries', { body: { fundId, name: '某县肉牛养殖有限公司', projectVillageId: village, radiatingVillages: [], projectVillageShare: '1' } }),
    );
    await ok(t.call('POST', `/v1/industries/${industry.id}/dividends`, { body: { date: '2025-03-01', amount: '132000.00', reference: '分红-2025' } }));

    // A medical subsidy paid on 31 March, which the bank carries out on 1 April.
    at('2025-03-20');
    const subsidy = await ok(t.call('POST', '/v1/disbursements', { body: { fundId, householdId: households[0], category: 'medical_subsidy', amount: '3000.00', date: '2025-03-20' }, token: maker }));
    await ok(t.call('POST', `/v1/disbursements/${subsidy.id}/approve`, { token: checker }), 200);
    at('2025-03-31');
    await ok(t.call('POST', `/v1/disbursements/${subsidy.id}/pay`, { body: { bankReference: 'YKT-0331' }, token: checker }), 200);

    // May's living allowance: three households, one bank debit.
    at('2025-05-05');
    const batch = await ok(
      t.call('POST', '/v1/disbursement-batches', {
        body: { fundId, date: '2025-05-05', description: '2025年5月生活补助', items: households.map((householdId) => ({ householdId, amount: '300.00' })) },
        token: maker,
      }),
    );
    await ok(t.call('POST', `/v1/disbursement-batches/${batch.id}/approve`, { token: checker }), 200);
    at('2025-05-10');
    await ok(t.call('POST', `/v1/disbursement-batches/${batch.id}/pay`, { body: { bankReference: 'PL-0510' }, token: checker }), 200);

    // June: temporary relief paid, returned by the bank (the card was closed) and failed in the books.
    at('2025-06-05');
    const relief = await ok(t.call('POST', '/v1/disbursements', { body: { fundId, householdId: households[1], category: 'temporary_relief', amount: '1000.00', date: '2025-06-05' }, token: maker }));
    await ok(t.call('POST', `/v1/disbursements/${relief.id}/approve`, { token: checker }), 200);
    at('2025-06-10');
    await ok(t.call('POST', `/v1/disbursements/${relief.id}/pay`, { body: { bankReference: 'YKT-0610' }, token: checker }), 200);
    at('2025-06-15');
    await ok(t.call('POST', `/v1/disbursements/${relief.id}/fail`, { body: { reason: '一卡通账户已销户，银行退回' }, token: checker }), 200);
    // An insurance payout: the insurer pays from its pool, the fund's bank sees nothing.
    at('2025-06-20');
    const claim = await ok(t.call('POST', '/v1/insurance-claims', { body: { policyId: policy.id, householdId: households[2], cause: 'illness', date: '2025-06-20', amountClaimed: '30000.00' }, token: maker }));
    await ok(t.call('POST', `/v1/insurance-claims/${claim.id}/approve`, { body: { amountApproved: '30000.00' }, token: checker }), 200);
    await ok(t.call('POST', `/v1/insurance-claims/${claim.id}/pay`, { body: { payoutReference: 'LP-0625', date: '2025-06-20' }, token: checker }), 200);
    at('2025-07-10');
  }, 120_000);

  afterEach(() => at('2025-07-10'));
  afterAll(async () => {
    vi.useRealTimers();
    await t.close();
  });

  it('refuses a statement whose running balance breaks, or of another account, naming each line, and writes nothing', async () => {
    const before = await stored();
    const broken = JANUARY.replace('"450,000.00",某保险公司', '"451,000.00",某保险公司');
    const r = await upload(broken);
    expect(r.status).toBe(422);
    expect(r.body.code).toBe('import_failed');
    expect(r.body.errors).toEqual([
      { line: 9, column: '余额', code: 'validation_failed', message: 'the balance 451000.00 does not follow: 500000.00 − 50000.00 = 450000.00' },
      { line: 10, column: '余额', code: 'validation_failed', message: 'the balance 449950.00 does not follow: 451000.00 − 50.00 = 450950.00' },
    ]);
    const others = await upload(JANUARY.replace(ACCOUNT, '6228480099999999999').replace('"449,950.00"', '"449,000.00"').replace('2025-01-31,账户', '2025-02-03,账户'));
    expect(others.status).toBe(422);
    expect(others.body.errors.map((e: any) => [e.line, e.column])).toEqual([
      [1, '账号'],
      [10, '交易日期'],
      [10, '期末余额'],
    ]);
    const money = await upload(JANUARY.replace(',50.00,"449,950.00"', ',50.001,"449,950.00"'));
    expect(money.body.errors?.[0]).toMatchObject({ line: 10, column: '支出金额', message: expect.stringContaining('not exact money') });
    const bare = await t.call('POST', `/v1/funds/${fundId}/bank-statements`, { body: JSON.stringify('账号,1'), headers: { 'content-type': 'application/json' } });
    expect(bare.status).toBe(400);
    expect(bare.body.detail).toContain('a JSON statement is an object');
    expect(await stored()).toEqual(before);
  });

  it('imports the statements once each, whatever their encoding, and matches them to the books', async () => {
    const january = await ok(upload(JANUARY));
    expect(january).toMatchObject({ lines: 3, newLines: 3, knownLines: 0, from: '2025-01-01', to: '2025-01-31', closingBalance: '449950.00' });
    // The donation by its reference, the premium by its amount; the bank fee is in no voucher.
    expect(january.matching).toMatchObject({ byReference: 1, byAmount: 1, matchedLines: 2, unmatchedLines: 1 });
    const again = await ok(upload(JANUARY));
    expect(again).toMatchObject({ lines: 3, newLines: 0, knownLines: 3 });

    const february = await ok(upload(gb18030(FEBRUARY), { 'content-type': 'text/csv; charset=gb18030' }));
    expect(february).toMatchObject({ newLines: 1, matching: { byReference: 1 } });
    const march = await ok(upload(MARCH));
    // The dividend came in two transfers: both lines, one voucher, by the reference in their memos.
    expect(march.matching).toMatchObject({ byReference: 1, matchedLines: 2 });
    const overlapping = await ok(upload(MARCH_APRIL));
    expect(overlapping).toMatchObject({ lines: 3, newLines: 1, knownLines: 2, matching: { byReference: 1 } });

    const mayJune = {
      accountNumber: ACCOUNT,
      from: '2025-05-01',
      to: '2025-06-30',
      openingBalance: '678950.00',
      closingBalance: '678050.00',
      lines: [
        { date: '2025-05-10', direction: 'out', amount: '900.00', balanceAfter: '678050.00', bankReference: 'PL-0510', memo: '一卡通 生活补助 批量' },
        { date: '2025-06-10', direction: 'out', amount: '1000.00', balanceAfter: '677050.00', bankReference: 'YKT-0610' },
        { date: '2025-06-15', direction: 'in', amount: '1000.00', balanceAfter: '678050.00', bankReference: 'B0615', memo: '退回 YKT-0610 账户已销户' },
      ],
    };
    const json = await ok(t.call('POST', `/v1/funds/${fundId}/bank-statements`, { body: mayJune }));
    // The batch as its one payment voucher, the payment by reference; the return by its amount.
    expect(json.matching).toMatchObject({ byReference: 2, byAmount: 1, unmatchedLines: 1, unmatchedEntries: 0 });

    const unmatched = await ok(t.call('GET', `/v1/funds/${fundId}/bank-statement-lines?status=unmatched`), 200);
    expect(unmatched.items.map((l: any) => [l.date, l.direction, l.amount, l.bankReference, l.memo])).toEqual([['2025-01-31', 'out', '50.00', 'B0131', '账户管理费']]);
    const matched = await ok(t.call('GET', `/v1/funds/${fundId}/bank-statement-lines?status=matched&from=2025-03-01&to=2025-03-31`), 200);
    expect(matched.items.map((l: any) => l.amount)).toEqual(['100000.00', '32000.00']);
    expect(matched.items[0].match.transactionIds).toEqual(matched.items[1].match.transactionIds);
    const paged = await ok(t.call('GET', `/v1/funds/${fundId}/bank-statement-lines?limit=4`), 200);
    const rest = await ok(t.call('GET', `/v1/funds/${fundId}/bank-statement-lines?limit=4&cursor=${paged.nextCursor}`), 200);
    expect([...paged.items, ...rest.items].map((l: any) => l.date)).toEqual([
      '2025-01-05', '2025-01-10', '2025-01-31', '2025-02-01', '2025-03-01', '2025-03-02', '2025-04-01', '2025-05-10',
    ]);

    const events = (await ok(t.call('GET', `/v1/events?limit=500`), 200)).items.map((e: any) => e.type);
    expect(events.filter((e: string) => e === 'bank_statement.imported')).toHaveLength(6);
    expect(events).toContain('bank_reconciliation.reconciled');
  });

  it('reconciles every month to the fen, saying what is outstanding and for how long', async () => {
    const january = await reconcile('2025-01');
    expect(january).toMatchObject({
      agrees: true,
      bookBalance: '450000.00',
      bankBalance: '449950.00',
      adjustedBookBalance: '449950.00',
      adjustedBankBalance: '449950.00',
      bankOutNotBooked: { total: '50.00', items: [{ date: '2025-01-31', amount: '50.00', bankReference: 'B0131', ageDays: 0, stale: false }] },
      bookOutNotBanked: { total: '0.00', items: [] },
      reasons: [],
    });
    const march = await reconcile('2025-03');
    expect(march).toMatchObject({
      agrees: true,
      bookBalance: '679000.00',
      bankBalance: '681950.00',
      bankOutNotBooked: { total: '50.00', items: [{ amount: '50.00', ageDays: 59, stale: true }] },
      bookOutNotBanked: { total: '3000.00', items: [{ date: '2025-03-31', amount: '3000.00', references: ['YKT-0331'], stale: false }] },
      adjustedBookBalance: '678950.00',
      adjustedBankBalance: '678950.00',
      staleItems: 1,
    });
    for (const period of ['2025-02', '2025-04', '2025-05', '2025-06']) expect((await reconcile(period)).agrees, period).toBe(true);
    const june = await reconcile('2025-06');
    expect(june).toMatchObject({ bookBalance: '678100.00', bankBalance: '678050.00', bookInNotBanked: { items: [] }, bookOutNotBanked: { items: [] } });
    // No statement covers July: not reconciled, and said so.
    const july = await reconcile('2025-07');
    expect(july.agrees).toBe(false);
    expect(july.reasons).toEqual(['no imported bank statement covers 2025-07-31']);
  });

  it('prints the 调节表 as PDF and CSV with the digest that verifies', async () => {
    const pdf = await t.app.inject({ method: 'GET', url: `/v1/funds/${fundId}/bank-reconciliations/2025-03?format=pdf`, headers: { authorization: `Bearer ${await t.keyFor('auditor')}` } });
    expect(pdf.statusCode).toBe(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    const text = execFileSync('pdftotext', ['-layout', '-', '-'], { input: pdf.rawPayload }).toString();
    expect(text).toContain('银行存款余额调节表');
    expect(text).toContain('调节相符');
    expect(text).toMatch(/调节后余额 Adjusted balance\s+678,950\.00\s+调节后余额 Adjusted balance\s+678,950\.00/);
    expect(text).toContain('YKT-0331');
    expect(text).toContain('逾期');
    const digest = pdf.headers['x-statement-digest'] as string;
    expect(text).toContain(digest);
    const verified = await ok(t.call('POST', '/v1/statements/verify', { body: { kind: 'bank-reconciliation', params: { fundId, period: '2025-03', staleDays: 30 }, digest } }), 200);
    expect(verified.valid).toBe(true);
    const csv = await t.app.inject({ method: 'GET', url: `/v1/funds/${fundId}/bank-reconciliations/2025-03?format=csv`, headers: { authorization: `Bearer ${await t.keyFor('auditor')}` } });
    expect(csv.headers['x-statement-digest']).toBe(digest);
    expect(csv.body).toContain('678950.00');
  });

  it('matches by hand and undoes a match, never touching the ledger', async () => {
    // The bank fee, booked in April against an own expense account, without the bank's reference.
    at('2025-04-10');
    const account = await ok(t.call('POST', `/v1/funds/${fundId}/accounts`, { body: { code: '5901', name: '银行手续费', type: 'expense' } }));
    const bank = (await ok(t.call('GET', `/v1/funds/${fundId}/accounts`), 200)).items.find((a: any) => a.role === 'bank');
    feeVoucher = (
      await ok(
        t.call('POST', '/v1/transactions', {
          body: {
            date: '2025-04-10',
            description: '补记1月账户管理费',
            lines: [
              { accountId: account.id, direction: 'debit', amount: '50.00' },
              { accountId: bank.id, direction: 'credit', amount: '50.00' },
            ],
          },
        }),
      )
    ).id;
    at('2025-07-10');
    // Dated far from the bank's line: automatic matching leaves it.
    expect(await ok(t.call('POST', `/v1/funds/${fundId}/bank-statement-lines/auto-match`), 200)).toMatchObject({ byReference: 0, byAmount: 0, unmatchedLines: 1, unmatchedEntries: 1 });
    const [fee] = (await ok(t.call('GET', `/v1/funds/${fundId}/bank-statement-lines?status=unmatched`), 200)).items;
    const ledgerBefore = await rows(t.database.db, sql`select id, balance::text from accounts where fund_id = ${fundId} order by id`);

    const before = await stored();
    const wrong = await t.call('POST', `/v1/bank-statement-lines/${fee.id}/match`, { body: { transactionIds: [(await reconcile('2025-03')).bookOutNotBanked.items[0]?.transactionId ?? feeVoucher] } });
    expect(wrong.status).toBe(409);
    expect(await stored()).toEqual(before);

    const match = await ok(t.call('POST', `/v1/bank-statement-lines/${fee.id}/match`, { body: { transactionIds: [feeVoucher] }, token: maker }));
    expect(match).toMatchObject({ method: 'manual', lineIds: [fee.id], transactionIds: [feeVoucher], createdByName: 'officer for tests' });
    expect((await ok(t.call('GET', `/v1/funds/${fundId}/bank-statement-lines?status=unmatched`), 200)).items).toEqual([]);
    // Outstanding in January (booked only in April); not in April.
    expect((await reconcile('2025-01')).bankOutNotBooked.total).toBe('50.00');
    expect(await reconcile('2025-04')).toMatchObject({ agrees: true, bankOutNotBooked: { items: [] }, bookOutNotBanked: { items: [] } });

    const twice = await t.call('POST', `/v1/bank-statement-lines/${fee.id}/match`, { body: { transactionIds: [feeVoucher] } });
    expect(twice.status).toBe(409);
    const undone = await ok(t.call('DELETE', `/v1/bank-statement-lines/${fee.id}/match`, { token: maker }), 200);
    expect(undone).toMatchObject({ matchId: match.matchId, undoneByName: 'officer for tests' });
    expect((await t.call('DELETE', `/v1/bank-statement-lines/${fee.id}/match`)).status).toBe(409);
    // Kept on record, with who undid it.
    const [kept] = await rows<{ undone_by: string | null }>(t.database.db, sql`select undone_by from bank_matches where id = ${match.matchId}`);
    expect(kept!.undone_by).not.toBeNull();
    await ok(t.call('POST', `/v1/bank-statement-lines/${fee.id}/match`, { body: { transactionIds: [feeVoucher] } }));
    expect(await rows(t.database.db, sql`select id, balance::text from accounts where fund_id = ${fundId} order by id`)).toEqual(ledgerBefore);
  });

  it('closes a reconciled month; an unreconciled one only with a reason, which the period keeps', async () => {
    for (const period of ['2025-01', '2025-02', '2025-03', '2025-04', '2025-05', '2025-06']) {
      await ok(t.call('POST', `/v1/funds/${fundId}/periods/${period}/close`), 200);
    }
    const refused = await t.call('POST', `/v1/funds/${fundId}/periods/2025-07/close`);
    at('2025-08-02');
    const later = await t.call('POST', `/v1/funds/${fundId}/periods/2025-07/close`);
    expect(refused.body.code).toBe('period_not_ended');
    expect(later.status).toBe(409);
    expect(later.body).toMatchObject({ code: 'not_reconciled', period: '2025-07', reasons: ['no imported bank statement covers 2025-07-31'] });
    const closed = await ok(t.call('POST', `/v1/funds/${fundId}/periods/2025-07/close`, { body: { reason: '7月对账单尚未取得，先行结账' } }), 200);
    expect(closed).toMatchObject({ status: 'closed', closeReason: '7月对账单尚未取得，先行结账' });
    expect((await ok(t.call('GET', `/v1/funds/${fundId}/periods/2025-06`), 200)).closeReason).toBeNull();
  });
});

describe('the bank statement template', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(backends[0]!);
  });
  afterAll(() => t.close());

  it('is a statement the import takes as it is, and a control character in it is refused by line and column', async () => {
    const template = await t.call('GET', '/v1/bank-statements/template');
    expect(template.status).toBe(200);
    expect(template.headers['content-type']).toMatch(/^text\/csv/);
    expect(template.body.startsWith('\ufeff账号,')).toBe(true);
    const { fundId } = await createPreventionFund(t, { bankAccountNumber: ACCOUNT });
    const upload = (body: string) => t.call('POST', `/v1/funds/${fundId}/bank-statements`, { body, headers: { 'content-type': 'text/csv' } });
    const bad = await upload(template.body.replace('账户管理费', '账户\u0007管理费'));
    expect(bad.status).toBe(422);
    expect(bad.body.errors).toEqual([{ line: 9, column: '摘要', code: 'validation_failed', message: expect.stringContaining('control characters (U+0007') }]);
    const imported = await upload(template.body);
    expect(imported.status, JSON.stringify(imported.body)).toBe(201);
    expect(imported.body).toMatchObject({ lines: 2, newLines: 2, closingBalance: '131950.00' });
  });
});
