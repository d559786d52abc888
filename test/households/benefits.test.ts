import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { expectLedgerIntact, startApp, type TestApp } from '../helpers/app.js';
import { backends } from '../helpers/database.js';
import { createHousehold, createPreventionFund, createVillage } from '../helpers/fixtures.js';

describe.each(backends)('household benefits across funds on $name', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(backend);
  });
  afterAll(async () => {
    await expectLedgerIntact(t);
    await t.close();
  });

  it('lists paid subsidies and insurance payouts from two funds, not returned payments, with totals by category', async () => {
    const [maker, checker] = [await t.keyFor('officer'), await t.keyFor('approver')];
    const village = await createVillage(t);
    const householdId = await createHousehold(t, village, '2025-01-01', '王秀兰');

    const township = await createPreventionFund(t);
    await t.call('POST', `/v1/funds/${township.fundId}/income`, {
      body: { source: 'fiscal_transfer', payer: '县财政局', date: '2026-01-02', amount: '10000.00' },
    });
    const pay = async (category: string, amount: string, bankReference: string) => {
      const d = await t.call('POST', '/v1/disbursements', {
        body: { fundId: township.fundId, householdId, category, amount, date: '2026-02-01' },
        token: maker,
      });
      expect((await t.call('POST', `/v1/disbursements/${d.body.id}/approve`, { token: checker })).status).toBe(200);
      expect((await t.call('POST', `/v1/disbursements/${d.body.id}/pay`, { body: { bankReference }, token: checker })).status).toBe(200);
      return d.body.id as string;
    };
    await pay('medical_subsidy', '3000.00', 'B-1');
    await pay('living_allowance', '300.00', 'B-2');
    const returned = await pay('living_allowance', '300.00', 'B-3');
    await t.call('POST', `/v1/disbursements/${returned}/fail`, { body: { reason: '一卡通账户已注销，银行退回' }, token: checker });

    const county = await createPreventionFund(t, { allowedCategories: ['insurance'] });
    await t.call('POST', `/v1/funds/${county.fundId}/income`, { body: { source: 'donation', payer: '某银行', date: '2026-01-02', amount: '50000.00' } });
    const policy = await t.call('POST', '/v1/insurance-policies', {
      body: { fundId: county.fundId, insurer: '某保险公司', premium: '50000.00', coverFrom: '2026-01-01', coverTo: '2026-12-31', coveredPopulation: '全县农业人口' },
    });
    await t.call('POST', `/v1/insurance-policies/${policy.body.id}/premium`, { body: { date: '2026-01-05', amount: '50000.00' } });
    const claim = await t.call('POST', '/v1/insurance-claims', {
      body: { policyId: policy.body.id, householdId, cause: 'illness', date: '2026-03-01', amountClaimed: '30000.00' },
      token: maker,
    });
    await t.call('POST', `/v1/insurance-claims/${claim.body.id}/approve`, { body: { amountApproved: '30000.00' }, token: checker });
    expect(
      (await t.call('POST', `/v1/insurance-claims/${claim.body.id}/pay`, { body: { payoutReference: 'INS-9', date: '2026-03-10' }, token: checker })).status,
    ).toBe(200);

    const benefits = await t.call('GET', `/v1/households/${householdId}/benefits`);
    expect(benefits.status).toBe(200);
    expect(benefits.body.items.map((b: any) => [b.kind, b.category, b.amount, b.reference])).toEqual(
      expect.arrayContaining([
        ['disbursement', 'medical_subsidy', '3000.00', 'B-1'],
        ['disbursement', 'living_allowance', '300.00', 'B-2'],
        ['insurance_claim', 'insurance', '30000.00', 'INS-9'],
      ]),
    );
    expect(benefits.body.items).toHaveLength(3);
    expect(new Set(benefits.body.items.map((b: any) => b.fundId))).toEqual(new Set([township.fundId, county.fundId]));
    expect(benefits.body.totalsByCategory).toEqual([
      { category: 'insurance', count: 1, amount: '30000.00' },
      { category: 'living_allowance', count: 1, amount: '300.00' },
      { category: 'medical_subsidy', count: 1, amount: '3000.00' },
    ]);
    expect(benefits.body.total).toBe('33300.00');

    // Dated by the payment: the claim was paid on 2026-03-10.
    const march = await t.call('GET', `/v1/households/${householdId}/benefits?from=2026-03-01&to=2026-03-31`);
    expect(march.body.items.map((b: any) => b.kind)).toEqual(['insurance_claim']);

    // Other systems read it with a reader key.
    const reader = await t.keyFor('reader');
    expect((await t.call('GET', `/v1/households/${householdId}/benefits`, { token: reader })).body.total).toBe('33300.00');
  });

  it("keeps a month's benefits and notice as printed when the bank returns a payment the next month", async () => {
    const [maker, checker] = [await t.keyFor('officer'), await t.keyFor('approver')];
    const village = await createVillage(t, '白水村');
    const householdId = await createHousehold(t, village, '2025-01-01', '周小平');
    const fund = await createPreventionFund(t);
    await t.call('POST', `/v1/funds/${fund.fundId}/income`, { body: { source: 'donation', payer: '某银行', date: '2026-01-02', amount: '5000.00' } });
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(new Date('2026-11-15T04:00:00Z'));
      const d = await t.call('POST', '/v1/disbursements', {
        body: { fundId: fund.fundId, householdId, category: 'living_allowance', amount: '300.00', date: '2026-11-15' },
        token: maker,
      });
      await t.call('POST', `/v1/disbursements/${d.body.id}/approve`, { token: checker });
      expect((await t.call('POST', `/v1/disbursements/${d.body.id}/pay`, { body: { bankReference: 'NOV' }, token: checker })).status).toBe(200);
      const november = `from=2026-11-01&to=2026-11-30`;
      const notice = await t.call('GET', `/v1/villages/${village}/notice?${november}`);
      expect(notice.status).toBe(200);

      vi.setSystemTime(new Date('2026-12-05T04:00:00Z'));
      expect((await t.call('POST', `/v1/disbursements/${d.body.id}/fail`, { body: { reason: '银行退回' }, token: checker })).status).toBe(200);
      expect((await t.call('GET', `/v1/households/${householdId}/benefits?${november}`)).body.total).toBe('300.00');
      expect((await t.call('GET', `/v1/households/${householdId}/benefits?from=2026-11-01&to=2026-12-31`)).body.total).toBe('0.00');
      const verified = await t.call('POST', '/v1/statements/verify', {
        body: { kind: 'notice', params: { villageId: village, from: '2026-11-01', to: '2026-11-30' }, digest: notice.body.digest },
      });
      expect(verified.body.valid).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
});
