import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectLedgerIntact, startApp, type TestApp } from '../helpers/app.js';
import { backends } from '../helpers/database.js';
import { createHousehold, createPreventionFund, createVillage, transfer, uniqueCode } from '../helpers/fixtures.js';

describe.each(backends)('accounts and vouchers that belong to operations on $name', (backend) => {
  let t: TestApp;
  let f: Awaited<ReturnType<typeof createPreventionFund>>;
  beforeAll(async () => {
    t = await startApp(backend);
    f = await createPreventionFund(t);
    await t.call('POST', `/v1/funds/${f.fundId}/income`, { body: { source: 'donation', payer: '某银行', date: '2026-01-02', amount: '10000.00' } });
  });
  afterAll(async () => {
    await expectLedgerIntact(t);
    await t.close();
  });

  it('refuses hand-posted lines on chart accounts other than the bank, and writes nothing', async () => {
    const before = (await t.call('GET', `/v1/transactions?fundId=${f.fundId}&limit=500`)).body.items.length;
    for (const role of ['bank_reserved', 'expense:medical_subsidy', 'donation_income', 'village_distribution']) {
      const r = await t.call('POST', '/v1/transactions', { body: transfer('2026-01-03', f.byRole[role]!, f.byRole.bank!, '1.00') });
      expect(r.status, role).toBe(422);
      expect(r.body.code).toBe('reserved_for_operations');
      expect(r.body.detail).toContain(role);
    }
    expect((await t.call('GET', `/v1/transactions?fundId=${f.fundId}&limit=500`)).body.items).toHaveLength(before);
  });

  it("allows adjustments between the bank and the fund's own accounts", async () => {
    const interest = await t.call('POST', `/v1/funds/${f.fundId}/accounts`, { body: { code: uniqueCode('4901'), name: '利息收入', type: 'income' } });
    const r = await t.call('POST', '/v1/transactions', { body: transfer('2026-01-03', f.byRole.bank!, interest.body.id, '12.34', '专户利息') });
    expect(r.status).toBe(201);
  });

  it('refuses a bare reversal of a voucher an operation posted, naming the operation', async () => {
    const receipt = await t.call('GET', `/v1/funds/${f.fundId}/income`);
    const r = await t.call('POST', `/v1/transactions/${receipt.body.items[0].transactionId}/reversal`, { body: { reason: 'undo' } });
    expect(r.status).toBe(422);
    expect(r.body).toMatchObject({ code: 'reserved_for_operations', ownerKind: 'income receipt' });
  });

  it('counts as allocated only what dividends gave a village, also after a release flows back', async () => {
    const [maker, checker] = [await t.keyFor('officer'), await t.keyFor('approver')];
    const village = await createVillage(t, '红星村');
    const industry = await t.call('POST', '/v1/industries', {
      body: { fundId: f.fundId, name: '光伏电站', projectVillageId: village, projectVillageShare: '1', radiatingVillages: [] },
    });
    expect(industry.status).toBe(201);
    expect((await t.call('POST', `/v1/industries/${industry.body.id}/dividends`, { body: { date: '2026-01-20', amount: '1000.00' } })).status).toBe(201);
    const householdId = await createHousehold(t, village);
    const d = await t.call('POST', '/v1/disbursements', {
      body: { fundId: f.fundId, householdId, category: 'medical_subsidy', amount: '300.00', date: '2026-02-01', villageId: village },
      token: maker,
    });
    const approved = await t.call('POST', `/v1/disbursements/${d.body.id}/approve`, { token: checker });
    expect(approved.status).toBe(200);
    const bare = await t.call('POST', `/v1/transactions/${approved.body.approvalTransactionId}/reversal`, { body: { reason: 'x' } });
    expect(bare.body.ownerKind).toBe('disbursement');
    await t.call('POST', `/v1/disbursements/${d.body.id}/fail`, { body: { reason: '户主要求改为现金发放' }, token: checker });

    const allocations = await t.call('GET', `/v1/villages/${village}/allocations`);
    expect(allocations.body.funds).toEqual([expect.objectContaining({ fundId: f.fundId, allocated: '1000.00', spent: '0.00', remaining: '1000.00' })]);

    const paid = await t.call('POST', '/v1/disbursements', {
      body: { fundId: f.fundId, householdId, category: 'medical_subsidy', amount: '250.00', date: '2026-02-02', villageId: village },
      token: maker,
    });
    await t.call('POST', `/v1/disbursements/${paid.body.id}/approve`, { token: checker });
    await t.call('POST', `/v1/disbursements/${paid.body.id}/pay`, { body: { bankReference: 'B-7' }, token: checker });
    const after = await t.call('GET', `/v1/villages/${village}/allocations`);
    expect(after.body.funds).toEqual([expect.objectContaining({ allocated: '1000.00', spent: '250.00', remaining: '750.00' })]);
  });
});
