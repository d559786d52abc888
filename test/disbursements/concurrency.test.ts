import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectLedgerIntact, startApp, type TestApp } from '../helpers/app.js';
import { realPostgres } from '../helpers/database.js';
import { createHousehold, createVillage } from '../helpers/fixtures.js';
import { fundedPreventionFund, moneyOf, PAY_DATE } from './setup.js';

// PGlite has one connection: concurrency can only be shown on a real server.
describe.skipIf(!realPostgres)('concurrent disbursement approvals on real PostgreSQL', () => {
  let t: TestApp;
  let maker: string;
  let checker: string;
  let villageId: string;

  beforeAll(async () => {
    t = await startApp(realPostgres!);
    maker = await t.keyFor('officer');
    checker = await t.keyFor('approver');
    villageId = await createVillage(t);
  });
  afterAll(async () => {
    await expectLedgerIntact(t);
    await t.close();
  });

  const request = async (body: Record<string, unknown>) => {
    const r = await t.call('POST', '/v1/disbursements', { body: { category: 'medical_subsidy', date: PAY_DATE, ...body }, token: maker });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    return r.body.id as string;
  };
  const approveAll = (ids: string[]) => Promise.all(ids.map((id) => t.call('POST', `/v1/disbursements/${id}/approve`, { token: checker })));

  it('never overspends: of 8 simultaneous approvals of 300.00 from 1000.00, exactly 3 succeed', async () => {
    const f = await fundedPreventionFund(t, '1000.00');
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) ids.push(await request({ fundId: f.fundId, householdId: await createHousehold(t, villageId), amount: '300.00' }));
    const replies = await approveAll(ids);
    expect(replies.filter((r) => r.status === 200)).toHaveLength(3);
    expect(replies.filter((r) => r.status === 422 && r.body.code === 'insufficient_funds')).toHaveLength(5);
    expect(await moneyOf(t, f)).toEqual({ bank: '100.00', reserved: '900.00', expense: '0.00' });
    const approved = await t.call('GET', `/v1/disbursements?fundId=${f.fundId}&status=approved`);
    expect(approved.body.items).toHaveLength(3);
  });

  it('never crosses a cap: of 8 simultaneous approvals of 300.00 for one household capped at 1000.00, exactly 3 succeed', async () => {
    const f = await fundedPreventionFund(t, '100000.00', { yearlyCaps: { medical_subsidy: '1000.00' } });
    const householdId = await createHousehold(t, villageId);
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) ids.push(await request({ fundId: f.fundId, householdId, amount: '300.00' }));
    const replies = await approveAll(ids);
    expect(replies.filter((r) => r.status === 200)).toHaveLength(3);
    const refused = replies.filter((r) => r.status === 422 && r.body.code === 'over_cap');
    expect(refused).toHaveLength(5);
    expect(refused.every((r) => r.body.remaining === '100.00')).toBe(true);
    expect(await moneyOf(t, f)).toMatchObject({ reserved: '900.00' });
  });

  it('approves batches sharing households at the same time without deadlock', async () => {
    const f = await fundedPreventionFund(t, '100000.00');
    const shared: string[] = [];
    for (let i = 0; i < 10; i++) shared.push(await createHousehold(t, villageId));
    const batches: string[] = [];
    for (let b = 0; b < 4; b++) {
      // Each batch lists the same households in another order.
      const order = b % 2 ? [...shared].reverse() : shared;
      const r = await t.call('POST', '/v1/disbursement-batches', {
        token: maker,
        body: { fundId: f.fundId, date: PAY_DATE, items: order.map((householdId) => ({ householdId, amount: '10.00' })) },
      });
      expect(r.status).toBe(201);
      batches.push(r.body.id);
    }
    // Single approvals for the same households race the batches too.
    const singles: string[] = [];
    for (const householdId of shared.slice(0, 4)) singles.push(await request({ fundId: f.fundId, householdId, amount: '5.00' }));
    const replies = await Promise.all([
      ...batches.map((id) => t.call('POST', `/v1/disbursement-batches/${id}/approve`, { token: checker })),
      ...singles.map((id) => t.call('POST', `/v1/disbursements/${id}/approve`, { token: checker })),
    ]);
    expect(replies.map((r) => r.status)).toEqual(replies.map(() => 200));
    expect(await moneyOf(t, f, 'living_allowance')).toMatchObject({ reserved: '420.00' });
  });
});
