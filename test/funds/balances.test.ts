import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectLedgerIntact, startApp, type TestApp } from '../helpers/app.js';
import { backends } from '../helpers/database.js';
import { createFund, type FundFixture, transfer } from '../helpers/fixtures.js';

describe.each(backends)('balances, entries and trial balance on $name', (backend) => {
  let t: TestApp;
  let f: FundFixture;
  const post = (body: object) => t.call('POST', '/v1/transactions', { body });

  beforeAll(async () => {
    t = await startApp(backend);
    f = await createFund(t, { donation: { type: 'income' } });
    // Posted out of date order: the third is back-dated before the second.
    await post(transfer('2025-03-10', f.accounts.bank!, f.accounts.income!, '88000.00', '2025 分红'));
    await post(transfer('2026-03-10', f.accounts.bank!, f.accounts.income!, '100000.00', '2026 分红'));
    await post(transfer('2025-12-31', f.accounts.bank!, f.accounts.donation!, '2500000.00', '银行捐赠'));
    await post(transfer('2026-04-01', f.accounts.expense!, f.accounts.bank!, '30000.00', '防贫保理赔'));
  });
  afterAll(async () => {
    await expectLedgerIntact(t);
    await t.close();
  });

  it('answers the balance at the end of a day by accounting date, back-dated lines included', async () => {
    const at = async (asOf: string) => (await t.call('GET', `/v1/accounts/${f.accounts.bank}/balance?asOf=${asOf}`)).body;
    expect(await at('2025-03-09')).toMatchObject({ balance: '0.00', debitTotal: '0.00', creditTotal: '0.00' });
    expect(await at('2025-03-10')).toMatchObject({ balance: '88000.00' });
    expect(await at('2025-12-31')).toMatchObject({ balance: '2588000.00' });
    expect(await at('2026-03-31')).toMatchObject({ balance: '2688000.00', debitTotal: '2688000.00' });
    expect(await at('2026-04-01')).toMatchObject({ balance: '2658000.00', creditTotal: '30000.00' });
    const today = await t.call('GET', `/v1/accounts/${f.accounts.bank}/balance`);
    expect(today.body.balance).toBe('2658000.00');
    expect(today.body.asOf).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect((await t.call('GET', `/v1/accounts/${f.accounts.bank}/balance?asOf=2026-13-01`)).status).toBe(400);
  });

  it('lists entries in posting order with the running balance, paging by a cursor that survives new postings', async () => {
    const first = await t.call('GET', `/v1/accounts/${f.accounts.bank}/entries?limit=2`);
    expect(first.body.items.map((e: any) => [e.date, e.direction, e.amount, e.balanceAfter])).toEqual([
      ['2025-03-10', 'debit', '88000.00', '88000.00'],
      ['2026-03-10', 'debit', '100000.00', '188000.00'],
    ]);
    expect(first.body.nextCursor).toEqual(expect.any(String));

    await post(transfer('2026-04-02', f.accounts.expense!, f.accounts.bank!, '1000.00', 'arrives while paging'));
    const second = await t.call('GET', `/v1/accounts/${f.accounts.bank}/entries?limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body.items.map((e: any) => [e.description, e.balanceAfter])).toEqual([
      ['银行捐赠', '2688000.00'],
      ['防贫保理赔', '2658000.00'],
    ]);
    const third = await t.call('GET', `/v1/accounts/${f.accounts.bank}/entries?limit=2&cursor=${second.body.nextCursor}`);
    expect(third.body.items.map((e: any) => e.description)).toEqual(['arrives while paging']);
    expect(third.body.nextCursor).toBeNull();

    const dated = await t.call('GET', `/v1/accounts/${f.accounts.bank}/entries?from=2026-01-01&to=2026-03-31`);
    expect(dated.body.items.map((e: any) => e.description)).toEqual(['2026 分红']);
  });

  it('lists transactions by fund and date, in posting order', async () => {
    const other = await createFund(t);
    await post(transfer('2026-03-15', other.accounts.bank!, other.accounts.income!, '1.00'));
    const list = await t.call('GET', `/v1/transactions?fundId=${f.fundId}&from=2026-01-01`);
    expect(list.body.items.map((x: any) => x.description)).toEqual(['2026 分红', '防贫保理赔', 'arrives while paging']);
    const numbers = list.body.items.map((x: any) => x.number);
    expect([...numbers].sort((a, b) => a - b)).toEqual(numbers);
  });

  it('gives a trial balance whose debit and credit sides are equal, as of any day', async () => {
    const tb = await t.call('GET', `/v1/funds/${f.fundId}/trial-balance?asOf=2026-04-01`);
    expect(tb.status).toBe(200);
    expect(tb.body.totals).toEqual({
      debitTotal: '2718000.00',
      creditTotal: '2718000.00',
      debitBalances: '2688000.00',
      creditBalances: '2688000.00',
    });
    expect(tb.body.balanced).toBe(true);
    const income = tb.body.accounts.find((a: any) => a.code === 'income');
    expect(income).toMatchObject({ balance: '188000.00', balanceSide: 'credit' });
    const early = await t.call('GET', `/v1/funds/${f.fundId}/trial-balance?asOf=2025-06-30`);
    expect(early.body.totals.debitTotal).toBe('88000.00');
  });
});
