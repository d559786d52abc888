import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/client.js';
import { expectLedgerIntact, startApp, type TestApp } from '../helpers/app.js';
import { backends, realPostgres } from '../helpers/database.js';
import { createHousehold, createPreventionFund, createVillage, uniqueCode } from '../helpers/fixtures.js';

describe.each(backends)('poverty-prevention insurance (防贫保) on $name', (backend) => {
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

  const balance = async (accountId: string) => (await t.call('GET', `/v1/accounts/${accountId}`)).body.balance as string;
  const policyOf = async (policyId: string) => (await t.call('GET', `/v1/insurance-policies/${policyId}`)).body;
  const count = async (table: string) =>
    Number((await rows<{ n: string }>(t.database.db, sql`select count(*)::text as n from ${sql.identifier(table)}`))[0]!.n);
  /** What a refused request must leave untouched. */
  const written = async () => ({
    transactions: await count('transactions'),
    movements: await count('insurance_movements'),
    claims: await count('insurance_claims'),
    events: await count('events'),
  });
  const eventTypes = async (subjectId: string) =>
    (await rows<{ type: string }>(t.database.db, sql`select type from events where subject_id = ${subjectId} order by id`)).map((e) => e.type);

  const newPolicy = (fundId: string, extra: Record<string, unknown> = {}) =>
    t.call('POST', '/v1/insurance-policies', {
      body: {
        fundId,
        insurer: '某保险公司某县支公司',
        policyNumber: uniqueCode('FPB'),
        premium: '2500000.00',
        coverFrom: '2026-01-01',
        coverTo: '2026-12-31',
        coveredPopulation: '全县农业人口',
        ...extra,
      },
    });

  /** A fund that received a donation and paid it as the premium of a 2026 policy. */
  async function insuredFund(donation = '2500000.00', premium = donation) {
    const fund = await createPreventionFund(t);
    await t.call('POST', `/v1/funds/${fund.fundId}/income`, { body: { source: 'donation', payer: '某银行', date: '2026-01-05', amount: donation } });
    const policy = (await newPolicy(fund.fundId, { premium })).body;
    const paid = await t.call('POST', `/v1/insurance-policies/${policy.id}/premium`, { body: { date: '2026-01-10', amount: premium } });
    if (paid.status !== 201) throw new Error(JSON.stringify(paid.body));
    return { ...fund, policy };
  }

  const fileClaim = async (policyId: string, householdId: string, amountClaimed = '30000.00', date = '2026-06-15') => {
    const r = await t.call('POST', '/v1/insurance-claims', {
      body: { policyId, householdId, cause: 'illness', date, amountClaimed },
      token: maker,
    });
    if (r.status !== 201) throw new Error(JSON.stringify(r.body));
    return r.body as { id: string };
  };
  const approve = (claimId: string, amountApproved = '30000.00', token = checker) =>
    t.call('POST', `/v1/insurance-claims/${claimId}/approve`, { body: { amountApproved }, token });
  const pay = (claimId: string, payoutReference = 'PAY-1', date = '2026-07-01') =>
    t.call('POST', `/v1/insurance-claims/${claimId}/pay`, { body: { payoutReference, date }, token: checker });

  it('runs the county field scenario: a bank donation pays the premium, a lung-cancer claim is paid, the surplus is refunded and carried forward', async () => {
    const { fundId, byRole } = await createPreventionFund(t);

    const donation = await t.call('POST', `/v1/funds/${fundId}/income`, {
      body: { source: 'donation', payer: '某银行某县支行', date: '2026-01-05', amount: '2500000.00', reference: 'JZ-001' },
    });
    expect(donation.status).toBe(201);
    expect(await balance(byRole.bank!)).toBe('2500000.00');

    const created = await newPolicy(fundId, { policyNumber: 'FPB-2026', coveredCount: 320000 });
    expect(created.status).toBe(201);
    const policy = created.body;
    expect(policy).toMatchObject({
      fundId,
      policyNumber: 'FPB-2026',
      premium: '2500000.00',
      coveredPopulation: '全县农业人口',
      coveredCount: 320000,
      figures: { premiumPaid: '0.00', poolBalance: '0.00', householdsPaid: 0 },
    });
    const pool = (await t.call('GET', `/v1/accounts/${policy.poolAccountId}`)).body;
    expect(pool).toMatchObject({ fundId, role: 'insurance_pool', policyId: policy.id, type: 'asset', code: '1301.FPB-2026', balance: '0.00' });

    const premium = await t.call('POST', `/v1/insurance-policies/${policy.id}/premium`, {
      body: { date: '2026-01-10', amount: '2500000.00', reference: 'ZF-001' },
      token: maker,
    });
    expect(premium.status).toBe(201);
    expect(premium.body).toMatchObject({ policyId: policy.id, kind: 'premium', amount: '2500000.00', reference: 'ZF-001' });
    expect((await t.call('GET', `/v1/transactions/${premium.body.transactionId}`)).body.lines).toMatchObject([
      { accountId: policy.poolAccountId, direction: 'debit', amount: '2500000.00' },
      { accountId: byRole.bank, direction: 'credit', amount: '2500000.00' },
    ]);
    expect(await balance(byRole.bank!)).toBe('0.00');

    // The whole population is insured: the household need not be monitored.
    const householdId = await createHousehold(t, villageId, null, '李建国');
    const filed = await t.call('POST', '/v1/insurance-claims', {
      body: { policyId: policy.id, householdId, cause: 'illness', date: '2026-06-15', amountClaimed: '30000.00' },
      token: maker,
    });
    expect(filed.status).toBe(201);
    expect(filed.body).toMatchObject({ policyId: policy.id, fundId, householdId, status: 'filed', amountClaimed: '30000.00', amountApproved: null });

    const approved = await approve(filed.body.id);
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ status: 'approved', amountApproved: '30000.00' });
    expect(approved.body.approvedBy).not.toBe(filed.body.filedBy);

    const paid = await pay(filed.body.id, 'PICC-LP-0001');
    expect(paid.status).toBe(200);
    expect(paid.body).toMatchObject({ status: 'paid', householdId, amountApproved: '30000.00', payoutReference: 'PICC-LP-0001', paidOn: '2026-07-01' });
    expect(paid.body.paidAt).not.toBeNull();
    expect((await t.call('GET', `/v1/transactions/${paid.body.transactionId}`)).body).toMatchObject({
      date: '2026-07-01',
      reference: 'PICC-LP-0001',
      lines: [
        { accountId: byRole['expense:insurance'], direction: 'debit', amount: '30000.00' },
        { accountId: policy.poolAccountId, direction: 'credit', amount: '30000.00' },
      ],
    });
    expect(await eventTypes(filed.body.id)).toEqual(['claim.filed', 'claim.approved', 'claim.paid']);
    expect(await eventTypes(policy.id)).toEqual(['insurance.policy_created', 'insurance.premium_paid']);

    expect((await policyOf(policy.id)).figures).toEqual({
      premiumPaid: '2500000.00',
      claims: {
        filed: { count: 0, amountClaimed: '0.00', amountApproved: '0.00' },
        approved: { count: 0, amountClaimed: '0.00', amountApproved: '0.00' },
        paid: { count: 1, amountClaimed: '30000.00', amountApproved: '30000.00' },
        rejected: { count: 0, amountClaimed: '0.00', amountApproved: '0.00' },
      },
      householdsPaid: 1,
      paidOut: '30000.00',
      refunded: '0.00',
      carriedForwardIn: '0.00',
      carriedForwardOut: '0.00',
      poolBalance: '2470000.00',
    });
    expect(await balance(byRole['expense:insurance']!)).toBe('30000.00');
    expect(await balance(byRole.bank!)).toBe('0.00');

    // 多退: part of the surplus comes back to the fund's bank.
    const refund = await t.call('POST', `/v1/insurance-policies/${policy.id}/refund`, {
      body: { date: '2026-11-20', amount: '470000.00', reference: 'PICC-TF-01' },
    });
    expect(refund.status).toBe(201);
    expect(refund.body).toMatchObject({ kind: 'refund', amount: '470000.00', reference: 'PICC-TF-01' });
    expect((await t.call('GET', `/v1/transactions/${refund.body.transactionId}`)).body.lines).toMatchObject([
      { accountId: byRole.bank, direction: 'debit', amount: '470000.00' },
      { accountId: policy.poolAccountId, direction: 'credit', amount: '470000.00' },
    ]);
    expect(await balance(byRole.bank!)).toBe('470000.00');

    // 余额结转: the rest stays with the insurer for next year's policy.
    const next = (await newPolicy(fundId, { policyNumber: 'FPB-2027', coverFrom: '2027-01-01', coverTo: '2027-12-31' })).body;
    const carried = await t.call('POST', `/v1/insurance-policies/${policy.id}/carry-forward`, {
      body: { toPolicyId: next.id, date: '2026-11-25', amount: '2000000.00' },
    });
    expect(carried.status).toBe(201);
    expect(carried.body.outgoing).toMatchObject({ policyId: policy.id, kind: 'carried_forward_out', amount: '2000000.00', counterpartPolicyId: next.id });
    expect(carried.body.incoming).toMatchObject({ policyId: next.id, kind: 'carried_forward_in', amount: '2000000.00', counterpartPolicyId: policy.id });
    expect((await t.call('GET', `/v1/transactions/${carried.body.transactionId}`)).body.lines).toMatchObject([
      { accountId: next.poolAccountId, direction: 'debit', amount: '2000000.00' },
      { accountId: policy.poolAccountId, direction: 'credit', amount: '2000000.00' },
    ]);

    expect((await policyOf(policy.id)).figures).toMatchObject({
      premiumPaid: '2500000.00',
      paidOut: '30000.00',
      refunded: '470000.00',
      carriedForwardOut: '2000000.00',
      poolBalance: '0.00',
    });
    expect((await policyOf(next.id)).figures).toMatchObject({ premiumPaid: '0.00', carriedForwardIn: '2000000.00', poolBalance: '2000000.00' });

    const trial = await t.call('GET', `/v1/funds/${fundId}/trial-balance`);
    expect(trial.body.balanced).toBe(true);

    const listed = await t.call('GET', `/v1/insurance-policies?fundId=${fundId}`);
    expect(listed.body.items.map((p: any) => p.policyNumber)).toEqual(['FPB-2026', 'FPB-2027']);
  });

  it('refuses an approval by the officer who filed the claim, and an approval above the claim, writing nothing', async () => {
    const { policy } = await insuredFund();
    const claim = await fileClaim(policy.id, await createHousehold(t, villageId, null));
    // An admin can file and approve, but never both on one claim, nor reject its own.
    const own = await t.call('POST', '/v1/insurance-claims', {
      body: { policyId: policy.id, householdId: await createHousehold(t, villageId, null), cause: 'illness', date: '2026-06-15', amountClaimed: '100.00' },
    });
    const before = await written();

    const byOfficer = await approve(claim.id, '30000.00', maker);
    expect(byOfficer.status).toBe(403);
    expect(byOfficer.body.code).toBe('forbidden');
    for (const [act, body] of [['approve', { amountApproved: '100.00' }], ['reject', { reason: '不符合条件' }]] as const) {
      const self = await t.call('POST', `/v1/insurance-claims/${own.body.id}/${act}`, { body });
      expect(self.status).toBe(403);
      expect(self.body.code).toBe('approver_is_requester');
    }
    const tooMuch = await approve(claim.id, '30000.01');
    expect(tooMuch.status).toBe(400);
    expect(tooMuch.body.code).toBe('validation_failed');
    expect(tooMuch.body.detail).toContain('30000.00');

    expect(await written()).toEqual(before);
    expect((await t.call('GET', `/v1/insurance-claims/${claim.id}`)).body).toMatchObject({ status: 'filed', approvedBy: null, amountApproved: null });

    const partly = await approve(claim.id, '18000.00');
    expect(partly.body).toMatchObject({ status: 'approved', amountApproved: '18000.00' });
  });

  it('refuses a refund or carry-forward larger than the pool, saying what the pool holds, writing nothing', async () => {
    const { fundId, byRole, policy } = await insuredFund('100000.00');
    const claim = await fileClaim(policy.id, await createHousehold(t, villageId, null), '30000.00');
    await approve(claim.id);
    await pay(claim.id);
    const next = (await newPolicy(fundId, { coverFrom: '2027-01-01', coverTo: '2027-12-31' })).body;
    const elsewhere = (await newPolicy((await createPreventionFund(t)).fundId)).body;
    const before = await written();

    const refund = await t.call('POST', `/v1/insurance-policies/${policy.id}/refund`, {
      body: { date: '2026-11-20', amount: '70000.01', reference: 'TF-X' },
    });
    expect(refund.status).toBe(422);
    expect(refund.body).toMatchObject({ code: 'insufficient_funds', poolBalance: '70000.00', shortfall: '0.01' });
    expect(refund.body.detail).toContain('holds 70000.00');

    const carry = await t.call('POST', `/v1/insurance-policies/${policy.id}/carry-forward`, {
      body: { toPolicyId: next.id, date: '2026-11-20', amount: '80000.00' },
    });
    expect(carry.status).toBe(422);
    expect(carry.body).toMatchObject({ code: 'insufficient_funds', poolBalance: '70000.00' });

    const otherFund = await t.call('POST', `/v1/insurance-policies/${policy.id}/carry-forward`, {
      body: { toPolicyId: elsewhere.id, date: '2026-11-20', amount: '100.00' },
    });
    expect(otherFund.status).toBe(400);
    expect(otherFund.body.detail).toMatch(/another fund/);
    const toItself = await t.call('POST', `/v1/insurance-policies/${policy.id}/carry-forward`, {
      body: { toPolicyId: policy.id, date: '2026-11-20', amount: '100.00' },
    });
    expect(toItself.status).toBe(400);

    expect(await written()).toEqual(before);
    expect(await balance(policy.poolAccountId)).toBe('70000.00');
    expect(await balance(byRole.bank!)).toBe('0.00');

    const exact = await t.call('POST', `/v1/insurance-policies/${policy.id}/refund`, { body: { date: '2026-11-20', amount: '70000.00', reference: 'TF-1' } });
    expect(exact.status).toBe(201);
    expect((await policyOf(policy.id)).figures.poolBalance).toBe('0.00');
  });

  it('lets claims exceed the premium (少补): the pool goes below zero and nothing more can be refunded', async () => {
    const { policy } = await insuredFund('20000.00');
    const claim = await fileClaim(policy.id, await createHousehold(t, villageId, null), '30000.00');
    await approve(claim.id);
    expect((await pay(claim.id)).status).toBe(200);
    expect((await policyOf(policy.id)).figures).toMatchObject({ premiumPaid: '20000.00', paidOut: '30000.00', poolBalance: '-10000.00' });
    const refund = await t.call('POST', `/v1/insurance-policies/${policy.id}/refund`, { body: { date: '2026-11-20', amount: '1.00', reference: 'TF' } });
    expect(refund.body).toMatchObject({ code: 'insufficient_funds', poolBalance: '-10000.00' });
  });

  it('refuses a premium the bank cannot pay, writing nothing', async () => {
    const { fundId, byRole } = await createPreventionFund(t);
    await t.call('POST', `/v1/funds/${fundId}/income`, { body: { source: 'donation', payer: '某银行', date: '2026-01-05', amount: '1000.00' } });
    const policy = (await newPolicy(fundId)).body;
    const before = await written();
    const r = await t.call('POST', `/v1/insurance-policies/${policy.id}/premium`, { body: { date: '2026-02-01', amount: '2500000.00' } });
    expect(r.status).toBe(422);
    expect(r.body.code).toBe('insufficient_funds');
    expect(r.body.detail).toContain('holds 1000.00');
    expect(r.body.detail).toContain('needs 2499000.00 more');
    expect(r.body.accounts).toMatchObject([{ accountId: byRole.bank, balance: '1000.00', shortfall: '2499000.00' }]);
    expect(await written()).toEqual(before);
    expect(await balance(byRole.bank!)).toBe('1000.00');
  });

  it('pays a premium once when it is sent twice with the same Idempotency-Key', async () => {
    const fund = await createPreventionFund(t);
    await t.call('POST', `/v1/funds/${fund.fundId}/income`, { body: { source: 'fiscal_transfer', payer: '某县财政局', date: '2026-01-05', amount: '3000000.00' } });
    const policy = (await newPolicy(fund.fundId)).body;
    const send = (amount: string) =>
      t.call('POST', `/v1/insurance-policies/${policy.id}/premium`, {
        body: { date: '2026-01-10', amount },
        headers: { 'idempotency-key': `premium-${policy.id}` },
      });
    const first = await send('2500000.00');
    const again = await send('2500000.00');
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    const conflict = await send('2400000.00');
    expect(conflict.status).toBe(409);
    expect(conflict.body.code).toBe('idempotency_conflict');
    expect((await policyOf(policy.id)).figures).toMatchObject({ premiumPaid: '2500000.00', poolBalance: '2500000.00' });
    expect(await balance(fund.byRole.bank!)).toBe('500000.00');
  });

  describe('pays the agreed premium once', () => {
    /** A fund holding 3,000,000.00 and a policy whose agreed premium is 2,500,000.00, nothing paid yet. */
    async function unpaidPolicy() {
      const fund = await createPreventionFund(t);
      await t.call('POST', `/v1/funds/${fund.fundId}/income`, { body: { source: 'fiscal_transfer', payer: '某县财政局', date: '2026-01-05', amount: '3000000.00' } });
      return { ...fund, policy: (await newPolicy(fund.fundId)).body };
    }
    const payPremium = (policyId: string, amount: string, extra: Record<string, unknown> = {}) =>
      t.call('POST', `/v1/insurance-policies/${policyId}/premium`, { body: { date: '2026-01-10', amount, ...extra }, token: maker });

    it('takes it in instalments up to the agreed premium and refuses a payment past it, with the figures, writing nothing', async () => {
      const { byRole, policy } = await unpaidPolicy();
      expect((await payPremium(policy.id, '1000000.00')).status).toBe(201);
      expect((await payPremium(policy.id, '1500000.00')).status).toBe(201);
      const before = await written();

      // The same slip sent a second time, without an Idempotency-Key.
      const twice = await payPremium(policy.id, '1500000.00');
      expect(twice.status).toBe(409);
      expect(twice.body).toMatchObject({ code: 'invalid_state', premium: '2500000.00', premiumPaid: '2500000.00', amount: '1500000.00' });
      expect(twice.body.detail).toContain('agreed premium of 2500000.00');
      expect(twice.body.detail).toContain('2500000.00 is already paid');
      expect(twice.body.detail).toContain('this payment of 1500000.00');
      expect(twice.body.detail).toContain('"topUp": true');
      expect((await payPremium(policy.id, '0.01')).body.code).toBe('invalid_state');
      expect(await written()).toEqual(before);
      expect((await policyOf(policy.id)).figures).toMatchObject({ premiumPaid: '2500000.00', poolBalance: '2500000.00' });
      expect(await balance(byRole.bank!)).toBe('500000.00');
    });

    it('pays past it when the county says it tops up a pool that claims exceeded (少补)', async () => {
      const { byRole, policy } = await unpaidPolicy();
      expect((await payPremium(policy.id, '2500000.00')).status).toBe(201);
      const topUp = await payPremium(policy.id, '200000.00', { topUp: true, reference: 'BJ-001' });
      expect(topUp.status, JSON.stringify(topUp.body)).toBe(201);
      expect(topUp.body).toMatchObject({ kind: 'premium', amount: '200000.00', reference: 'BJ-001' });
      expect((await policyOf(policy.id)).figures).toMatchObject({ premiumPaid: '2700000.00', poolBalance: '2700000.00' });
      expect(await balance(byRole.bank!)).toBe('300000.00');
      expect((await payPremium(policy.id, '1.00', { topUp: 'yes' })).status).toBe(400);
    });

    it.skipIf(backend !== realPostgres)('pays it once when two payments arrive at the same moment', async () => {
      const { byRole, policy } = await unpaidPolicy();
      const replies = await Promise.all([payPremium(policy.id, '2500000.00'), payPremium(policy.id, '2500000.00')]);
      expect(replies.map((r) => r.status).sort()).toEqual([201, 409]);
      expect((await policyOf(policy.id)).figures).toMatchObject({ premiumPaid: '2500000.00', poolBalance: '2500000.00' });
      expect(await balance(byRole.bank!)).toBe('500000.00');
    });
  });

  it.skipIf(backend !== realPostgres)('never refunds more than the pool holds when two refunds arrive at the same moment', async () => {
    const { byRole, policy } = await insuredFund('100000.00');
    const refund = (reference: string) =>
      t.call('POST', `/v1/insurance-policies/${policy.id}/refund`, { body: { date: '2026-11-20', amount: '60000.00', reference } });
    const replies = await Promise.all([refund('TF-A'), refund('TF-B')]);
    expect(replies.map((r) => r.status).sort()).toEqual([201, 422]);
    expect(replies.find((r) => r.status === 422)!.body).toMatchObject({ code: 'insufficient_funds', poolBalance: '40000.00', shortfall: '20000.00' });
    expect(await balance(policy.poolAccountId)).toBe('40000.00');
    expect(await balance(byRole.bank!)).toBe('60000.00');
  });

  it('refuses a claim dated outside the cover period, for an unknown household, or in a fund that may not pay insurance', async () => {
    const { fundId, policy } = await insuredFund();
    const householdId = await createHousehold(t, villageId, null);
    const before = await written();
    const claim = (extra: Record<string, unknown>) =>
      t.call('POST', '/v1/insurance-claims', {
        body: { policyId: policy.id, householdId, cause: 'accident', date: '2026-03-01', amountClaimed: '5000.00', ...extra },
        token: maker,
      });

    const late = await claim({ policyId: (await newPolicy(fundId, { coverFrom: '2025-01-01', coverTo: '2025-12-31' })).body.id });
    expect(late.status).toBe(400);
    expect(late.body.detail).toContain('outside the cover');
    expect(late.body.detail).toContain('2025-01-01 to 2025-12-31');
    const early = await claim({ policyId: (await newPolicy(fundId, { coverFrom: '2026-06-01', coverTo: '2026-12-31' })).body.id });
    expect(early.status).toBe(400);
    const written1 = await written();

    const stranger = await claim({ householdId: '00000000-0000-4000-8000-000000000000' });
    expect(stranger.status).toBe(422);
    expect(stranger.body.code).toBe('unknown_household');
    const noPolicy = await claim({ policyId: '00000000-0000-4000-8000-000000000000' });
    expect(noPolicy.status).toBe(404);
    expect((await claim({ cause: 'theft' })).status).toBe(400);

    const limited = await createPreventionFund(t, { allowedCategories: ['medical_subsidy'] });
    const limitedPolicy = (await newPolicy(limited.fundId)).body;
    const notAllowed = await claim({ policyId: limitedPolicy.id });
    expect(notAllowed.status).toBe(422);
    expect(notAllowed.body.code).toBe('category_not_allowed');
    // The same rule and words as for disbursements: the fund by its code, and what it may pay.
    expect(notAllowed.body.detail).toBe(`Fund ${limited.fund.code} may not pay 防贫保险赔付 (insurance); it may pay only medical_subsidy.`);
    expect(notAllowed.body.allowedCategories).toEqual(['medical_subsidy']);

    expect((await written()).claims).toBe(before.claims);
    expect((await written()).transactions).toBe(written1.transactions);
  });

  it('refuses to pay a claim once the fund no longer allows insurance payouts', async () => {
    const { fundId, policy } = await insuredFund();
    const claim = await fileClaim(policy.id, await createHousehold(t, villageId, null));
    await approve(claim.id);
    await t.call('PATCH', `/v1/funds/${fundId}`, { body: { allowedCategories: ['medical_subsidy'] } });
    const before = await written();
    const r = await pay(claim.id);
    expect(r.status).toBe(422);
    expect(r.body.code).toBe('category_not_allowed');
    expect(await written()).toEqual(before);
    expect((await t.call('GET', `/v1/insurance-claims/${claim.id}`)).body.status).toBe('approved');
  });

  it('rejects filed and approved claims with a reason, and refuses moves out of rejected', async () => {
    const { policy } = await insuredFund();
    const householdId = await createHousehold(t, villageId, null);
    const filed = await fileClaim(policy.id, householdId, '8000.00');
    const rejected = await t.call('POST', `/v1/insurance-claims/${filed.id}/reject`, { body: { reason: '医疗费用未超过防贫线' }, token: checker });
    expect(rejected.status).toBe(200);
    expect(rejected.body).toMatchObject({ status: 'rejected', rejectedReason: '医疗费用未超过防贫线', transactionId: null });

    const approvedFirst = await fileClaim(policy.id, householdId, '9000.00');
    await approve(approvedFirst.id, '9000.00');
    const rejectedLater = await t.call('POST', `/v1/insurance-claims/${approvedFirst.id}/reject`, { body: { reason: '重复报案' } });
    expect(rejectedLater.body.status).toBe('rejected');
    expect(await eventTypes(approvedFirst.id)).toEqual(['claim.filed', 'claim.approved', 'claim.rejected']);

    const before = await written();
    const approveRejected = await approve(filed.id, '8000.00');
    expect(approveRejected.status).toBe(409);
    expect(approveRejected.body.code).toBe('invalid_state');
    const payRejected = await pay(approvedFirst.id);
    expect(payRejected.body.code).toBe('invalid_state');
    const rejectAgain = await t.call('POST', `/v1/insurance-claims/${filed.id}/reject`, { body: { reason: 'again' } });
    expect(rejectAgain.body.code).toBe('invalid_state');
    expect(await written()).toEqual(before);

    expect((await policyOf(policy.id)).figures).toMatchObject({
      claims: { rejected: { count: 2, amountClaimed: '17000.00', amountApproved: '9000.00' } },
      householdsPaid: 0,
      paidOut: '0.00',
      poolBalance: '2500000.00',
    });
  });

  it('refuses to pay a claim twice, to pay one not yet approved, to approve twice or reject a paid claim', async () => {
    const { byRole, policy } = await insuredFund();
    const claim = await fileClaim(policy.id, await createHousehold(t, villageId, null));
    const early = await pay(claim.id);
    expect(early.status).toBe(409);
    expect(early.body.code).toBe('not_approved');
    await approve(claim.id);
    const twiceApproved = await approve(claim.id);
    expect(twiceApproved.body.code).toBe('invalid_state');
    expect((await pay(claim.id, 'PAY-A')).status).toBe(200);

    const before = await written();
    const again = await pay(claim.id, 'PAY-B');
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('already_paid');
    const reject = await t.call('POST', `/v1/insurance-claims/${claim.id}/reject`, { body: { reason: 'late' } });
    expect(reject.body.code).toBe('already_paid');
    expect(await written()).toEqual(before);
    expect(await balance(byRole['expense:insurance']!)).toBe('30000.00');
    expect((await t.call('GET', `/v1/insurance-claims/${claim.id}`)).body.payoutReference).toBe('PAY-A');
  });

  it('refuses a payout dated before the claim', async () => {
    const { policy } = await insuredFund();
    const claim = await fileClaim(policy.id, await createHousehold(t, villageId, null));
    await approve(claim.id);
    const r = await pay(claim.id, 'PAY', '2026-06-14');
    expect(r.status).toBe(400);
    expect(r.body.detail).toContain('2026-06-15');
  });

  it('counts households paid once each and lists claims by policy, household, status, period and page', async () => {
    const { policy } = await insuredFund();
    const a = await createHousehold(t, villageId, null);
    const b = await createHousehold(t, villageId, '2025-01-01');
    const dates = ['2026-02-01', '2026-03-01', '2026-04-01', '2026-05-01'];
    const claims = [];
    for (const [i, householdId] of [a, a, b, b].entries()) claims.push(await fileClaim(policy.id, householdId, '1000.00', dates[i]));
    for (const c of claims.slice(0, 3)) {
      await approve(c.id, '1000.00');
      await pay(c.id);
    }
    expect((await policyOf(policy.id)).figures).toMatchObject({
      householdsPaid: 2,
      paidOut: '3000.00',
      claims: { paid: { count: 3 }, filed: { count: 1, amountClaimed: '1000.00' } },
    });

    const ofA = await t.call('GET', `/v1/insurance-claims?householdId=${a}`);
    expect(ofA.body.items.map((c: any) => c.date)).toEqual(['2026-02-01', '2026-03-01']);
    const filed = await t.call('GET', `/v1/insurance-claims?policyId=${policy.id}&status=filed`);
    expect(filed.body.items.map((c: any) => c.id)).toEqual([claims[3]!.id]);
    const spring = await t.call('GET', `/v1/insurance-claims?policyId=${policy.id}&from=2026-03-01&to=2026-04-30`);
    expect(spring.body.items.map((c: any) => c.date)).toEqual(['2026-03-01', '2026-04-01']);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await t.call('GET', `/v1/insurance-claims?policyId=${policy.id}&limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      seen.push(...page.body.items.map((c: any) => c.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(claims.map((c) => c.id));
    expect((await t.call('GET', '/v1/insurance-claims?cursor=bm90LWEtY3Vyc29y')).status).toBe(400);
  });

  it('validates policies: cover dates in order, a policy number once per fund, an existing fund with the standard chart', async () => {
    const { fundId } = await createPreventionFund(t);
    const backwards = await newPolicy(fundId, { coverFrom: '2026-12-31', coverTo: '2026-01-01' });
    expect(backwards.status).toBe(400);
    expect(backwards.body.detail).toMatch(/coverTo/);
    const number = uniqueCode('PN');
    expect((await newPolicy(fundId, { policyNumber: number })).status).toBe(201);
    const twice = await newPolicy(fundId, { policyNumber: number });
    expect(twice.status).toBe(409);
    expect(twice.body.code).toBe('already_exists');
    expect((await newPolicy('00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await newPolicy(fundId, { premium: 2500000 })).status).toBe(400);
    expect((await t.call('GET', '/v1/insurance-policies/00000000-0000-4000-8000-000000000000')).status).toBe(404);

    const unnumbered = await newPolicy(fundId, { policyNumber: undefined });
    expect(unnumbered.status).toBe(201);
    expect(unnumbered.body.policyNumber).toBeNull();

    const reader = await t.keyFor('reader');
    const refused = await t.call('POST', '/v1/insurance-policies', { body: { fundId }, token: reader });
    expect(refused.status).toBe(403);
  });

  it('pages the policies of a fund by start of cover', async () => {
    const { fundId } = await createPreventionFund(t);
    for (const year of [2026, 2024, 2025]) await newPolicy(fundId, { coverFrom: `${year}-01-01`, coverTo: `${year}-12-31` });
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await t.call('GET', `/v1/insurance-policies?fundId=${fundId}&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      seen.push(...page.body.items.map((p: any) => p.coverFrom));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(['2024-01-01', '2025-01-01', '2026-01-01']);
  });
});
