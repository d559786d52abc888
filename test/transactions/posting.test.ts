import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/client.js';
import { expectLedgerIntact, startApp, type TestApp } from '../helpers/app.js';
import { backends } from '../helpers/database.js';
import { createFund, type FundFixture, transfer } from '../helpers/fixtures.js';

describe.each(backends)('posting transactions on $name', (backend) => {
  let t: TestApp;
  let f: FundFixture;
  const journalSize = async () =>
    (await rows<{ n: string }>(t.database.db, sql`select count(*)::text as n from transaction_lines`))[0]!.n;

  beforeAll(async () => {
    t = await startApp(backend);
    f = await createFund(t, { grant: { type: 'asset', noOverdraft: false } });
  });
  afterAll(async () => {
    await expectLedgerIntact(t);
    await t.close();
  });

  it('posts a balanced transaction and moves both balances', async () => {
    const posted = await t.call('POST', '/v1/transactions', {
      body: { ...transfer('2026-01-15', f.accounts.bank!, f.accounts.income!, '132000.00', '牛场分红'), reference: 'BANK-001' },
    });
    expect(posted.status).toBe(201);
    expect(posted.body).toMatchObject({
      date: '2026-01-15',
      description: '牛场分红',
      reference: 'BANK-001',
      reversesTransactionId: null,
      reversedByTransactionId: null,
      lines: [
        { lineNo: 1, accountId: f.accounts.bank, direction: 'debit', amount: '132000.00', balanceAfter: '132000.00' },
        { lineNo: 2, accountId: f.accounts.income, direction: 'credit', amount: '132000.00', balanceAfter: '132000.00' },
      ],
    });
    const fetched = await t.call('GET', `/v1/transactions/${posted.body.id}`);
    expect(fetched.body).toEqual(posted.body);
    const bank = await t.call('GET', `/v1/accounts/${f.accounts.bank}`);
    expect(bank.body).toMatchObject({ balance: '132000.00', debitTotal: '132000.00', creditTotal: '0.00', normalSide: 'debit' });
  });

  it('keeps exact decimals where binary floating point would drift', async () => {
    const fund = await createFund(t);
    for (let i = 0; i < 10; i++) {
      const r = await t.call('POST', '/v1/transactions', { body: transfer('2026-01-15', fund.accounts.bank!, fund.accounts.income!, '0.10') });
      expect(r.status).toBe(201);
    }
    const bank = await t.call('GET', `/v1/accounts/${fund.accounts.bank}`);
    expect(bank.body.balance).toBe('1.00');
    const big = await t.call('POST', '/v1/transactions', {
      body: transfer('2026-01-15', fund.accounts.bank!, fund.accounts.income!, '9999999999999.99'),
    });
    expect(big.status).toBe(201);
    expect((await t.call('GET', `/v1/accounts/${fund.accounts.bank}`)).body.balance).toBe('10000000000000.99');
  });

  it('refuses a transaction whose debits and credits differ, and writes nothing', async () => {
    const before = await journalSize();
    const r = await t.call('POST', '/v1/transactions', {
      body: {
        date: '2026-01-16',
        description: 'wrong',
        lines: [
          { accountId: f.accounts.bank, direction: 'debit', amount: '100.00' },
          { accountId: f.accounts.income, direction: 'credit', amount: '99.99' },
        ],
      },
    });
    expect(r.status).toBe(422);
    expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(r.body).toMatchObject({ code: 'unbalanced_transaction', status: 422, funds: [{ debit: '100.00', credit: '99.99' }] });
    expect(await journalSize()).toBe(before);
  });

  it('balances per fund: a transfer between funds needs due-to and due-from accounts in each', async () => {
    const county = await createFund(t, { dueFromTownship: { type: 'asset' } });
    const township = await createFund(t, { dueToCounty: { type: 'liability' } });
    await t.call('POST', '/v1/transactions', { body: transfer('2026-02-01', county.accounts.bank!, county.accounts.income!, '500.00') });

    // Balanced overall, but each fund on its own is not.
    const naive = await t.call('POST', '/v1/transactions', {
      body: transfer('2026-02-02', township.accounts.bank!, county.accounts.bank!, '200.00'),
    });
    expect(naive.status).toBe(422);
    expect(naive.body.code).toBe('unbalanced_transaction');
    expect(naive.body.funds).toHaveLength(2);

    const proper = await t.call('POST', '/v1/transactions', {
      body: {
        date: '2026-02-02',
        description: '县级拨付乡镇',
        lines: [
          { accountId: county.accounts.dueFromTownship, direction: 'debit', amount: '200.00', memo: 'county side' },
          { accountId: county.accounts.bank, direction: 'credit', amount: '200.00' },
          { accountId: township.accounts.bank, direction: 'debit', amount: '200.00' },
          { accountId: township.accounts.dueToCounty, direction: 'credit', amount: '200.00' },
        ],
      },
    });
    expect(proper.status).toBe(201);
    expect((await t.call('GET', `/v1/accounts/${county.accounts.bank}`)).body.balance).toBe('300.00');
    expect((await t.call('GET', `/v1/accounts/${township.accounts.bank}`)).body.balance).toBe('200.00');
  });

  it('refuses to overdraw a no-overdraft account, naming the shortfall, and writes nothing', async () => {
    const fund = await createFund(t);
    await t.call('POST', '/v1/transactions', { body: transfer('2026-03-01', fund.accounts.bank!, fund.accounts.income!, '100.00') });
    const before = await journalSize();
    const r = await t.call('POST', '/v1/transactions', { body: transfer('2026-03-02', fund.accounts.expense!, fund.accounts.bank!, '100.01') });
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ code: 'insufficient_funds', accounts: [{ accountId: fund.accounts.bank, balance: '100.00', shortfall: '0.01' }] });
    expect(await journalSize()).toBe(before);
    expect((await t.call('GET', `/v1/accounts/${fund.accounts.bank}`)).body.balance).toBe('100.00');

    const exact = await t.call('POST', '/v1/transactions', { body: transfer('2026-03-02', fund.accounts.expense!, fund.accounts.bank!, '100.00') });
    expect(exact.status).toBe(201);
    expect((await t.call('GET', `/v1/accounts/${fund.accounts.bank}`)).body.balance).toBe('0.00');
  });

  it('lets an account without the limit go below zero', async () => {
    const r = await t.call('POST', '/v1/transactions', { body: transfer('2026-03-03', f.accounts.expense!, f.accounts.grant!, '10.00') });
    expect(r.status).toBe(201);
    expect((await t.call('GET', `/v1/accounts/${f.accounts.grant}`)).body.balance).toBe('-10.00');
  });

  it.each([
    ['a JSON number', 100],
    ['an exponent', '1e3'],
    ['three decimals', '1.005'],
    ['a negative amount', '-1'],
    ['zero', '0'],
    ['zero with decimals', '0.00'],
    ['an empty string', ''],
    ['surrounding whitespace', ' 10.00'],
    ['a leading plus', '+10'],
    ['a leading zero', '010.00'],
    ['a thousands separator', '1,000.00'],
    ['more than the maximum', '10000000000000.00'],
    ['a trailing dot', '10.'],
  ])('refuses %s as an amount with a clear message', async (_label, amount) => {
    const before = await journalSize();
    const r = await t.call('POST', '/v1/transactions', {
      body: {
        date: '2026-01-15',
        description: 'bad amount',
        lines: [
          { accountId: f.accounts.bank, direction: 'debit', amount },
          { accountId: f.accounts.income, direction: 'credit', amount: '1.00' },
        ],
      },
    });
    expect(r.status).toBe(400);
    expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(r.body.code).toBe('validation_failed');
    expect(r.body.detail).toMatch(/lines\/0\/amount/);
    expect(await journalSize()).toBe(before);
  });

  it.each([
    ['one line', { lines: 'one' }],
    ['a date that is not a day', { date: '2026-02-30' }],
    ['an unknown field', { extra: true }],
    ['a blank description', { description: '   ' }],
    ['a bad direction', { direction: 'up' }],
  ])('refuses %s', async (_label, change) => {
    const body: any = transfer('2026-01-15', f.accounts.bank!, f.accounts.income!, '1.00');
    if ('lines' in change) body.lines = body.lines.slice(0, 1);
    else if ('direction' in change) body.lines[0].direction = change.direction;
    else Object.assign(body, change);
    const r = await t.call('POST', '/v1/transactions', { body });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('validation_failed');
  });

  it('refuses an unknown account and a future date', async () => {
    const unknown = await t.call('POST', '/v1/transactions', {
      body: transfer('2026-01-15', '00000000-0000-4000-8000-000000000000', f.accounts.income!, '1.00'),
    });
    expect(unknown.status).toBe(422);
    expect(unknown.body.code).toBe('unknown_account');
    const future = await t.call('POST', '/v1/transactions', { body: transfer('2999-01-01', f.accounts.bank!, f.accounts.income!, '1.00') });
    expect(future.status).toBe(422);
    expect(future.body.code).toBe('date_in_future');
  });

  it('enforces immutability and the overdraft limit in the database itself', async () => {
    const [line] = await rows<{ id: string; transaction_id: string }>(t.database.db, sql`select id::text, transaction_id from transaction_lines limit 1`);
    await expect(t.database.db.execute(sql`update transaction_lines set amount = 1 where id = ${line!.id}`)).rejects.toThrow();
    await expect(t.database.db.execute(sql`delete from transaction_lines where id = ${line!.id}`)).rejects.toThrow();
    await expect(t.database.db.execute(sql`update transactions set description = 'edited' where id = ${line!.transaction_id}`)).rejects.toThrow();
    await expect(t.database.db.execute(sql`delete from transactions where id = ${line!.transaction_id}`)).rejects.toThrow();
    await expect(t.database.db.execute(sql`truncate transaction_lines`)).rejects.toThrow();
    await expect(t.database.db.execute(sql`update accounts set balance = -1 where id = ${f.accounts.bank}`)).rejects.toThrow();
  });

  it("keeps the journal's references in the database itself: voucher, account of the line's fund, and what they refer to", async () => {
    const [line] = await rows<{ transaction_id: string; account_id: string; fund_id: string }>(
      t.database.db,
      sql`select transaction_id, account_id, fund_id from transaction_lines limit 1`,
    );
    const insert = (transactionId: string, accountId: string, fundId: string) =>
      t.database.db.execute(sql`insert into transaction_lines (transaction_id, line_no, account_id, fund_id, direction, amount, date, balance_after)
                                values (${transactionId}, 99, ${accountId}, ${fundId}, 'debit', 1, '2026-01-15', 1)`);
    // The database's own refusal (drizzle wraps it): a foreign-key violation, saying what is missing.
    const refusal = (query: Promise<unknown>) =>
      query.then(
        () => ({ code: 'none', message: 'accepted' }),
        (e: { cause?: { code: string; message: string } }) => e.cause ?? { code: 'unknown', message: String(e) },
      );
    const nowhere = '00000000-0000-4000-8000-000000000000';
    expect(await refusal(insert(nowhere, line!.account_id, line!.fund_id))).toMatchObject({ code: '23503', message: expect.stringMatching(/transaction .* does not exist/) });
    expect(await refusal(insert(line!.transaction_id, nowhere, line!.fund_id))).toMatchObject({ code: '23503', message: expect.stringMatching(/account .* does not exist/) });
    // An account that exists, named with a fund it is not of.
    const other = await t.call('POST', '/v1/funds', { body: { code: 'OTHER-REF', name: '另一基金', organisation: '某乡', purpose: '测试' } });
    expect(await refusal(insert(line!.transaction_id, line!.account_id, other.body.id))).toMatchObject({ code: '23503', message: expect.stringMatching(/account .* does not exist/) });
    const kept = { code: '23503', message: expect.stringMatching(/never deleted/) };
    expect(await refusal(t.database.db.execute(sql`delete from accounts where id = ${line!.account_id}`))).toMatchObject(kept);
    expect(await refusal(t.database.db.execute(sql`update accounts set fund_id = ${other.body.id} where id = ${line!.account_id}`))).toMatchObject(kept);
    expect(await refusal(t.database.db.execute(sql`delete from funds where id = ${line!.fund_id}`))).toMatchObject(kept);
    await expect(t.database.db.execute(sql`truncate accounts cascade`)).rejects.toThrow();
  });
});
