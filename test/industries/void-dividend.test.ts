import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/client.js';
import { expectLedgerIntact, startApp, type TestApp } from '../helpers/app.js';
import { backends } from '../helpers/database.js';
import { createHousehold, createPreventionFund, uniqueCode } from '../helpers/fixtures.js';

// 作废分红: a dividend recorded with a wrong amount is voided through the dividend itself — a linked reversal
// of its voucher and its village allocations — unless money allocated from it has been spent.
describe.each(backends)('voiding a dividend on $name', (backend) => {
  let t: TestApp;
  let officer: string;
  let approver: string;
  const OFFICER = '乡财政所 王𪚥';

  beforeAll(async () => {
    t = await startApp(backend);
    officer = (await t.call('POST', '/v1/api-keys', { body: { name: OFFICER, role: 'officer', scopes: { all: true } } })).body.token;
    approver = await t.keyFor('approver');
  });
  afterAll(async () => {
    await expectLedgerIntact(t);
    await t.close();
  });

  /** A prevention fund with an industry whose project village P takes 40 % and radiating village R 60 %. */
  async function industry() {
    const fund = await createPreventionFund(t);
    const prefix = uniqueCode('VD');
    const village = async (suffix: string) =>
      (await t.call('POST', '/v1/villages', { body: { code: `${prefix}-${suffix}`, name: `${suffix}村`, township: '某乡', county: '某县' } })).body.id as string;
    const [P, R] = [await village('P'), await village('R')];
    const created = await t.call('POST', '/v1/industries', {
      body: { fundId: fund.fundId, name: '某县肉牛养殖有限公司', projectVillageId: P, radiatingVillages: [{ villageId: R }], projectVillageShare: '0.40' },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    return { ...fund, P, R, industryId: created.body.id as string };
  }
  const record = (industryId: string, amount: string, date = '2025-03-01') =>
    t.call('POST', `/v1/industries/${industryId}/dividends`, { body: { date, amount, reference: '分红-错' }, token: officer });
  const voidIt = (industryId: string, dividendId: string, reason = '金额录错，应为 13,200.00', headers?: Record<string, string>) =>
    t.call('POST', `/v1/industries/${industryId}/dividends/${dividendId}/void`, { body: { reason }, token: officer, headers });
  const allocated = async (villageId: string, fundId: string) =>
    (await t.call('GET', `/v1/villages/${villageId}/allocations`)).body.funds.find((f: any) => f.fundId === fundId);
  const balance = async (accountId: string) => (await t.call('GET', `/v1/accounts/${accountId}`)).body.balance as string;
  const written = async () =>
    (
      await rows<Record<string, string>>(
        t.database.db,
        sql`select (select count(*) from transactions)::text as transactions, (select count(*) from events)::text as events,
                   (select count(*) from dividends where void_transaction_id is not null)::text as voided`,
      )
    )[0];

  it('reverses the voucher and the village allocations, and the dividend says voided, by whom and why', async () => {
    const s = await industry();
    const wrong = await record(s.industryId, '132000.00');
    expect(wrong.status, JSON.stringify(wrong.body)).toBe(201);
    expect(wrong.body).toMatchObject({ status: 'recorded', voidTransactionId: null, voidedByName: null });
    expect(await allocated(s.P, s.fundId)).toMatchObject({ allocated: '52800.00', remaining: '52800.00' });

    const voided = await voidIt(s.industryId, wrong.body.dividendId);
    expect(voided.status, JSON.stringify(voided.body)).toBe(200);
    expect(voided.body).toMatchObject({ status: 'voided', voidedByName: OFFICER, voidReason: '金额录错，应为 13,200.00', amount: '132000.00' });
    const reversal = (await t.call('GET', `/v1/transactions/${voided.body.voidTransactionId}`)).body;
    expect(reversal.reversesTransactionId).toBe(wrong.body.transactionId);
    expect(reversal.reversalReason).toContain('金额录错');
    expect((await t.call('GET', `/v1/transactions/${wrong.body.transactionId}`)).body.reversedByTransactionId).toBe(reversal.id);

    // The villages count it no more; the money is out of the bank and the allocations again.
    expect(await allocated(s.P, s.fundId)).toMatchObject({ allocated: '0.00', spent: '0.00', remaining: '0.00' });
    expect(await allocated(s.R, s.fundId)).toMatchObject({ allocated: '0.00', remaining: '0.00' });
    expect(await balance(s.byRole.bank!)).toBe('0.00');
    // As of the day before the void it still stood.
    const yesterday = new Date(Date.parse(`${t.app.ctx.today()}T00:00:00Z`) - 86_400_000).toISOString().slice(0, 10);
    const before = (await t.call('GET', `/v1/villages/${s.P}/allocations?asOf=${yesterday}`)).body.funds.find((f: any) => f.fundId === s.fundId);
    expect(before).toMatchObject({ allocated: '52800.00' });

    // The village's statement shows the split and its void, not money spent.
    const statement = (await t.call('GET', `/v1/villages/${s.P}/statement?from=2025-01-01&to=${t.app.ctx.today()}`)).body;
    expect(statement.funds.find((f: any) => f.fundId === s.fundId)).toMatchObject({ allocated: '0.00', spent: '0.00', remaining: '0.00' });
    expect(statement.dividends.map((d: any) => [d.date, d.amount, d.voidOf])).toEqual([
      ['2025-03-01', '52800.00', null],
      [t.app.ctx.today(), '-52800.00', '2025-03-01'],
    ]);

    const listed = (await t.call('GET', `/v1/industries/${s.industryId}/dividends`)).body.items;
    expect(listed.map((d: any) => [d.amount, d.status])).toEqual([['132000.00', 'voided']]);
    const feed = (await t.call('GET', '/v1/events?limit=500')).body.items.filter((e: any) => e.subjectId === wrong.body.dividendId);
    expect(feed.map((e: any) => e.type)).toEqual(['dividend.recorded', 'dividend.voided']);

    // The right figure is recorded anew; voiding twice is refused and writes nothing.
    expect((await record(s.industryId, '13200.00')).status).toBe(201);
    const at = await written();
    const again = await voidIt(s.industryId, wrong.body.dividendId);
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('invalid_state');
    expect(await written()).toEqual(at);
  });

  it('is refused, writing nothing, once money allocated from it has been spent', async () => {
    const s = await industry();
    const d = await record(s.industryId, '1000.00');
    // The project village's 400.00: 300.00 of it approved for a household of the village.
    const household = await createHousehold(t, s.P);
    const request = await t.call('POST', '/v1/disbursements', {
      body: { fundId: s.fundId, householdId: household, category: 'living_allowance', amount: '300.00', date: '2025-06-15', villageId: s.P },
      token: officer,
    });
    expect(request.status, JSON.stringify(request.body)).toBe(201);
    expect((await t.call('POST', `/v1/disbursements/${request.body.id}/approve`, { token: approver })).status).toBe(200);

    const at = await written();
    const refused = await voidIt(s.industryId, d.body.dividendId);
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe('insufficient_funds');
    expect(refused.body.detail).toContain('P村');
    expect(refused.body.detail).toContain('has been spent');
    expect(await written()).toEqual(at);
    expect((await t.call('GET', `/v1/industries/${s.industryId}/dividends`)).body.items[0]).toMatchObject({ status: 'recorded' });
  });

  it('answers 404 for a dividend of another industry and 400 without a reason', async () => {
    const a = await industry();
    const b = await industry();
    const d = await record(a.industryId, '100.00');
    expect((await voidIt(b.industryId, d.body.dividendId)).status).toBe(404);
    const bare = await t.call('POST', `/v1/industries/${a.industryId}/dividends/${d.body.dividendId}/void`, { body: {}, token: officer });
    expect(bare.status).toBe(400);
    expect(bare.headers['content-type']).toContain('application/problem+json');
    // A reader may not void.
    const reader = await t.keyFor('reader');
    expect((await t.call('POST', `/v1/industries/${a.industryId}/dividends/${d.body.dividendId}/void`, { body: { reason: '错' }, token: reader })).status).toBe(403);
  });
});
