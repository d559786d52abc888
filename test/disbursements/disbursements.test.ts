import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, expectLedgerIntact, startApp, type TestApp } from '../helpers/app.js';
import { backends } from '../helpers/database.js';
import { allocateToVillage, createHousehold, createVillage } from '../helpers/fixtures.js';
import { balanceOf, eventTypes, fundedPreventionFund, moneyOf, PAY_DATE, type PreventionFund, written } from './setup.js';

describe.each(backends)('disbursements on $name', (backend) => {
  let t: TestApp;
  let maker: string;
  let checker: string;
  let villageId: string;

  beforeAll(async () => {
    t = await startApp(backend);
    maker = await t.keyFor('officer');
    checker = await t.keyFor('approver');
    villageId = await createVillage(t);
  });
  afterAll(async () => {
    await expectLedgerIntact(t);
    await t.close();
  });

  const request = (body: Record<string, unknown>, token = maker) => t.call('POST', '/v1/disbursements', { body, token });
  const approve = (id: string, token = checker) => t.call('POST', `/v1/disbursements/${id}/approve`, { token });
  const pay = (id: string, bankReference = 'YKT-2025-06-0001') => t.call('POST', `/v1/disbursements/${id}/pay`, { body: { bankReference }, token: checker });
  const fail = (id: string, reason = '一卡通账户已销户，银行退回') => t.call('POST', `/v1/disbursements/${id}/fail`, { body: { reason }, token: checker });
  const medical = (f: PreventionFund, householdId: string, amount: string, extra: Record<string, unknown> = {}) => ({
    fundId: f.fundId,
    householdId,
    category: 'medical_subsidy',
    amount,
    date: PAY_DATE,
    ...extra,
  });

  /** Requests and approves; fails the test if either is refused. */
  async function approved(f: PreventionFund, householdId: string, amount: string, extra: Record<string, unknown> = {}) {
    const r = await request(medical(f, householdId, amount, extra));
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    const a = await approve(r.body.id);
    expect(a.status, JSON.stringify(a.body)).toBe(200);
    return a.body;
  }

  it('requests, approves and pays a medical subsidy, reserving then spending the money', async () => {
    const f = await fundedPreventionFund(t, '10000.00');
    const householdId = await createHousehold(t, villageId);

    const requested = await request(medical(f, householdId, '3000.00'));
    expect(requested.status).toBe(201);
    expect(requested.body).toMatchObject({
      fundId: f.fundId,
      householdId,
      villageId: null,
      category: 'medical_subsidy',
      amount: '3000.00',
      date: PAY_DATE,
      status: 'requested',
      batchId: null,
      approvalTransactionId: null,
    });
    expect(await moneyOf(t, f)).toEqual({ bank: '10000.00', reserved: '0.00', expense: '0.00' });

    const ok = await approve(requested.body.id);
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ status: 'approved', approvedBy: expect.any(String), paymentTransactionId: null });
    expect(ok.body.approvedBy).not.toBe(requested.body.requestedBy);
    expect(await moneyOf(t, f)).toEqual({ bank: '7000.00', reserved: '3000.00', expense: '0.00' });
    const reservation = await t.call('GET', `/v1/transactions/${ok.body.approvalTransactionId}`);
    expect(reservation.body.reference).toBe(requested.body.id);
    expect(reservation.body.lines).toMatchObject([
      { accountId: f.byRole.bank_reserved, direction: 'debit', amount: '3000.00' },
      { accountId: f.byRole.bank, direction: 'credit', amount: '3000.00' },
    ]);

    const paid = await pay(requested.body.id, 'YKT-2025-06-0042');
    expect(paid.status).toBe(200);
    expect(paid.body).toMatchObject({ status: 'paid', bankReference: 'YKT-2025-06-0042', failureTransactionId: null });
    expect(await moneyOf(t, f)).toEqual({ bank: '7000.00', reserved: '0.00', expense: '3000.00' });
    const payment = await t.call('GET', `/v1/transactions/${paid.body.paymentTransactionId}`);
    expect(payment.body.reference).toBe('YKT-2025-06-0042');
    expect(payment.body.lines).toMatchObject([
      { accountId: f.byRole['expense:medical_subsidy'], direction: 'debit', amount: '3000.00' },
      { accountId: f.byRole.bank_reserved, direction: 'credit', amount: '3000.00' },
    ]);
    expect(payment.body.description).toContain(paid.body.householdCode);
    expect(payment.body.lines.map((l: any) => l.memo)).toEqual([
      `${paid.body.householdCode} · disbursement ${paid.body.id}`,
      `${paid.body.householdCode} · disbursement ${paid.body.id}`,
    ]);

    expect((await t.call('GET', `/v1/disbursements/${requested.body.id}`)).body).toEqual(paid.body);
    expect(await eventTypes(t, requested.body.id)).toEqual(['disbursement.requested', 'disbursement.approved', 'disbursement.paid']);
  });

  it('refuses approval or payment by the key that requested it (maker–checker), writing nothing', async () => {
    const f = await fundedPreventionFund(t);
    const householdId = await createHousehold(t, villageId);
    const r = await request(medical(f, householdId, '100.00'));
    const byAdmin = await request(medical(f, householdId, '100.00'), ADMIN_TOKEN);
    const before = await written(t);
    // An officer cannot approve at all; an admin, who can do both, never approves what it requested.
    const byOfficer = await approve(r.body.id, maker);
    expect(byOfficer.status).toBe(403);
    expect(byOfficer.body.code).toBe('forbidden');
    const self = await approve(byAdmin.body.id, ADMIN_TOKEN);
    expect(self.status).toBe(403);
    expect(self.body.code).toBe('approver_is_requester');
    expect(await written(t)).toEqual(before);
    expect((await approve(r.body.id, checker)).status).toBe(200);
    // Approved by another key, it is still not the requester's to pay.
    expect((await approve(byAdmin.body.id, checker)).status).toBe(200);
    const selfPaid = await t.call('POST', `/v1/disbursements/${byAdmin.body.id}/pay`, { body: { bankReference: 'B-1' } });
    expect(selfPaid.body.code).toBe('approver_is_requester');
    expect((await t.call('POST', `/v1/disbursements/${byAdmin.body.id}/pay`, { body: { bankReference: 'B-1' }, token: checker })).status).toBe(200);
  });

  describe('refuses a request, naming the reason and writing nothing', () => {
    let f: PreventionFund;
    beforeAll(async () => {
      f = await fundedPreventionFund(t);
    });

    const refused = async (body: Record<string, unknown>, status: number, code: string) => {
      const before = await written(t);
      const r = await request(body);
      expect(r.status, JSON.stringify(r.body)).toBe(status);
      expect(r.body.code).toBe(code);
      expect(await written(t)).toEqual(before);
      return r.body;
    };

    it('for a household that does not exist', async () => {
      await refused(medical(f, randomUUID(), '100.00'), 422, 'unknown_household');
    });

    it('for a household not monitored on the payment date', async () => {
      const never = await createHousehold(t, villageId, null);
      await refused(medical(f, never, '100.00'), 422, 'not_monitored');
      const later = await createHousehold(t, villageId, '2025-07-01');
      const body = await refused(medical(f, later, '100.00'), 422, 'not_monitored');
      expect(body.detail).toContain(PAY_DATE);
    });

    it('for a category the fund may not pay (专款专用)', async () => {
      const householdId = await createHousehold(t, villageId);
      const body = await refused({ ...medical(f, householdId, '100.00'), category: 'education_aid' }, 422, 'category_not_allowed');
      expect(body.allowedCategories).toContain('medical_subsidy');
    });

    it('for insurance, whose payouts are claims against a policy, though the fund may pay insurance', async () => {
      expect(f.fund.allowedCategories).toContain('insurance');
      const householdId = await createHousehold(t, villageId);
      const body = await refused({ ...medical(f, householdId, '100.00'), category: 'insurance' }, 422, 'category_not_allowed');
      expect(body.detail).toContain('claims against a policy (POST /v1/insurance-claims)');
    });

    it('for a payment date after today, an unknown fund or village, and a malformed amount', async () => {
      const householdId = await createHousehold(t, villageId);
      await refused({ ...medical(f, householdId, '100.00'), date: '2999-01-01' }, 422, 'date_in_future');
      await refused({ ...medical(f, householdId, '100.00'), fundId: randomUUID() }, 404, 'not_found');
      await refused(medical(f, householdId, '100.00', { villageId: randomUUID() }), 422, 'unknown_village');
      await refused(medical(f, householdId, '1.005'), 400, 'validation_failed');
      await refused({ ...medical(f, householdId, '100.00'), amount: 100 }, 400, 'validation_failed');
    });
  });

  describe('refuses wrong steps with a reason and writes nothing', () => {
    let f: PreventionFund;
    let householdId: string;
    beforeAll(async () => {
      f = await fundedPreventionFund(t, '1000.00');
      householdId = await createHousehold(t, villageId);
    });

    const refusedStep = async (step: () => Promise<{ status: number; body: any }>, status: number, code: string) => {
      const before = await written(t);
      const r = await step();
      expect(r.status, JSON.stringify(r.body)).toBe(status);
      expect(r.body.code).toBe(code);
      expect(await written(t)).toEqual(before);
    };

    it('paying what is not approved, paying twice, approving twice, acting on a failed one', async () => {
      const r = await request(medical(f, householdId, '100.00'));
      await refusedStep(() => pay(r.body.id), 409, 'not_approved');
      expect((await approve(r.body.id)).status).toBe(200);
      await refusedStep(() => approve(r.body.id), 409, 'invalid_state');
      expect((await pay(r.body.id)).status).toBe(200);
      await refusedStep(() => pay(r.body.id), 409, 'already_paid');
      await refusedStep(() => approve(r.body.id), 409, 'invalid_state');
      expect((await fail(r.body.id)).status).toBe(200);
      await refusedStep(() => fail(r.body.id), 409, 'invalid_state');
      await refusedStep(() => pay(r.body.id), 409, 'invalid_state');
      await refusedStep(() => approve(r.body.id), 409, 'invalid_state');
      await refusedStep(() => approve(randomUUID()), 404, 'not_found');
    });

    it('approving more than the available bank balance (insufficient_funds)', async () => {
      const available = await balanceOf(t, f.byRole.bank!);
      const r = await request(medical(f, householdId, '5000.00'));
      expect(r.status).toBe(201);
      const before = await written(t);
      const refused = await approve(r.body.id);
      expect(refused.status).toBe(422);
      expect(refused.body.code).toBe('insufficient_funds');
      expect(refused.body.detail).toContain(available);
      expect(refused.body.accounts).toMatchObject([{ accountId: f.byRole.bank, balance: available }]);
      expect(await written(t)).toEqual(before);
      expect((await t.call('GET', `/v1/disbursements/${r.body.id}`)).body.status).toBe('requested');
    });

    it('approving for a household no longer monitored on the payment date', async () => {
      const leaving = await createHousehold(t, villageId);
      const r = await request(medical(f, leaving, '100.00'));
      const out = await t.call('POST', `/v1/households/${leaving}/monitoring/eliminate`, { body: { date: '2025-03-01', reason: '收入稳定，风险消除' } });
      expect(out.status).toBe(200);
      await refusedStep(() => approve(r.body.id), 422, 'not_monitored');
    });

    it('approving a category the fund no longer allows', async () => {
      const g = await fundedPreventionFund(t);
      const r = await request(medical(g, householdId, '100.00'));
      await t.call('PATCH', `/v1/funds/${g.fundId}`, { body: { allowedCategories: ['living_allowance'] } });
      await refusedStep(() => approve(r.body.id), 422, 'category_not_allowed');
    });
  });

  describe('pays only a household still monitored on the day the money moves', () => {
    let f: PreventionFund;
    beforeAll(async () => {
      f = await fundedPreventionFund(t, '10000.00', { yearlyCaps: { medical_subsidy: '1000.00' } });
    });
    const BENEFIT_DAY = '2024-03-01';
    const backDated = (householdId: string, amount = '500.00') => request(medical(f, householdId, amount, { date: BENEFIT_DAY }));
    const eliminate = async (householdId: string) => {
      const r = await t.call('POST', `/v1/households/${householdId}/monitoring/eliminate`, { body: { date: '2025-01-01', reason: '收入稳定，风险消除' } });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
    };

    it('refuses to approve a back-dated payment to a household that has left monitoring since', async () => {
      const householdId = await createHousehold(t, villageId, '2024-01-01');
      await eliminate(householdId);
      // Monitored on the day the benefit is for, so the request itself is taken.
      const r = await backDated(householdId);
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      const before = await written(t);
      const refused = await approve(r.body.id);
      expect(refused.status).toBe(422);
      expect(refused.body).toMatchObject({ code: 'not_monitored', householdId, benefitDate: BENEFIT_DAY });
      expect(refused.body.detail).toContain('not monitored today');
      expect(refused.body.detail).toContain(BENEFIT_DAY);
      expect(await written(t)).toEqual(before);
    });

    it('refuses to pay an approved back-dated payment once the household has left monitoring; failing it releases the money', async () => {
      const householdId = await createHousehold(t, villageId, '2024-01-01');
      const money = await moneyOf(t, f);
      const r = await backDated(householdId);
      expect((await approve(r.body.id)).status).toBe(200);
      await eliminate(householdId);
      const before = await written(t);
      const refused = await pay(r.body.id);
      expect(refused.status).toBe(422);
      expect(refused.body.code).toBe('not_monitored');
      expect(refused.body.detail).toContain('when the payment is posted');
      expect(await written(t)).toEqual(before);
      expect((await fail(r.body.id, '已销号')).status).toBe(200);
      expect(await moneyOf(t, f)).toEqual(money);
    });

    it('pays a back-dated benefit to a household monitored then and now, counting it in the year it is for', async () => {
      const householdId = await createHousehold(t, villageId, '2024-01-01');
      const r = await backDated(householdId, '1000.00');
      expect((await approve(r.body.id)).status).toBe(200);
      const paid = await pay(r.body.id);
      expect(paid.status).toBe(200);
      expect(paid.body).toMatchObject({ status: 'paid', date: BENEFIT_DAY });
      // Vouchers are dated the day they are posted; the benefit keeps its own date for the cap.
      expect((await t.call('GET', `/v1/transactions/${paid.body.paymentTransactionId}`)).body.date).not.toBe(BENEFIT_DAY);
      const over = await request(medical(f, householdId, '0.01', { date: '2024-06-01' }));
      expect(over.body).toMatchObject({ code: 'over_cap', year: 2024, remaining: '0.00' });
      expect((await request(medical(f, householdId, '1000.00'))).status).toBe(201);
    });
  });

  describe('fails at each stage', () => {
    let f: PreventionFund;
    let householdId: string;
    beforeAll(async () => {
      f = await fundedPreventionFund(t, '10000.00');
      householdId = await createHousehold(t, villageId);
    });

    it('requested: simply failed, nothing posted', async () => {
      const r = await request(medical(f, householdId, '200.00'));
      const money = await moneyOf(t, f);
      const before = await written(t);
      const failed = await fail(r.body.id, '重复申请');
      expect(failed.status).toBe(200);
      expect(failed.body).toMatchObject({ status: 'failed', failureReason: '重复申请', failureTransactionId: null, approvalTransactionId: null });
      expect((await written(t)).transactions).toBe(before.transactions);
      expect(await moneyOf(t, f)).toEqual(money);
      expect(await eventTypes(t, r.body.id)).toEqual(['disbursement.requested', 'disbursement.failed']);
    });

    it('approved: the reservation is released by a linked reversal', async () => {
      const money = await moneyOf(t, f);
      const a = await approved(f, householdId, '300.00');
      expect((await moneyOf(t, f)).reserved).not.toBe(money.reserved);
      const failed = await fail(a.id, '户主信息有误');
      expect(failed.status).toBe(200);
      expect(failed.body.status).toBe('failed');
      expect(await moneyOf(t, f)).toEqual(money);
      const release = await t.call('GET', `/v1/transactions/${failed.body.failureTransactionId}`);
      expect(release.body).toMatchObject({ reversesTransactionId: a.approvalTransactionId, reversalReason: '户主信息有误' });
      expect(release.body.lines).toMatchObject([
        { accountId: f.byRole.bank_reserved, direction: 'credit', amount: '300.00' },
        { accountId: f.byRole.bank, direction: 'debit', amount: '300.00' },
      ]);
      expect((await t.call('GET', `/v1/transactions/${a.approvalTransactionId}`)).body.reversedByTransactionId).toBe(release.body.id);
    });

    it('paid: the bank’s return is posted as a new transaction referring to the disbursement', async () => {
      const money = await moneyOf(t, f);
      const a = await approved(f, householdId, '400.00');
      await pay(a.id);
      expect(await moneyOf(t, f)).toMatchObject({ reserved: money.reserved });
      const failed = await fail(a.id, '银行退回：账户冻结');
      expect(failed.status).toBe(200);
      expect(failed.body).toMatchObject({ status: 'failed', paymentTransactionId: expect.any(String), failureReason: '银行退回：账户冻结' });
      expect(await moneyOf(t, f)).toEqual(money);
      const returned = await t.call('GET', `/v1/transactions/${failed.body.failureTransactionId}`);
      expect(returned.body).toMatchObject({ reference: a.id, reversesTransactionId: null });
      expect(returned.body.description).toContain(a.householdCode);
      expect(returned.body.lines[0].memo).toBe(`${a.householdCode} · disbursement ${a.id}`);
      expect(returned.body.lines).toMatchObject([
        { accountId: f.byRole.bank, direction: 'debit', amount: '400.00' },
        { accountId: f.byRole['expense:medical_subsidy'], direction: 'credit', amount: '400.00' },
      ]);
      expect(await eventTypes(t, a.id)).toEqual(['disbursement.requested', 'disbursement.approved', 'disbursement.paid', 'disbursement.failed']);
    });
  });

  describe('yearly caps', () => {
    let f: PreventionFund;
    beforeAll(async () => {
      f = await fundedPreventionFund(t, '50000.00', { yearlyCaps: { medical_subsidy: '5000.00' } });
    });

    it('counts approved and paid payments of the year, not requested or failed ones, and names the remaining allowance', async () => {
      const householdId = await createHousehold(t, villageId, '2024-01-01');
      const paid = await approved(f, householdId, '3000.00');
      await pay(paid.id);
      const returned = await approved(f, householdId, '1000.00');
      await pay(returned.id);
      await fail(returned.id);
      const pending = await request(medical(f, householdId, '1500.00'));
      expect(pending.status).toBe(201);

      const before = await written(t);
      const over = await request(medical(f, householdId, '2500.00'));
      expect(over.status).toBe(422);
      expect(over.body).toMatchObject({ code: 'over_cap', cap: '5000.00', used: '3000.00', remaining: '2000.00', amount: '2500.00', year: 2025 });
      expect(over.body.detail).toContain('2000.00 remains');
      expect(await written(t)).toEqual(before);

      // Exactly up to the cap is allowed; then the pending request no longer fits at approval.
      await approved(f, householdId, '2000.00');
      const late = await approve(pending.body.id);
      expect(late.status).toBe(422);
      expect(late.body).toMatchObject({ code: 'over_cap', remaining: '0.00', amount: '1500.00' });

      // Another calendar year has its own cap; another category has none.
      expect((await request({ ...medical(f, householdId, '5000.00'), date: '2024-06-15' })).status).toBe(201);
      expect((await request({ ...medical(f, householdId, '9000.00'), category: 'temporary_relief' })).status).toBe(201);
    });

    it('counts per household', async () => {
      const a = await createHousehold(t, villageId);
      const b = await createHousehold(t, villageId);
      await approved(f, a, '5000.00');
      expect((await request(medical(f, a, '0.01'))).body.code).toBe('over_cap');
      expect((await request(medical(f, b, '5000.00'))).status).toBe(201);
    });
  });

  describe('paying from a village allocation', () => {
    let f: PreventionFund;
    let village: string;
    let allocation: string;
    beforeAll(async () => {
      f = await fundedPreventionFund(t, '20000.00');
      village = await createVillage(t, '红星村');
      allocation = await allocateToVillage(t, f.fundId, village, '1000.00');
    });

    it('spends the allocation on approval and gives it back when the bank returns the payment', async () => {
      const householdId = await createHousehold(t, village);
      expect(await balanceOf(t, allocation)).toBe('1000.00');
      const distributed = await balanceOf(t, f.byRole.village_distribution!);
      const a = await approved(f, householdId, '600.00', { villageId: village });
      expect(a.villageId).toBe(village);
      expect(await balanceOf(t, allocation)).toBe('400.00');
      const reservation = await t.call('GET', `/v1/transactions/${a.approvalTransactionId}`);
      expect(reservation.body.lines).toMatchObject([
        { accountId: f.byRole.bank_reserved, direction: 'debit', amount: '600.00' },
        { accountId: f.byRole.bank, direction: 'credit', amount: '600.00' },
        { accountId: allocation, direction: 'debit', amount: '600.00' },
        { accountId: f.byRole.village_distribution, direction: 'credit', amount: '600.00' },
      ]);
      expect((await pay(a.id)).status).toBe(200);
      expect(await balanceOf(t, allocation)).toBe('400.00');

      const failed = await fail(a.id);
      expect(failed.status).toBe(200);
      expect(await balanceOf(t, allocation)).toBe('1000.00');
      expect(await balanceOf(t, f.byRole.village_distribution!)).toBe(distributed);
    });

    it('refuses a household of another village', async () => {
      const elsewhere = await createHousehold(t, villageId);
      const before = await written(t);
      const r = await request(medical(f, elsewhere, '100.00', { villageId: village }));
      expect(r.status).toBe(422);
      expect(r.body).toMatchObject({ code: 'village_mismatch', householdId: elsewhere, villageId: village });
      expect(await written(t)).toEqual(before);
    });

    it('refuses to spend more than the village was allocated, though the bank has more', async () => {
      const householdId = await createHousehold(t, village);
      const left = await balanceOf(t, allocation);
      const r = await request(medical(f, householdId, '1000.01', { villageId: village }));
      expect(r.status).toBe(201);
      const before = await written(t);
      const refused = await approve(r.body.id);
      expect(refused.status).toBe(422);
      expect(refused.body.code).toBe('insufficient_funds');
      expect(refused.body.accounts).toMatchObject([{ accountId: allocation, balance: left }]);
      expect(refused.body.detail).toContain('红星村');
      expect(await written(t)).toEqual(before);
    });

    it('refuses to pay from a village with no allocation in the fund', async () => {
      const poor = await createVillage(t, '无分配村');
      const householdId = await createHousehold(t, poor);
      const r = await request(medical(f, householdId, '10.00', { villageId: poor }));
      const before = await written(t);
      const refused = await approve(r.body.id);
      expect(refused.status).toBe(422);
      expect(refused.body.code).toBe('insufficient_funds');
      expect(refused.body.detail).toContain('no allocation');
      expect(await written(t)).toEqual(before);
    });
  });

  it('lists the payment register by household, status, category and date, page by page', async () => {
    const f = await fundedPreventionFund(t);
    const householdId = await createHousehold(t, villageId);
    const dates = ['2025-03-01', '2025-04-01', '2025-05-01', '2025-06-01'];
    const ids: string[] = [];
    for (const date of dates) ids.push((await request({ ...medical(f, householdId, '10.00'), date })).body.id);
    await request({ ...medical(f, householdId, '10.00'), category: 'temporary_relief' });
    await approve(ids[1]!);

    const all = await t.call('GET', `/v1/disbursements?householdId=${householdId}&category=medical_subsidy`);
    expect(all.body.items.map((d: any) => d.id)).toEqual(ids);
    expect(all.body.items[0].householdCode).toMatch(/^H-/);
    const approvedOnly = await t.call('GET', `/v1/disbursements?fundId=${f.fundId}&status=approved`);
    expect(approvedOnly.body.items.map((d: any) => d.id)).toEqual([ids[1]]);
    const window = await t.call('GET', `/v1/disbursements?householdId=${householdId}&from=2025-04-01&to=2025-05-31`);
    expect(window.body.items.map((d: any) => d.id)).toEqual([ids[1], ids[2]]);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const pageReply: { body: any } = await t.call('GET', `/v1/disbursements?fundId=${f.fundId}&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...pageReply.body.items.map((d: any) => d.id));
      cursor = pageReply.body.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(5);
    expect(seen.slice(0, 4)).toEqual(ids);
    expect((await t.call('GET', '/v1/disbursements?cursor=bogus')).body.code).toBe('validation_failed');
  });

  it('replays an approval sent twice with one Idempotency-Key and reserves once', async () => {
    const f = await fundedPreventionFund(t, '1000.00');
    const householdId = await createHousehold(t, villageId);
    const r = await request(medical(f, householdId, '100.00'));
    const headers = { 'idempotency-key': `approve-${r.body.id}` };
    const first = await t.call('POST', `/v1/disbursements/${r.body.id}/approve`, { token: checker, headers });
    const again = await t.call('POST', `/v1/disbursements/${r.body.id}/approve`, { token: checker, headers });
    expect(again.status).toBe(200);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(await moneyOf(t, f)).toMatchObject({ bank: '900.00', reserved: '100.00' });
  });

  it('lets readers look but not pay', async () => {
    const reader = await t.keyFor('reader');
    const r = await t.call('POST', '/v1/disbursements', { token: reader, body: {} });
    expect(r.status).toBe(403);
    expect((await t.call('GET', '/v1/disbursements', { token: reader })).status).toBe(200);
  });
});
