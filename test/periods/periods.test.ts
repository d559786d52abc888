import { sql } from 'drizzle-orm';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { rows } from '../../src/db/client.js';
import { today } from '../../src/ledger/dates.js';
import { expectLedgerIntact, startApp, type TestApp } from '../helpers/app.js';
import { backends } from '../helpers/database.js';
import { createFund, createHousehold, createPreventionFund, createVillage, type FundFixture, transfer } from '../helpers/fixtures.js';

describe.each(backends)('accounting periods on $name', (backend) => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startApp(backend);
  });
  afterEach(() => {
    vi.useRealTimers();
  });
  afterAll(async () => {
    await expectLedgerIntact(t);
    await t.close();
  });

  const post = async (body: unknown) => {
    const r = await t.call('POST', '/v1/transactions', { body });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body;
  };
  // These funds import no bank statement: every close gives its reason (test/bank covers the refusal).
  const close = (fundId: string, period: string, token?: string) =>
    t.call('POST', `/v1/funds/${fundId}/periods/${period}/close`, { token, body: { reason: '未导入银行对账单' } });
  const reopen = (fundId: string, period: string, reason?: string, token?: string) =>
    t.call('POST', `/v1/funds/${fundId}/periods/${period}/reopen`, { body: reason === undefined ? {} : { reason }, token });
  const closed = async (fundId: string, period: string) => {
    const r = await close(fundId, period);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body;
  };
  const balanceAsOf = async (accountId: string, asOf: string) => (await t.call('GET', `/v1/accounts/${accountId}/balance?asOf=${asOf}`)).body;
  const count = async (table: string) =>
    Number((await rows<{ n: string }>(t.database.db, sql`select count(*)::text as n from ${sql.identifier(table)}`))[0]!.n);
  const eventsOf = async (type: string, fundId: string) =>
    rows<{ payload: Record<string, unknown> }>(t.database.db, sql`select payload from events where type = ${type} and fund_id = ${fundId} order by id`);

  /** A fund with money in March 2025 (two postings) and April 2025 (one). */
  async function fundWithMarch(): Promise<FundFixture & { march: string }> {
    const f = await createFund(t);
    await post(transfer('2025-03-05', f.accounts.bank!, f.accounts.income!, '1000.00', '三月收入'));
    const march = await post(transfer('2025-03-20', f.accounts.expense!, f.accounts.bank!, '300.00', '三月支出'));
    await post(transfer('2025-04-02', f.accounts.bank!, f.accounts.income!, '50.00', '四月收入'));
    return { ...f, march: march.id };
  }

  it("closes a month, storing every account's closing balance: the trial balance at the month's end", async () => {
    const f = await fundWithMarch();
    const r = await closed(f.fundId, '2025-03');
    expect(r).toMatchObject({ fundId: f.fundId, period: '2025-03', status: 'closed', hasPostings: true, closedBy: 'env-admin', reopenedAt: null });
    expect(r.closedAt).toMatch(/^\d{4}-\d{2}-\d{2}T/);

    const tb = (await t.call('GET', `/v1/funds/${f.fundId}/trial-balance?asOf=2025-03-31`)).body;
    expect(r.balances).toEqual(
      tb.accounts.map((a: any) => ({
        accountId: a.accountId,
        code: a.code,
        name: a.name,
        type: a.type,
        debitTotal: a.debitTotal,
        creditTotal: a.creditTotal,
        balance: a.balance,
        balanceSide: a.balanceSide,
      })),
    );
    expect(r.balances.find((b: any) => b.accountId === f.accounts.bank)).toMatchObject({ debitTotal: '1000.00', creditTotal: '300.00', balance: '700.00' });
    expect(r.totals).toEqual({ debitTotal: '1300.00', creditTotal: '1300.00' });
    expect((await t.call('GET', `/v1/funds/${f.fundId}/periods/2025-03`)).body).toEqual(r);
    expect(await eventsOf('period.closed', f.fundId)).toEqual([
      { payload: expect.objectContaining({ period: '2025-03', through: '2025-03-31', accounts: 3, actor: 'env-admin' }) },
    ]);

    const list = await t.call('GET', `/v1/funds/${f.fundId}/periods?limit=3`);
    expect(list.body.items.map((p: any) => [p.period, p.status, p.hasPostings])).toEqual([
      ['2025-03', 'closed', true],
      ['2025-04', 'open', true],
      ['2025-05', 'open', false],
    ]);
    const rest = await t.call('GET', `/v1/funds/${f.fundId}/periods?limit=500&cursor=${list.body.nextCursor}`);
    expect(rest.body.items[0].period).toBe('2025-06');
    expect(rest.body.items.at(-1).period).toBe(today('Asia/Shanghai').slice(0, 7));
  });

  it('refuses every posting dated in a closed month or before it, writing nothing; corrections go in the open period', async () => {
    const f = await fundWithMarch();
    await closed(f.fundId, '2025-03');
    const lines = await count('transaction_lines');

    for (const date of ['2025-03-31', '2025-03-01', '2025-01-10']) {
      const r = await t.call('POST', '/v1/transactions', { body: transfer(date, f.accounts.bank!, f.accounts.income!, '1.00') });
      expect(r.status).toBe(422);
      expect(r.body).toMatchObject({ code: 'period_closed', date, funds: [{ fundId: f.fundId, closedThrough: '2025-03', openFrom: '2025-04-01' }] });
      expect(r.body.detail).toContain('2025-04-01');
    }
    const backdatedReversal = await t.call('POST', `/v1/transactions/${f.march}/reversal`, { body: { reason: '金额有误', date: '2025-03-25' } });
    expect(backdatedReversal.status).toBe(422);
    expect(backdatedReversal.body.code).toBe('period_closed');

    // A transaction touching a closed fund and an open one is refused as a whole.
    const other = await createFund(t, { dueToCounty: { type: 'liability' } });
    const mine = await t.call('POST', `/v1/funds/${f.fundId}/accounts`, { body: { code: 'dueFrom', name: 'due from', type: 'asset' } });
    const across = await t.call('POST', '/v1/transactions', {
      body: {
        date: '2025-03-15',
        description: '跨基金',
        lines: [
          { accountId: mine.body.id, direction: 'debit', amount: '5.00' },
          { accountId: f.accounts.income, direction: 'credit', amount: '5.00' },
          { accountId: other.accounts.bank, direction: 'debit', amount: '5.00' },
          { accountId: other.accounts.dueToCounty, direction: 'credit', amount: '5.00' },
        ],
      },
    });
    expect(across.status).toBe(422);
    expect(across.body.funds).toEqual([expect.objectContaining({ fundId: f.fundId })]);
    expect(await count('transaction_lines')).toBe(lines);

    // The late correction: a reversal dated in the open period, linked to the original.
    const correction = await t.call('POST', `/v1/transactions/${f.march}/reversal`, { body: { reason: '金额有误' } });
    expect(correction.status).toBe(201);
    expect(correction.body).toMatchObject({ reversesTransactionId: f.march, date: today('Asia/Shanghai') });
    expect((await t.call('POST', '/v1/transactions', { body: transfer('2025-04-01', f.accounts.bank!, f.accounts.income!, '1.00') })).status).toBe(201);
    // The closed month's figures did not move.
    expect(await balanceAsOf(f.accounts.bank!, '2025-03-31')).toMatchObject({ balance: '700.00' });
  });

  it('closes months in order, once, and only after they end', async () => {
    const f = await createFund(t);
    await post(transfer('2025-05-10', f.accounts.bank!, f.accounts.income!, '10.00'));
    await post(transfer('2025-06-10', f.accounts.bank!, f.accounts.income!, '20.00'));

    const outOfOrder = await close(f.fundId, '2025-06');
    expect(outOfOrder.status).toBe(409);
    expect(outOfOrder.body).toMatchObject({ code: 'invalid_state', openPeriod: '2025-05' });
    await closed(f.fundId, '2025-05');
    const twice = await close(f.fundId, '2025-05');
    expect(twice.status).toBe(409);
    expect(twice.body.code).toBe('invalid_state');
    await closed(f.fundId, '2025-06');
    // An earlier month without postings was closed with the later one; closing it on its own is harmless.
    expect((await close(f.fundId, '2025-02')).status).toBe(200);

    const current = today('Asia/Shanghai').slice(0, 7);
    for (const period of [current, '2999-01']) {
      const r = await close(f.fundId, period);
      expect(r.status).toBe(422);
      expect(r.body.code).toBe('period_not_ended');
    }
    expect((await close(f.fundId, '2025-13')).status).toBe(400);
    expect((await close('00000000-0000-4000-8000-000000000000', '2025-01')).status).toBe(404);
  });

  it('reopens only the latest closed month, for an admin giving a reason, and then takes postings again', async () => {
    const f = await createFund(t);
    await post(transfer('2025-07-10', f.accounts.bank!, f.accounts.income!, '70.00'));
    await post(transfer('2025-08-10', f.accounts.bank!, f.accounts.income!, '80.00'));
    const officer = await t.keyFor('officer');
    expect((await close(f.fundId, '2025-07', officer)).status).toBe(403);
    await closed(f.fundId, '2025-07');
    await closed(f.fundId, '2025-08');

    expect((await reopen(f.fundId, '2025-08', '漏记一笔收入', officer)).status).toBe(403);
    expect((await reopen(f.fundId, '2025-08')).status).toBe(400);
    expect((await reopen(f.fundId, '2025-08', '   ')).status).toBe(400);
    const notLatest = await reopen(f.fundId, '2025-07', '漏记一笔收入');
    expect(notLatest.status).toBe(409);
    expect(notLatest.body).toMatchObject({ code: 'invalid_state', latestClosed: '2025-08' });
    expect((await reopen(f.fundId, '2025-09', '漏记一笔收入')).body.code).toBe('invalid_state');

    const reopened = await reopen(f.fundId, '2025-08', '漏记一笔收入');
    expect(reopened.status).toBe(200);
    expect(reopened.body).toMatchObject({ status: 'open', reopenedBy: 'env-admin', reopenReason: '漏记一笔收入', balances: [] });
    expect(await eventsOf('period.reopened', f.fundId)).toEqual([
      { payload: expect.objectContaining({ period: '2025-08', reason: '漏记一笔收入', actor: 'env-admin' }) },
    ]);

    expect((await t.call('POST', '/v1/transactions', { body: transfer('2025-08-20', f.accounts.bank!, f.accounts.income!, '8.00') })).status).toBe(201);
    const july = await t.call('POST', '/v1/transactions', { body: transfer('2025-07-20', f.accounts.bank!, f.accounts.income!, '7.00') });
    expect(july.body.code).toBe('period_closed');

    const again = await closed(f.fundId, '2025-08');
    expect(again.balances.find((b: any) => b.accountId === f.accounts.bank).balance).toBe('158.00');
    expect(again.reopenReason).toBe('漏记一笔收入');
  });

  it('reads balances as of a day in a closed month from the snapshot, equal to the sum of the days', async () => {
    const f = await createFund(t);
    const days = ['2025-09-03', '2025-09-17', '2025-09-30', '2025-10-01', '2025-10-15', '2025-11-02'];
    for (const [i, date] of days.entries()) {
      await post(transfer(date, f.accounts.bank!, f.accounts.income!, `${(i + 1) * 100}.10`));
      await post(transfer(date, f.accounts.expense!, f.accounts.bank!, `${i + 1}.05`));
    }
    const asOf = ['2025-09-02', '2025-09-17', '2025-09-30', '2025-10-14', '2025-10-31', '2025-11-01', '2025-11-30'];
    const read = async () => ({
      balances: await Promise.all(asOf.map((d) => balanceAsOf(f.accounts.bank!, d))),
      trial: await Promise.all(
        asOf.map(async (d) => {
          const tb = (await t.call('GET', `/v1/funds/${f.fundId}/trial-balance?asOf=${d}`)).body;
          return { accounts: tb.accounts, totals: tb.totals };
        }),
      ),
    });
    const open = await read();
    expect(open.balances.map((b) => b.balance)).toEqual(['0.00', '297.10', '594.15', '990.20', '1485.25', '1485.25', '2079.30']);

    expect(open.trial[2]!.accounts.find((a: any) => a.accountId === f.accounts.bank)).toMatchObject({ balance: '594.15' });
    await closed(f.fundId, '2025-09');
    const october = await closed(f.fundId, '2025-10');
    expect(await read()).toEqual(open);
    expect(october.balances.find((b: any) => b.accountId === f.accounts.bank)).toMatchObject({ balance: '1485.25' });

    // The closed month is read from its snapshot, not from the days: a changed snapshot shows through.
    await t.database.db.execute(sql`update period_balances set debit_total = debit_total + 1, balance = balance + 1
                                     where account_id = ${f.accounts.bank} and period = '2025-10'`);
    expect((await balanceAsOf(f.accounts.bank!, '2025-11-01')).balance).toBe('1486.25');
    expect((await balanceAsOf(f.accounts.bank!, '2025-10-14')).balance).toBe('990.20');
    await t.database.db.execute(sql`update period_balances set debit_total = debit_total - 1, balance = balance - 1
                                     where account_id = ${f.accounts.bank} and period = '2025-10'`);
    expect(await read()).toEqual(open);
  });

  it('refuses a dividend dated in a closed month and writes nothing', async () => {
    const f = await createPreventionFund(t);
    const [P, A] = [await createVillage(t, '项目村'), await createVillage(t, '辐射村')];
    const industry = await t.call('POST', '/v1/industries', {
      body: { fundId: f.fundId, name: '某县肉牛养殖有限公司', projectVillageId: P, radiatingVillages: [{ villageId: A }], projectVillageShare: '0.40' },
    });
    expect(industry.status).toBe(201);
    const dividend = (date: string) => t.call('POST', `/v1/industries/${industry.body.id}/dividends`, { body: { date, amount: '1000.00' } });
    expect((await dividend('2025-02-10')).status).toBe(201);
    await closed(f.fundId, '2025-02');

    const before = { dividends: await count('dividends'), transactions: await count('transactions'), events: await count('events') };
    const refused = await dividend('2025-02-20');
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ code: 'period_closed', funds: [{ fundId: f.fundId, closedThrough: '2025-02' }] });
    expect({ dividends: await count('dividends'), transactions: await count('transactions'), events: await count('events') }).toEqual(before);
    expect((await dividend('2025-03-05')).status).toBe(201);
  });

  it('refuses an approval or a payment whose posting would fall in a closed month, and writes nothing', async () => {
    // Approvals and payments post dated today, and the current month cannot be closed: only a clock
    // running behind (here moved by hand) can date one in a closed month. Only Date is faked.
    vi.useFakeTimers({ toFake: ['Date'] });
    const at = (day: string) => vi.setSystemTime(new Date(`${day}T04:00:00Z`));
    at('2025-05-20');
    const f = await createPreventionFund(t);
    const income = await t.call('POST', `/v1/funds/${f.fundId}/income`, {
      body: { source: 'donation', payer: '某银行', date: '2025-05-02', amount: '10000.00' },
    });
    expect(income.status).toBe(201);
    const householdId = await createHousehold(t, await createVillage(t));
    const [maker, checker] = [await t.keyFor('officer'), await t.keyFor('approver')];
    const requested = await t.call('POST', '/v1/disbursements', {
      body: { fundId: f.fundId, householdId, category: 'medical_subsidy', amount: '500.00', date: '2025-05-20' },
      token: maker,
    });
    expect(requested.status, JSON.stringify(requested.body)).toBe(201);
    const id = requested.body.id;
    const state = async () => ({
      status: (await t.call('GET', `/v1/disbursements/${id}`)).body.status,
      transactions: await count('transactions'),
      bank: (await t.call('GET', `/v1/accounts/${f.byRole.bank}`)).body.balance,
    });

    at('2025-06-02');
    await closed(f.fundId, '2025-05');
    at('2025-05-31');
    const before = await state();
    const approval = await t.call('POST', `/v1/disbursements/${id}/approve`, { token: checker });
    expect(approval.status).toBe(422);
    expect(approval.body.code).toBe('period_closed');
    expect(await state()).toEqual(before);
    at('2025-06-02');
    expect((await t.call('POST', `/v1/disbursements/${id}/approve`, { token: checker })).status).toBe(200);

    at('2025-07-01');
    await closed(f.fundId, '2025-06');
    at('2025-06-30');
    const approved = await state();
    expect(approved.status).toBe('approved');
    const payment = await t.call('POST', `/v1/disbursements/${id}/pay`, { body: { bankReference: 'YKT-2025-06-0001' }, token: checker });
    expect(payment.status).toBe(422);
    expect(payment.body.code).toBe('period_closed');
    expect(await state()).toEqual(approved);
    at('2025-07-01');
    const paid = await t.call('POST', `/v1/disbursements/${id}/pay`, { body: { bankReference: 'YKT-2025-06-0001' }, token: checker });
    expect(paid.status).toBe(200);
    expect(paid.body.status).toBe('paid');
  });

  it('lets readers list and read periods, and answers 404 for an unknown fund', async () => {
    const f = await createFund(t);
    const reader = await t.keyFor('reader');
    const list = await t.call('GET', `/v1/funds/${f.fundId}/periods`, { token: reader });
    expect(list.status).toBe(200);
    // A fund with no postings lists only the current month.
    expect(list.body).toEqual({ items: [expect.objectContaining({ period: today('Asia/Shanghai').slice(0, 7), status: 'open' })], nextCursor: null });
    expect((await t.call('GET', `/v1/funds/${f.fundId}/periods/2025-01`, { token: reader })).body).toMatchObject({ status: 'open', balances: [] });
    expect((await t.call('GET', '/v1/funds/00000000-0000-4000-8000-000000000000/periods')).status).toBe(404);
  });
});
