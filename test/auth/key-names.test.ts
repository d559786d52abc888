import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, expectLedgerIntact, startApp, type TestApp } from '../helpers/app.js';
import { backends } from '../helpers/database.js';
import { createFund, createHousehold, createPreventionFund, createVillage, transfer, uniqueCode } from '../helpers/fixtures.js';
import { fundedPreventionFund, PAY_DATE } from '../disbursements/setup.js';

// Whoever acted is answered by the name of their key beside its id: people read 王𪚥, not 7fece49a.
describe.each(backends)('names of who acted, on $name', (backend) => {
  let t: TestApp;
  let officer: string;
  let secondOfficer: string;
  let approver: string;
  let admin: string;
  let villageId: string;
  const OFFICER = '乡财政所 王𪚥';
  const APPROVER = '乡财政所 赵𠮷';
  const ADMIN = '县财政局 陈﨎';
  const SECOND_OFFICER = '乡财政所 李会计';

  const issue = async (name: string, role: string) => {
    const scoped = role === 'officer' || role === 'approver' ? { scopes: { all: true } } : {};
    const r = await t.call('POST', '/v1/api-keys', { body: { name, role, ...scoped } });
    if (r.status !== 201) throw new Error(JSON.stringify(r.body));
    return r.body as { token: string; id: string };
  };

  beforeAll(async () => {
    t = await startApp(backend);
    officer = (await issue(OFFICER, 'officer')).token;
    approver = (await issue(APPROVER, 'approver')).token;
    secondOfficer = (await issue(SECOND_OFFICER, 'officer')).token;
    admin = (await issue(ADMIN, 'admin')).token;
    villageId = await createVillage(t);
  });
  afterAll(async () => {
    await expectLedgerIntact(t);
    await t.close();
  });

  it('names who requested, approved, paid and failed a disbursement, in its answers, on GET and in the register', async () => {
    const f = await fundedPreventionFund(t, '10000.00');
    const householdId = await createHousehold(t, villageId);
    const request = (amount: string) =>
      t.call('POST', '/v1/disbursements', { body: { fundId: f.fundId, householdId, category: 'medical_subsidy', amount, date: PAY_DATE }, token: officer });

    const requested = await request('800.00');
    expect(requested.status, JSON.stringify(requested.body)).toBe(201);
    expect(requested.body).toMatchObject({ requestedByName: OFFICER, approvedBy: null, approvedByName: null, paidByName: null, failedByName: null });
    const id = requested.body.id;
    expect((await t.call('POST', `/v1/disbursements/${id}/approve`, { token: approver })).body).toMatchObject({ approvedByName: APPROVER });
    const paid = await t.call('POST', `/v1/disbursements/${id}/pay`, { body: { bankReference: 'YKT-1' }, token: approver });
    expect(paid.body).toMatchObject({ requestedByName: OFFICER, approvedByName: APPROVER, paidByName: APPROVER });
    const failed = await t.call('POST', `/v1/disbursements/${id}/fail`, { body: { reason: '银行退回' }, token: approver });
    expect(failed.body).toMatchObject({ status: 'failed', failedByName: APPROVER, paidByName: APPROVER });

    const got = await t.call('GET', `/v1/disbursements/${id}`);
    expect(got.body).toMatchObject({ requestedBy: requested.body.requestedBy, requestedByName: OFFICER, approvedByName: APPROVER, paidByName: APPROVER, failedByName: APPROVER });
    const register = await t.call('GET', `/v1/disbursements?fundId=${f.fundId}`);
    expect(register.body.items.map((d: any) => [d.requestedByName, d.paidByName])).toEqual([[OFFICER, APPROVER]]);
  });

  it('lists disbursement batches by fund, status and date, with their totals and names, page by page and within reach', async () => {
    const a = await fundedPreventionFund(t, '100000.00');
    const b = await fundedPreventionFund(t, '100000.00');
    const households = [await createHousehold(t, villageId), await createHousehold(t, villageId)];
    const batch = async (fundId: string, date: string, description: string) => {
      const r = await t.call('POST', '/v1/disbursement-batches', {
        body: { fundId, date, description, items: households.map((householdId) => ({ householdId, amount: '100.00' })) },
        token: officer,
      });
      if (r.status !== 201) throw new Error(JSON.stringify(r.body));
      return r.body.id as string;
    };
    const may = await batch(a.fundId, '2025-05-20', '2025年5月生活补助');
    const june = await batch(a.fundId, '2025-06-20', '2025年6月生活补助');
    const other = await batch(b.fundId, '2025-06-21', '另一基金6月');
    expect((await t.call('POST', `/v1/disbursement-batches/${june}/approve`, { token: approver })).status).toBe(200);

    const list = async (query: string, token?: string) => {
      const r = await t.call('GET', `/v1/disbursement-batches?${query}`, { token });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      return r.body as { items: any[]; nextCursor: string | null };
    };
    const ofA = await list(`fundId=${a.fundId}`);
    expect(ofA.items.map((x) => [x.description, x.date, x.status, x.total])).toEqual([
      ['2025年5月生活补助', '2025-05-20', 'requested', '200.00'],
      ['2025年6月生活补助', '2025-06-20', 'approved', '200.00'],
    ]);
    expect(ofA.items[1]).toMatchObject({ requestedByName: OFFICER, approvedByName: APPROVER, paidByName: null, byStatus: { approved: { count: 2, amount: '200.00' } } });
    expect(ofA.items[1]).not.toHaveProperty('items');
    expect((await list(`fundId=${a.fundId}&status=requested`)).items.map((x) => x.id)).toEqual([may]);
    expect((await list(`from=2025-06-01&to=2025-06-30`)).items.map((x) => x.id).filter((id) => [may, june, other].includes(id))).toEqual([june, other]);

    const first = await list(`fundId=${a.fundId}&limit=1`);
    expect(first.items.map((x) => x.id)).toEqual([may]);
    expect((await list(`fundId=${a.fundId}&limit=1&cursor=${first.nextCursor}`)).items.map((x) => x.id)).toEqual([june]);

    const scoped = await t.call('POST', '/v1/api-keys', { body: { name: '只看乙基金', role: 'reader', scopes: { funds: [b.fundId] } } });
    const seen = await list('', scoped.body.token);
    expect(seen.items.map((x) => x.id)).toEqual([other]);

    const bad = await t.call('GET', '/v1/disbursement-batches?status=paidout');
    expect(bad.status).toBe(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');
  });

  it('names who posted and who reversed a voucher, in the answer, on GET and in the list', async () => {
    const fund = await createFund(t);
    const posted = await t.call('POST', '/v1/transactions', { body: transfer('2025-03-01', fund.accounts.bank!, fund.accounts.income!, '50.00'), token: officer });
    expect(posted.status, JSON.stringify(posted.body)).toBe(201);
    expect(posted.body).toMatchObject({ createdByName: OFFICER });
    expect((await t.call('GET', `/v1/transactions/${posted.body.id}`)).body).toMatchObject({ createdByName: OFFICER });
    const reversed = await t.call('POST', `/v1/transactions/${posted.body.id}/reversal`, { body: { reason: '金额录错' }, token: secondOfficer });
    expect(reversed.body).toMatchObject({ createdByName: SECOND_OFFICER, reversesTransactionId: posted.body.id });
    const listed = await t.call('GET', `/v1/transactions?fundId=${fund.fundId}`);
    expect(listed.body.items.map((x: any) => x.createdByName)).toEqual([OFFICER, SECOND_OFFICER]);
    // A replay answers what was answered first, name included.
    const key = uniqueCode('names');
    const once = await t.call('POST', '/v1/transactions', { body: transfer('2025-03-02', fund.accounts.bank!, fund.accounts.income!, '1.00'), token: officer, headers: { 'idempotency-key': key } });
    const again = await t.call('POST', '/v1/transactions', { body: transfer('2025-03-02', fund.accounts.bank!, fund.accounts.income!, '1.00'), token: officer, headers: { 'idempotency-key': key } });
    expect(again.body).toEqual(once.body);
    expect(again.body.createdByName).toBe(OFFICER);
  });

  it('names who recorded income, who closed a month, who issued a key, and who wrote each audit row', async () => {
    const f = await createPreventionFund(t);
    const income = await t.call('POST', `/v1/funds/${f.fundId}/income`, {
      body: { source: 'fiscal_transfer', payer: '县财政局', date: '2025-02-03', amount: '5000.00' },
      token: officer,
    });
    expect(income.body).toMatchObject({ createdByName: OFFICER });
    expect((await t.call('GET', `/v1/funds/${f.fundId}/income`)).body.items[0]).toMatchObject({ createdByName: OFFICER });

    const closed = await t.call('POST', `/v1/funds/${f.fundId}/periods/2025-02/close`, { token: admin, body: { reason: '未导入银行对账单' } });
    expect(closed.status, JSON.stringify(closed.body)).toBe(200);
    expect(closed.body).toMatchObject({ closedByName: ADMIN, reopenedByName: null });
    expect((await t.call('GET', `/v1/funds/${f.fundId}/periods/2025-02`)).body).toMatchObject({ closedByName: ADMIN });
    const months = await t.call('GET', `/v1/funds/${f.fundId}/periods`);
    expect(months.body.items.find((p: any) => p.period === '2025-02')).toMatchObject({ closedByName: ADMIN });

    const keys = await t.call('GET', '/v1/api-keys?limit=500', { token: ADMIN_TOKEN });
    expect(keys.body.items.find((k: any) => k.name === OFFICER)).toMatchObject({ createdBy: 'env-admin', createdByName: '初始管理员' });

    const audit = await t.call('GET', `/v1/audit-log?targetId=${income.body.id}`, { token: admin });
    expect(audit.status, JSON.stringify(audit.body)).toBe(200);
    expect(audit.body.items[0]).toMatchObject({ actorName: OFFICER, outcome: 'succeeded' });
  });

  it("lists every claim of a fund's policies with ?fundId=, naming who filed and approved them", async () => {
    const policyIn = async (fundId: string) => {
      await t.call('POST', `/v1/funds/${fundId}/income`, { body: { source: 'donation', payer: '某银行', date: '2026-01-05', amount: '1000.00' } });
      const policy = await t.call('POST', '/v1/insurance-policies', {
        body: { fundId, insurer: '某保险公司', policyNumber: uniqueCode('FPB'), premium: '1000.00', coverFrom: '2026-01-01', coverTo: '2026-12-31', coveredPopulation: '全县' },
      });
      if (policy.status !== 201) throw new Error(JSON.stringify(policy.body));
      return policy.body.id as string;
    };
    const claim = async (policyId: string) => {
      const r = await t.call('POST', '/v1/insurance-claims', {
        body: { policyId, householdId: await createHousehold(t, villageId, null), cause: 'illness', date: '2026-06-15', amountClaimed: '300.00' },
        token: officer,
      });
      if (r.status !== 201) throw new Error(JSON.stringify(r.body));
      return r.body.id as string;
    };
    const a = await createPreventionFund(t, { allowedCategories: ['insurance'] });
    const b = await createPreventionFund(t, { allowedCategories: ['insurance'] });
    const [a1, a2, b1] = [await policyIn(a.fundId), await policyIn(a.fundId), await policyIn(b.fundId)];
    const ofA = [await claim(a1), await claim(a2)];
    await claim(b1);
    expect((await t.call('POST', `/v1/insurance-claims/${ofA[0]}/approve`, { body: { amountApproved: '300.00' }, token: approver })).status).toBe(200);

    const listed = await t.call('GET', `/v1/insurance-claims?fundId=${a.fundId}`);
    expect(listed.status, JSON.stringify(listed.body)).toBe(200);
    expect(listed.body.items.map((c: any) => c.id).sort()).toEqual([...ofA].sort());
    expect(listed.body.items.every((c: any) => c.fundId === a.fundId && c.filedByName === OFFICER)).toBe(true);
    expect(listed.body.items.find((c: any) => c.id === ofA[0])).toMatchObject({ approvedByName: APPROVER });
  });

  it('sends a browser at the bare address to the console', async () => {
    const r = await t.app.inject({ method: 'GET', url: '/' });
    expect(r.statusCode).toBe(302);
    expect(r.headers.location).toBe('/console/');
  });
});
