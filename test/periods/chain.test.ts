import { createHash } from 'node:crypto';
import { sql, type SQL } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/client.js';
import { expectLedgerIntact, startApp, type TestApp } from '../helpers/app.js';
import { backends } from '../helpers/database.js';
import { createFund, type FundFixture, transfer } from '../helpers/fixtures.js';

describe.each(backends)('tamper-evident journal on $name', (backend) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startApp(backend);
  });
  afterAll(async () => {
    await expectLedgerIntact(t);
    await t.close();
  });

  const verify = async (fundId: string, query = '') => {
    const r = await t.call('GET', `/v1/funds/${fundId}/verify${query}`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body;
  };
  const post = async (body: unknown) => {
    const r = await t.call('POST', '/v1/transactions', { body });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body;
  };

  /**
   * What someone with database access would do: switch off the append-only trigger in their own
   * session, change the row, switch it back on. One database transaction, so one connection.
   */
  const tamper = (table: string, statement: SQL) =>
    t.database.db.transaction(async (tx) => {
      await tx.execute(sql.raw(`alter table ${table} disable trigger ${table}_append_only`));
      await tx.execute(statement);
      await tx.execute(sql.raw(`alter table ${table} enable trigger ${table}_append_only`));
    });

  /** Two funds with a due-from / due-to pair, a dozen postings in each and one posting across both. */
  async function twoFunds() {
    const county = await createFund(t, { dueFromTownship: { type: 'asset' } });
    const township = await createFund(t, { dueToCounty: { type: 'liability' } });
    const postings: { id: string; funds: string[] }[] = [];
    for (let i = 0; i < 12; i++) {
      for (const f of [county, township]) {
        const p = await post(transfer(`2026-03-${String(i + 1).padStart(2, '0')}`, f.accounts.bank!, f.accounts.income!, `${100 + i}.25`, `收入 ${i}`));
        postings.push({ id: p.id, funds: [f.fundId] });
      }
    }
    const cross = await post({
      date: '2026-03-20',
      description: '县级拨付乡镇',
      reference: 'XF-2026-001',
      lines: [
        { accountId: county.accounts.dueFromTownship, direction: 'debit', amount: '200.00', memo: 'county side' },
        { accountId: county.accounts.bank, direction: 'credit', amount: '200.00' },
        { accountId: township.accounts.bank, direction: 'debit', amount: '200.00' },
        { accountId: township.accounts.dueToCounty, direction: 'credit', amount: '200.00', memo: 'township side' },
      ],
    });
    postings.push({ id: cross.id, funds: [county.fundId, township.fundId] });
    const reversed = await t.call('POST', `/v1/transactions/${postings[0]!.id}/reversal`, { body: { reason: '重复录入' } });
    expect(reversed.status).toBe(201);
    postings.push({ id: reversed.body.id, funds: [county.fundId] });
    return { county, township, postings, cross };
  }

  it('keeps one intact chain per fund through many postings, a cross-fund transaction and a reversal', async () => {
    const { county, township, postings } = await twoFunds();
    for (const f of [county, township]) {
      const report = await verify(f.fundId);
      expect(report).toEqual({
        fundId: f.fundId,
        status: 'intact',
        transactions: postings.filter((p) => p.funds.includes(f.fundId)).length,
        headHash: expect.stringMatching(/^[0-9a-f]{64}$/),
        firstBroken: null,
        unlinkedTransactions: 0,
        anchor: null,
        balanceMismatches: [],
        checks: expect.any(Array), // test/periods/verify.test.ts
      });
    }
    expect((await verify(county.fundId)).transactions).toBe(14);
    expect((await verify(township.fundId)).transactions).toBe(13);
    expect((await verify(county.fundId)).headHash).not.toBe((await verify(township.fundId)).headHash);
  });

  it('computes each link exactly as the documented canonical form says, so an auditor can recompute it', async () => {
    const { county, township, cross } = await twoFunds();
    const links = await rows<{ fund_id: string; position: string | number; previous_hash: string; hash: string }>(
      t.database.db,
      sql`select fund_id, position, previous_hash, hash from transaction_chain where transaction_id = ${cross.id} order by fund_id`,
    );
    expect(links.map((l) => l.fund_id).sort()).toEqual([county.fundId, township.fundId].sort());
    for (const link of links) {
      const canonical = JSON.stringify([
        'fund-ledger/chain/v1',
        link.fund_id,
        Number(link.position),
        link.previous_hash,
        cross.id,
        cross.number,
        '2026-03-20',
        '县级拨付乡镇',
        'XF-2026-001',
        null,
        null,
        cross.createdBy,
        cross.lines.map((l: any) => [l.lineNo, l.accountId, l.fundId, l.direction, l.amount, l.memo, l.balanceAfter]),
      ]);
      expect(createHash('sha256').update(canonical, 'utf8').digest('hex')).toBe(link.hash);
    }
    // Each fund's chain follows on from its own previous link.
    const [first] = await rows<{ previous_hash: string }>(
      t.database.db,
      sql`select previous_hash from transaction_chain where fund_id = ${county.fundId} and position = 1`,
    );
    expect(first!.previous_hash).toBe('0'.repeat(64));
  });

  it('names the transaction whose line was altered in SQL, and the balance that no longer adds up', async () => {
    const { county, township, postings } = await twoFunds();
    const victim = postings.filter((p) => p.funds.includes(county.fundId))[5]!;
    const number = (await t.call('GET', `/v1/transactions/${victim.id}`)).body.number;

    await tamper('transaction_lines', sql`update transaction_lines set memo = '改过' where transaction_id = ${victim.id} and line_no = 2`);
    const memoChanged = await verify(county.fundId);
    expect(memoChanged).toMatchObject({
      status: 'broken',
      firstBroken: { transactionId: victim.id, number, position: 6, reason: expect.stringContaining('changed after posting') },
      balanceMismatches: [],
    });
    expect((await verify(township.fundId)).status).toBe('intact');

    await tamper(
      'transaction_lines',
      sql`update transaction_lines set memo = null, amount = amount + 1000 where transaction_id = ${victim.id} and line_no = 1`,
    );
    const amountChanged = await verify(county.fundId);
    expect(amountChanged.firstBroken).toMatchObject({ transactionId: victim.id, position: 6 });
    expect(amountChanged.balanceMismatches).toEqual(
      expect.arrayContaining([
        { invariant: 'stored balance equals the sum of its lines', detail: expect.objectContaining({ account_id: county.accounts.bank }) },
        expect.objectContaining({ invariant: "per-day totals equal the sum of that day's lines" }),
      ]),
    );

    // Put back exactly as it was: the chain recomputes again.
    await tamper('transaction_lines', sql`update transaction_lines set amount = amount - 1000 where transaction_id = ${victim.id} and line_no = 1`);
    await tamper('transaction_lines', sql`update transaction_lines set memo = null where transaction_id = ${victim.id} and line_no = 2`);
    expect((await verify(county.fundId)).status).toBe('intact');
  });

  it('names the transaction whose own fields were altered in SQL', async () => {
    const { township, postings } = await twoFunds();
    const victim = postings.filter((p) => p.funds.includes(township.fundId))[3]!;
    const before = (await t.call('GET', `/v1/transactions/${victim.id}`)).body;
    await tamper('transactions', sql`update transactions set description = '收入 (改)' where id = ${victim.id}`);
    expect((await verify(township.fundId)).firstBroken).toMatchObject({ transactionId: victim.id, number: before.number, position: 4 });
    await tamper('transactions', sql`update transactions set description = ${before.description} where id = ${victim.id}`);
    expect((await verify(township.fundId)).status).toBe('intact');
  });

  it('reports an account balance altered in SQL, with an intact chain', async () => {
    const { county } = await twoFunds();
    await t.database.db.execute(sql`update accounts set balance = balance + 0.01 where id = ${county.accounts.income}`);
    const report = await verify(county.fundId);
    expect(report).toMatchObject({ status: 'broken', firstBroken: null });
    expect(report.balanceMismatches).toEqual(
      expect.arrayContaining([
        { invariant: 'stored balance equals the sum of its lines', detail: expect.objectContaining({ account_id: county.accounts.income }) },
      ]),
    );
    await t.database.db.execute(sql`update accounts set balance = balance - 0.01 where id = ${county.accounts.income}`);
    expect((await verify(county.fundId)).status).toBe('intact');
  });

  it('reports a removed link and a transaction written outside the ledger', async () => {
    const { county } = await twoFunds();
    const [removed] = await rows<Record<string, any>>(
      t.database.db,
      sql`select * from transaction_chain where fund_id = ${county.fundId} and position = 3`,
    );
    await tamper('transaction_chain', sql`delete from transaction_chain where fund_id = ${county.fundId} and position = 3`);
    expect((await verify(county.fundId)).firstBroken).toMatchObject({ position: 4, reason: expect.stringContaining('a link was removed') });
    await t.database.db.execute(sql`insert into transaction_chain (fund_id, position, transaction_id, previous_hash, hash)
      values (${removed!.fund_id}, ${removed!.position}, ${removed!.transaction_id}, ${removed!.previous_hash}, ${removed!.hash})`);
    expect((await verify(county.fundId)).status).toBe('intact');

    // Balanced lines inserted straight into the journal, bypassing postTransaction (and its chain).
    const id = '00000000-0000-4000-8000-00000000beef';
    await t.database.db.transaction(async (tx) => {
      await tx.execute(sql`insert into transactions (id, date, description, created_by) values (${id}, '2026-03-21', '私自记账', 'intruder')`);
      await tx.execute(sql`insert into transaction_lines (transaction_id, line_no, account_id, fund_id, direction, amount, date, balance_after) values
        (${id}, 1, ${county.accounts.expense}, ${county.fundId}, 'debit', 5.00, '2026-03-21', 5.00),
        (${id}, 2, ${county.accounts.bank}, ${county.fundId}, 'credit', 5.00, '2026-03-21', 0.00)`);
    });
    const report = await verify(county.fundId);
    expect(report).toMatchObject({
      status: 'broken',
      unlinkedTransactions: 1,
      firstBroken: { transactionId: id, position: null, reason: expect.stringContaining('written outside the ledger') },
    });
    await tamper('transaction_lines', sql`delete from transaction_lines where transaction_id = ${id}`);
    await tamper('transactions', sql`delete from transactions where id = ${id}`);
    expect((await verify(county.fundId)).status).toBe('intact');
  });

  it('checks that the chain still passes through a head recorded at an earlier audit', async () => {
    const f = await createFund(t);
    await post(transfer('2026-04-01', f.accounts.bank!, f.accounts.income!, '10.00'));
    const earlier = await verify(f.fundId);
    await post(transfer('2026-04-02', f.accounts.bank!, f.accounts.income!, '20.00'));
    const later = await verify(f.fundId, `?at=${earlier.transactions}&hash=${earlier.headHash}`);
    expect(later).toMatchObject({ status: 'intact', transactions: 2, anchor: { position: 1, hash: earlier.headHash, matches: true } });
    expect(later.headHash).not.toBe(earlier.headHash);
    const wrong = await verify(f.fundId, `?at=1&hash=${'ab'.repeat(32)}`);
    expect(wrong).toMatchObject({ status: 'broken', firstBroken: null, anchor: { matches: false } });
    expect((await t.call('GET', `/v1/funds/${f.fundId}/verify?at=1`)).status).toBe(400);
  });

  it('refuses to change or delete a chain link, like the journal itself', async () => {
    const f = await createFund(t);
    await post(transfer('2026-04-01', f.accounts.bank!, f.accounts.income!, '10.00'));
    await expect(t.database.db.execute(sql`update transaction_chain set hash = 'x' where fund_id = ${f.fundId}`)).rejects.toThrow();
    await expect(t.database.db.execute(sql`delete from transaction_chain where fund_id = ${f.fundId}`)).rejects.toThrow();
    expect((await verify(f.fundId)).status).toBe('intact');
  });

  it('links transactions posted before the fund had a chain on its next posting, oldest first', async () => {
    const f: FundFixture = await createFund(t);
    for (const amount of ['1.00', '2.00', '3.00']) await post(transfer('2026-04-01', f.accounts.bank!, f.accounts.income!, amount));
    // As a database from before chains: no links and no head for the fund.
    await tamper('transaction_chain', sql`delete from transaction_chain where fund_id = ${f.fundId}`);
    await t.database.db.execute(sql`delete from fund_chains where fund_id = ${f.fundId}`);
    expect(await verify(f.fundId)).toMatchObject({
      status: 'broken',
      transactions: 0,
      unlinkedTransactions: 3,
      firstBroken: { reason: expect.stringContaining('before the fund\'s journal was chained') },
    });

    await post(transfer('2026-04-02', f.accounts.bank!, f.accounts.income!, '4.00'));
    expect(await verify(f.fundId)).toMatchObject({ status: 'intact', transactions: 4, unlinkedTransactions: 0 });
  });

  it('lets an auditor verify (not a reader: it is a report), and answers 404 for an unknown fund', async () => {
    const f = await createFund(t);
    expect((await t.call('GET', `/v1/funds/${f.fundId}/verify`, { token: await t.keyFor('reader') })).status).toBe(403);
    expect((await t.call('GET', `/v1/funds/${f.fundId}/verify`, { token: await t.keyFor('auditor') })).body).toMatchObject({
      status: 'intact',
      transactions: 0,
      headHash: null,
    });
    expect((await t.call('GET', '/v1/funds/00000000-0000-4000-8000-000000000000/verify')).status).toBe(404);
  });
});
