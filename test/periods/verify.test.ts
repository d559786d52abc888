import { sql, type SQL } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/client.js';
import { startApp, type TestApp } from '../helpers/app.js';
import { backends } from '../helpers/database.js';
import { createFund, transfer } from '../helpers/fixtures.js';
import { fieldScenario } from '../statements/setup.js';

// What an auditor takes `intact` to mean: not only the hash chain and the balances, but every voucher
// number of the fund there, every line on an account of its fund, every business record's vouchers there.
describe.each(backends)('fund verification on $name', (backend) => {
  let t: TestApp;
  let keys: { maker: string; checker: string };

  beforeAll(async () => {
    t = await startApp(backend);
    keys = { maker: await t.keyFor('officer'), checker: await t.keyFor('approver') };
  });
  afterAll(() => t.close());

  const verify = async (fundId: string) => {
    const r = await t.call('GET', `/v1/funds/${fundId}/verify`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body;
  };
  const ok = async (r: Promise<{ status: number; body: any }>, status = 200) => {
    const reply = await r;
    expect(reply.status, JSON.stringify(reply.body)).toBe(status);
    return reply.body;
  };
  const checkOf = (report: any, name: string) => report.checks.find((c: any) => c.name === name);

  /**
   * What a second process writing the same embedded database left behind: rows gone or changed with no
   * trigger and no foreign key to stop it (session_replication_role = replica switches them all off).
   */
  const damage = (...statements: SQL[]) =>
    t.database.db.transaction(async (tx) => {
      await tx.execute(sql`set local session_replication_role = replica`);
      for (const statement of statements) await tx.execute(statement);
    });
  const removeVoucher = (transactionId: string) =>
    damage(
      sql`delete from transaction_chain where transaction_id = ${transactionId}`,
      sql`delete from transaction_lines where transaction_id = ${transactionId}`,
      sql`delete from transactions where id = ${transactionId}`,
    );

  /** The statements' field scenario, plus a paid batch and a disbursement failed after approval (a reversal). */
  async function fieldFund() {
    const s = await fieldScenario(t, keys);
    const batch = await ok(
      t.call('POST', '/v1/disbursement-batches', {
        body: { fundId: s.fundId, category: 'living_allowance', date: '2026-06-30', description: '6月生活补助', items: [{ householdId: s.households.ouyang, amount: '300.00' }] },
        token: keys.maker,
      }),
      201,
    );
    await ok(t.call('POST', `/v1/disbursement-batches/${batch.id}/approve`, { token: keys.checker }));
    await ok(t.call('POST', `/v1/disbursement-batches/${batch.id}/pay`, { body: { bankReference: 'YKT-BATCH-6' }, token: keys.checker }));
    const failed = await ok(
      t.call('POST', '/v1/disbursements', {
        body: { fundId: s.fundId, householdId: s.households.zhang, category: 'temporary_relief', amount: '500.00', date: '2026-06-20' },
        token: keys.maker,
      }),
      201,
    );
    await ok(t.call('POST', `/v1/disbursements/${failed.id}/approve`, { token: keys.checker }));
    await ok(t.call('POST', `/v1/disbursements/${failed.id}/fail`, { body: { reason: '账户冻结' }, token: keys.checker }));
    return { ...s, batchId: batch.id as string, failedId: failed.id as string };
  }

  it('says intact only with every check passed, and accounts for the ledger numbers between the fund\'s vouchers', async () => {
    const s = await fieldFund();
    // Between two of the fund's vouchers: another fund's voucher, and a posting refused after taking its number.
    const other = await createFund(t);
    await ok(t.call('POST', '/v1/transactions', { body: transfer('2026-01-05', other.accounts.bank!, other.accounts.income!, '10.00') }), 201);
    await ok(t.call('POST', `/v1/funds/${other.fundId}/periods/2026-01/close`, { body: { reason: '未导入银行对账单' } }));
    const refused = await t.call('POST', '/v1/transactions', { body: transfer('2026-01-20', other.accounts.bank!, other.accounts.income!, '5.00') });
    expect(refused.body.code).toBe('period_closed');
    await ok(t.call('POST', `/v1/funds/${s.fundId}/income`, { body: { source: 'donation', payer: '某银行', date: '2026-07-01', amount: '1.00' } }), 201);

    const report = await verify(s.fundId);
    expect(report.status).toBe('intact');
    expect(report.checks.map((c: any) => [c.name, c.result, c.findingCount])).toEqual([
      ['chain', 'passed', 0],
      ['voucher_numbers', 'passed', 0],
      ['balances', 'passed', 0],
      ['lines', 'passed', 0],
      ['records', 'passed', 0],
    ]);
    for (const c of report.checks) expect(c.description.length, c.name).toBeGreaterThan(40);
    expect(checkOf(report, 'voucher_numbers').summary).toMatch(
      new RegExp(`^${report.transactions} vouchers numbered 1 to ${report.transactions} in the fund, none missing\\. Their ledger-wide numbers run from \\d+ to \\d+, and of the 2 other numbers in between, 1 belong to other funds' vouchers and 1 were taken by postings refused or rolled back\\.$`),
    );
  });

  it('finds a hole in the fund\'s voucher numbers, and the records whose voucher is gone', async () => {
    const s = await fieldFund();
    const [dividend] = await rows<{ id: string; transactionId: string }>(
      t.database.db,
      sql`select id, transaction_id as "transactionId" from dividends where industry_id = ${s.industryId}`,
    );
    const [receipt] = await rows<{ id: string; transaction_id: string }>(
      t.database.db,
      sql`select id, transaction_id from income_receipts where fund_id = ${s.fundId} and date = '2026-01-05'`,
    );
    const [position] = await rows<{ position: string | number }>(
      t.database.db,
      sql`select position from transaction_chain where fund_id = ${s.fundId} and transaction_id = ${dividend!.transactionId}`,
    );
    await removeVoucher(dividend!.transactionId);
    await removeVoucher(receipt!.transaction_id);

    const report = await verify(s.fundId);
    expect(report.status).toBe('broken');
    const numbers = checkOf(report, 'voucher_numbers');
    expect(numbers.result).toBe('failed');
    // The receipt's voucher was the fund's second (its first posting that year came first), the dividend's later.
    expect(numbers.findings).toEqual([
      { problem: 'numbers_missing', message: 'Voucher number 2 of the fund is missing.', detail: { first: 2, last: 2 } },
      {
        problem: 'numbers_missing',
        message: `Voucher number ${Number(position!.position)} of the fund is missing.`,
        detail: { first: Number(position!.position), last: Number(position!.position) },
      },
    ]);
    const records = checkOf(report, 'records');
    expect(records).toMatchObject({ result: 'failed', findingCount: 2 });
    expect(records.findings).toEqual(
      expect.arrayContaining([
        {
          problem: 'voucher_missing',
          message: `The dividend ${dividend!.id} points at transaction ${dividend!.transactionId} (transactionId), which is not in the journal.`,
          detail: { record: 'dividend', id: dividend!.id, field: 'transactionId', transactionId: dividend!.transactionId },
        },
        expect.objectContaining({ problem: 'voucher_missing', detail: expect.objectContaining({ record: 'income receipt', id: receipt!.id }) }),
      ]),
    );
    // The books' own figures no longer add up to what the accounts store either.
    expect(checkOf(report, 'balances').result).toBe('failed');
  });

  it('finds a record that lost its voucher, a line on another fund\'s account and a split that no longer adds up', async () => {
    const s = await fieldFund();
    const other = await createFund(t);
    const [paid] = await rows<{ id: string }>(
      t.database.db,
      sql`select id from disbursements where fund_id = ${s.fundId} and status = 'paid' and batch_id is null order by id limit 1`,
    );
    const [line] = await rows<{ transaction_id: string; line_no: number }>(
      t.database.db,
      sql`select transaction_id, line_no from transaction_lines where fund_id = ${s.fundId} order by id desc limit 1`,
    );
    const [allocation] = await rows<{ dividend_id: string; village_id: string }>(
      t.database.db,
      sql`select a.dividend_id, a.village_id from dividend_allocations a join dividends d on d.id = a.dividend_id
           where d.fund_id = ${s.fundId} order by a.amount desc limit 1`,
    );
    await damage(
      sql`update disbursements set payment_transaction_id = null where id = ${paid!.id}`,
      sql`update transaction_lines set account_id = ${other.accounts.bank} where transaction_id = ${line!.transaction_id} and line_no = ${line!.line_no}`,
      sql`update dividend_allocations set amount = amount + 1 where dividend_id = ${allocation!.dividend_id} and village_id = ${allocation!.village_id}`,
    );

    const report = await verify(s.fundId);
    expect(report.status).toBe('broken');
    expect(checkOf(report, 'lines').findings).toEqual([
      expect.objectContaining({
        problem: 'account_of_another_fund',
        detail: expect.objectContaining({ transactionId: line!.transaction_id, accountId: other.accounts.bank, accountFundId: other.fundId }),
      }),
    ]);
    expect(checkOf(report, 'records').findings.map((f: any) => [f.problem, f.detail.record, f.detail.id])).toEqual(
      expect.arrayContaining([
        ['voucher_not_recorded', 'disbursement', paid!.id],
        ['allocations_do_not_add_up', 'dividend', allocation!.dividend_id],
        ['allocation_not_on_voucher', 'dividend allocation', allocation!.dividend_id],
      ]),
    );
    // The same line seen from the other fund: on one of its accounts, booked to another fund.
    expect(checkOf(await verify(other.fundId), 'lines').findingCount).toBe(1);
  });

  it('finds a fund\'s vouchers gone while its records remain, as the damaged folder of the issue held', async () => {
    const s = await fieldFund();
    const vouchers = await rows<{ transaction_id: string }>(t.database.db, sql`select transaction_id from transaction_chain where fund_id = ${s.fundId}`);
    await damage(
      sql`delete from transaction_chain where fund_id = ${s.fundId}`,
      sql`delete from fund_chains where fund_id = ${s.fundId}`,
      sql`delete from transaction_lines where fund_id = ${s.fundId}`,
      sql`delete from account_daily_totals where account_id in (select id from accounts where fund_id = ${s.fundId})`,
      sql`update accounts set balance = 0, debit_total = 0, credit_total = 0 where fund_id = ${s.fundId}`,
      sql`delete from transactions where id in (${sql.join(vouchers.map((v) => sql`${v.transaction_id}::uuid`), sql`, `)})`,
    );
    const report = await verify(s.fundId);
    // Chain, numbers, balances and lines have nothing left to disagree with: only the records tell.
    expect(report).toMatchObject({ status: 'broken', transactions: 0, firstBroken: null, balanceMismatches: [] });
    expect(checkOf(report, 'records')).toMatchObject({ result: 'failed', summary: expect.stringMatching(/^\d+ records without the vouchers they stand on\.$/) });
    expect(checkOf(report, 'records').findingCount).toBeGreaterThanOrEqual(10);
  });
});
