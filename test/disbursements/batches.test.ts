import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/client.js';
import { formatMoney, Money } from '../../src/ledger/money.js';
import { expectLedgerIntact, startApp, type TestApp } from '../helpers/app.js';
import { backends } from '../helpers/database.js';
import { householdMonitoring, households as householdsTable } from '../../src/db/schema.js';
import { allocateToVillage, createHousehold, createVillage, uniqueCode } from '../helpers/fixtures.js';
import { balanceOf, eventTypes, fundedPreventionFund, moneyOf, PAY_DATE, type PreventionFund, written } from './setup.js';

describe.each(backends)('disbursement batches on $name', (backend) => {
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

  const requestBatch = (body: Record<string, unknown>) => t.call('POST', '/v1/disbursement-batches', { body, token: maker });
  const approveBatch = (id: string, token = checker) => t.call('POST', `/v1/disbursement-batches/${id}/approve`, { token });
  const payBatch = (id: string, bankReference = 'YKT-2025-06-B001') =>
    t.call('POST', `/v1/disbursement-batches/${id}/pay`, { body: { bankReference }, token: checker });
  const fail = (id: string, reason = '银行退回：卡号错误') => t.call('POST', `/v1/disbursements/${id}/fail`, { body: { reason }, token: checker });
  const households = async (n: number, village = villageId, since: string | null = '2025-01-01') => {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) ids.push(await createHousehold(t, village, since));
    return ids;
  };
  const allowance = (f: PreventionFund, items: { householdId: string; amount: string }[], extra: Record<string, unknown> = {}) => ({
    fundId: f.fundId,
    date: PAY_DATE,
    description: '2025年6月生活补助',
    items,
    ...extra,
  });

  it('requests, approves and pays 50 households as one, then fails one line after payment', async () => {
    const f = await fundedPreventionFund(t, '100000.00');
    const ids = await households(50);
    // 300.01 … 300.50: 15,000.00 plus 12.75 in cents.
    const items = ids.map((householdId, i) => ({ householdId, amount: `300.${String(i + 1).padStart(2, '0')}` }));
    const total = '15012.75';

    const requested = await requestBatch(allowance(f, items));
    expect(requested.status, JSON.stringify(requested.body)).toBe(201);
    expect(requested.body).toMatchObject({ category: 'living_allowance', status: 'requested', total, approvalTransactionId: null });
    expect(requested.body.items).toHaveLength(50);
    expect(requested.body.items.every((i: any) => i.status === 'requested' && i.batchId === requested.body.id)).toBe(true);
    expect(requested.body.byStatus.requested).toEqual({ count: 50, amount: total });
    expect(await moneyOf(t, f, 'living_allowance')).toEqual({ bank: '100000.00', reserved: '0.00', expense: '0.00' });
    const batchId = requested.body.id;

    const byOfficer = await approveBatch(batchId, maker);
    expect(byOfficer.status).toBe(403);
    expect(byOfficer.body.code).toBe('forbidden');
    expect((await payBatch(batchId)).body.code).toBe('not_approved');

    const approved = await approveBatch(batchId);
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect(approved.body.status).toBe('approved');
    const approvedLines = (await t.call('GET', `/v1/disbursement-batches/${batchId}`)).body.items;
    expect(new Set(approvedLines.map((i: any) => i.approvalTransactionId))).toEqual(new Set([approved.body.approvalTransactionId]));
    expect(await moneyOf(t, f, 'living_allowance')).toEqual({ bank: '84987.25', reserved: total, expense: '0.00' });
    const reservation = await t.call('GET', `/v1/transactions/${approved.body.approvalTransactionId}`);
    expect(reservation.body.lines).toMatchObject([
      { accountId: f.byRole.bank_reserved, direction: 'debit', amount: total },
      { accountId: f.byRole.bank, direction: 'credit', amount: total },
    ]);

    const paid = await payBatch(batchId, 'YKT-2025-06-B042');
    expect(paid.status, JSON.stringify(paid.body)).toBe(200);
    expect(paid.body).toMatchObject({ status: 'paid', bankReference: 'YKT-2025-06-B042' });
    expect(await moneyOf(t, f, 'living_allowance')).toEqual({ bank: '84987.25', reserved: '0.00', expense: total });
    const payment = await t.call('GET', `/v1/transactions/${paid.body.paymentTransactionId}`);
    expect(payment.body.reference).toBe('YKT-2025-06-B042');
    expect(payment.body.lines).toHaveLength(51);
    const paidLines = (await t.call('GET', `/v1/disbursement-batches/${batchId}`)).body.items;
    expect(paidLines).toHaveLength(50);
    for (const item of paidLines) {
      expect(item).toMatchObject({ status: 'paid', paymentTransactionId: paid.body.paymentTransactionId, bankReference: 'YKT-2025-06-B042' });
      const line = payment.body.lines.find((l: any) => l.memo?.includes(item.id));
      expect(line).toMatchObject({ accountId: f.byRole['expense:living_allowance'], direction: 'debit', amount: item.amount });
      expect(line.memo).toContain(item.householdCode);
    }
    expect(payment.body.lines.at(-1)).toMatchObject({ accountId: f.byRole.bank_reserved, direction: 'credit', amount: total });

    const returnedItem = paidLines[7];
    const failed = await fail(returnedItem.id);
    expect(failed.status).toBe(200);
    expect(failed.body.status).toBe('failed');
    const returned = await t.call('GET', `/v1/transactions/${failed.body.failureTransactionId}`);
    expect(returned.body).toMatchObject({ reference: returnedItem.id, reversesTransactionId: null });
    expect(returned.body.lines).toMatchObject([
      { accountId: f.byRole.bank, direction: 'debit', amount: returnedItem.amount },
      { accountId: f.byRole['expense:living_allowance'], direction: 'credit', amount: returnedItem.amount },
    ]);
    expect(await moneyOf(t, f, 'living_allowance')).toEqual({
      bank: formatMoney(new Money('84987.25').plus(returnedItem.amount)),
      reserved: '0.00',
      expense: formatMoney(new Money(total).minus(returnedItem.amount)),
    });

    const shown = await t.call('GET', `/v1/disbursement-batches/${batchId}`);
    expect(shown.body.status).toBe('paid');
    expect(shown.body.byStatus).toMatchObject({
      paid: { count: 49, amount: formatMoney(new Money(total).minus(returnedItem.amount)) },
      failed: { count: 1, amount: returnedItem.amount },
    });
    expect(shown.body.items.find((i: any) => i.id === returnedItem.id).status).toBe('failed');
    expect((await payBatch(batchId)).body.code).toBe('already_paid');
  });

  it('refuses the whole batch, listing every bad line with its index and reason, and writes nothing', async () => {
    const f = await fundedPreventionFund(t, '10000.00', { yearlyCaps: { living_allowance: '1000.00' } });
    const [good, unmonitored, capped] = [...(await households(1)), ...(await households(1, villageId, null)), ...(await households(1))];
    const stranger = randomUUID();
    const before = await written(t);
    const r = await requestBatch(
      allowance(f, [
        { householdId: good!, amount: '500.00' },
        { householdId: stranger, amount: '500.00' },
        { householdId: unmonitored!, amount: '500.00' },
        { householdId: capped!, amount: '1000.01' },
        { householdId: good!, amount: '100.00' },
      ]),
    );
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('validation_failed');
    expect(r.body.errors).toMatchObject([
      { index: 1, householdId: stranger, code: 'unknown_household' },
      { index: 2, householdId: unmonitored, code: 'not_monitored' },
      { index: 3, householdId: capped, code: 'over_cap' },
      { index: 4, householdId: good, code: 'validation_failed' },
    ]);
    expect(r.body.errors[2].message).toContain('1000.00 remains');
    expect(r.body.detail).toContain('4 of 5 items');
    expect(await written(t)).toEqual(before);

    const notAllowed = await requestBatch(allowance(f, [{ householdId: good!, amount: '1.00' }], { category: 'education_aid' }));
    expect(notAllowed.body.code).toBe('category_not_allowed');
    const tooMany = await requestBatch(allowance(f, Array.from({ length: 5001 }, () => ({ householdId: good!, amount: '1.00' }))));
    expect(tooMany.status).toBe(400);
    expect(await written(t)).toEqual(before);
  });

  it('fails a line while approved by releasing only its amount, and pays the others', async () => {
    const f = await fundedPreventionFund(t, '1000.00');
    const ids = await households(3);
    const r = await requestBatch(allowance(f, ids.map((householdId) => ({ householdId, amount: '100.00' }))));
    const approved = await approveBatch(r.body.id);
    expect(await moneyOf(t, f, 'living_allowance')).toEqual({ bank: '700.00', reserved: '300.00', expense: '0.00' });

    const line = r.body.items[1];
    const released = await fail(line.id, '户主死亡，停发');
    expect(released.status).toBe(200);
    const release = await t.call('GET', `/v1/transactions/${released.body.failureTransactionId}`);
    expect(release.body).toMatchObject({ reversesTransactionId: null, reference: line.id });
    expect(release.body.lines).toMatchObject([
      { accountId: f.byRole.bank, direction: 'debit', amount: '100.00' },
      { accountId: f.byRole.bank_reserved, direction: 'credit', amount: '100.00' },
    ]);
    expect((await t.call('GET', `/v1/transactions/${approved.body.approvalTransactionId}`)).body.reversedByTransactionId).toBeNull();
    expect(await moneyOf(t, f, 'living_allowance')).toEqual({ bank: '800.00', reserved: '200.00', expense: '0.00' });

    const paid = await payBatch(r.body.id);
    expect(paid.status).toBe(200);
    expect((await t.call('GET', `/v1/transactions/${paid.body.paymentTransactionId}`)).body.lines).toHaveLength(3);
    expect(await moneyOf(t, f, 'living_allowance')).toEqual({ bank: '800.00', reserved: '0.00', expense: '200.00' });
    const lines = (await t.call('GET', `/v1/disbursement-batches/${r.body.id}`)).body.items;
    expect(lines.map((i: any) => i.status).sort()).toEqual(['failed', 'paid', 'paid']);
  });

  it('approves and pays a line only with its batch', async () => {
    const f = await fundedPreventionFund(t);
    const r = await requestBatch(allowance(f, (await households(1)).map((householdId) => ({ householdId, amount: '10.00' }))));
    const line = r.body.items[0].id;
    const before = await written(t);
    const approve = await t.call('POST', `/v1/disbursements/${line}/approve`, { token: checker });
    expect(approve.status).toBe(409);
    expect(approve.body.code).toBe('invalid_state');
    expect(approve.body.batchId).toBe(r.body.id);
    expect(await written(t)).toEqual(before);
  });

  it('refuses approval when a line no longer qualifies, naming it; approves the rest once it is failed', async () => {
    const f = await fundedPreventionFund(t);
    const ids = await households(3);
    const r = await requestBatch(allowance(f, ids.map((householdId) => ({ householdId, amount: '50.00' }))));
    const leaving = r.body.items[2];
    await t.call('POST', `/v1/households/${leaving.householdId}/monitoring/eliminate`, { body: { date: '2025-05-01', reason: '风险消除' } });
    const before = await written(t);
    const refused = await approveBatch(r.body.id);
    expect(refused.status).toBe(400);
    expect(refused.body.errors).toMatchObject([{ index: 2, householdId: leaving.householdId, disbursementId: leaving.id, code: 'not_monitored' }]);
    expect(await written(t)).toEqual(before);

    await fail(leaving.id, '已销号');
    const ok = await approveBatch(r.body.id);
    expect(ok.status).toBe(200);
    expect(ok.body.byStatus).toMatchObject({ approved: { count: 2, amount: '100.00' }, failed: { count: 1, amount: '50.00' } });
    expect(await moneyOf(t, f, 'living_allowance')).toMatchObject({ reserved: '100.00' });
  });

  it('refuses approval beyond the available bank balance, writing nothing', async () => {
    const f = await fundedPreventionFund(t, '100.00');
    const r = await requestBatch(allowance(f, (await households(3)).map((householdId) => ({ householdId, amount: '40.00' }))));
    const before = await written(t);
    const refused = await approveBatch(r.body.id);
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe('insufficient_funds');
    expect(await written(t)).toEqual(before);
  });

  it('pays a village batch from its allocation, in aggregate, and refuses households of other villages', async () => {
    const f = await fundedPreventionFund(t, '5000.00');
    const village = await createVillage(t, '东坡村');
    const allocation = await allocateToVillage(t, f.fundId, village, '1000.00');
    const ids = await households(4, village);
    const outsider = (await households(1))[0]!;

    const wrong = await requestBatch(allowance(f, [...ids, outsider].map((householdId) => ({ householdId, amount: '200.00' })), { villageId: village }));
    expect(wrong.status).toBe(400);
    expect(wrong.body.errors).toMatchObject([{ index: 4, householdId: outsider, code: 'village_mismatch' }]);

    const r = await requestBatch(allowance(f, ids.map((householdId) => ({ householdId, amount: '200.00' })), { villageId: village }));
    expect(r.status).toBe(201);
    const approved = await approveBatch(r.body.id);
    expect(approved.status).toBe(200);
    expect(await balanceOf(t, allocation)).toBe('200.00');
    const reservation = await t.call('GET', `/v1/transactions/${approved.body.approvalTransactionId}`);
    expect(reservation.body.lines).toMatchObject([
      { accountId: f.byRole.bank_reserved, direction: 'debit', amount: '800.00' },
      { accountId: f.byRole.bank, direction: 'credit', amount: '800.00' },
      { accountId: allocation, direction: 'debit', amount: '800.00' },
      { accountId: f.byRole.village_distribution, direction: 'credit', amount: '800.00' },
    ]);
    await fail(r.body.items[0].id);
    expect(await balanceOf(t, allocation)).toBe('400.00');
    expect((await payBatch(r.body.id)).status).toBe(200);
    await fail(r.body.items[1].id);
    expect(await balanceOf(t, allocation)).toBe('600.00');
    expect(await moneyOf(t, f, 'living_allowance')).toMatchObject({ reserved: '0.00', expense: '400.00' });

    // A second batch for more than is left in the village is refused, though the bank could pay it.
    const more = await requestBatch(allowance(f, ids.slice(0, 4).map((householdId) => ({ householdId, amount: '150.01' })), { villageId: village }));
    const refused = await approveBatch(more.body.id);
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe('insufficient_funds');
    expect(refused.body.detail).toContain('东坡村');
  });

  it('pays the largest batch, 5,000 households, on one voucher of 5,001 lines', async () => {
    const f = await fundedPreventionFund(t, '10000000.00');
    // Registered straight in the database: 5,000 households through the API would only slow the test.
    const run = uniqueCode('BIG');
    const created = await t.database.db
      .insert(householdsTable)
      .values(
        Array.from({ length: 5000 }, (_, i) => ({
          code: `${run}-${String(i).padStart(4, '0')}`,
          headName: '李四',
          idNumberHash: `${run}-${i}`,
          idNumberMasked: '5107**********0000',
          villageId,
          memberCount: 2,
        })),
      )
      .returning({ id: householdsTable.id });
    await t.database.db
      .insert(householdMonitoring)
      .values(created.map((h) => ({ householdId: h.id, category: 'marginal' as const, riskCauses: ['illness'], since: '2025-01-01', createdBy: 'test' })));

    const r = await requestBatch(allowance(f, created.map((h) => ({ householdId: h.id, amount: '600.00' }))));
    expect(r.status, JSON.stringify(r.body).slice(0, 500)).toBe(201);
    expect(r.body).toMatchObject({ total: '3000000.00', byStatus: { requested: { count: 5000 } } });
    const approved = await approveBatch(r.body.id);
    expect(approved.status).toBe(200);
    expect(approved.body).not.toHaveProperty('items');
    const paid = await payBatch(r.body.id);
    expect(paid.status).toBe(200);
    expect(paid.body).not.toHaveProperty('items');
    const voucher = await t.call('GET', `/v1/transactions/${paid.body.paymentTransactionId}`);
    expect(voucher.body.lines).toHaveLength(5001);
    // A page of 500 lines by default.
    const first = await t.call('GET', `/v1/disbursement-batches/${r.body.id}`);
    expect(first.body.items).toHaveLength(500);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    expect(first.body.byStatus.paid).toEqual({ count: 5000, amount: '3000000.00' });
    expect(await moneyOf(t, f, 'living_allowance')).toEqual({ bank: '7000000.00', reserved: '0.00', expense: '3000000.00' });
  });

  describe('pays only households still monitored on the day the money moves', () => {
    const BENEFIT_DAY = '2024-03-01';
    const eliminate = async (householdId: string) => {
      const r = await t.call('POST', `/v1/households/${householdId}/monitoring/eliminate`, { body: { date: '2025-01-01', reason: '风险消除' } });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
    };
    const backDatedBatch = async (f: PreventionFund) => {
      const ids = await households(3, villageId, '2024-01-01');
      const r = await requestBatch(allowance(f, ids.map((householdId) => ({ householdId, amount: '100.00' })), { date: BENEFIT_DAY }));
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      return r.body;
    };

    it('refuses to approve a back-dated batch while a line’s household has left monitoring since, naming the line', async () => {
      const f = await fundedPreventionFund(t, '1000.00');
      const batch = await backDatedBatch(f);
      const leaving = batch.items[1];
      await eliminate(leaving.householdId);
      const before = await written(t);
      const refused = await approveBatch(batch.id);
      expect(refused.status).toBe(400);
      expect(refused.body.errors).toMatchObject([{ index: 1, householdId: leaving.householdId, disbursementId: leaving.id, code: 'not_monitored' }]);
      expect(refused.body.errors).toHaveLength(1);
      expect(refused.body.errors[0].message).toContain('not monitored today');
      expect(await written(t)).toEqual(before);

      await fail(leaving.id, '已销号');
      const ok = await approveBatch(batch.id);
      expect(ok.status, JSON.stringify(ok.body)).toBe(200);
      expect(ok.body.byStatus).toMatchObject({ approved: { count: 2, amount: '200.00' }, failed: { count: 1, amount: '100.00' } });
    });

    it('refuses to pay a batch while an approved line’s household has left monitoring since, naming the line', async () => {
      const f = await fundedPreventionFund(t, '1000.00');
      const batch = await backDatedBatch(f);
      expect((await approveBatch(batch.id)).status).toBe(200);
      const leaving = batch.items[2];
      await eliminate(leaving.householdId);
      const before = await written(t);
      const refused = await payBatch(batch.id);
      expect(refused.status).toBe(400);
      expect(refused.body.code).toBe('validation_failed');
      expect(refused.body.detail).toContain('1 of 3 items cannot be paid');
      expect(refused.body.errors).toMatchObject([{ index: 2, householdId: leaving.householdId, disbursementId: leaving.id, code: 'not_monitored' }]);
      expect(refused.body.errors[0].message).toContain('when the payment is posted');
      expect(await written(t)).toEqual(before);

      await fail(leaving.id, '已销号');
      const paid = await payBatch(batch.id);
      expect(paid.status, JSON.stringify(paid.body)).toBe(200);
      expect(paid.body.byStatus).toMatchObject({ paid: { count: 2, amount: '200.00' }, failed: { count: 1, amount: '100.00' } });
      expect(await moneyOf(t, f, 'living_allowance')).toEqual({ bank: '800.00', reserved: '0.00', expense: '200.00' });
    });
  });

  it('refuses insurance: its payouts are claims against a policy', async () => {
    const f = await fundedPreventionFund(t);
    expect(f.fund.allowedCategories).toContain('insurance');
    const ids = await households(1);
    const before = await written(t);
    const r = await requestBatch(allowance(f, [{ householdId: ids[0]!, amount: '100.00' }], { category: 'insurance' }));
    expect(r.status).toBe(422);
    expect(r.body.code).toBe('category_not_allowed');
    expect(r.body.detail).toContain('POST /v1/insurance-claims');
    expect(await written(t)).toEqual(before);
  });

  it('records each line’s own requested, approved, paid and failed events beside the batch’s', async () => {
    const f = await fundedPreventionFund(t);
    const r = await requestBatch(allowance(f, (await households(3)).map((householdId) => ({ householdId, amount: '20.00' }))));
    const approved = await approveBatch(r.body.id);
    const paid = await payBatch(r.body.id, 'YKT-EVT-1');
    await fail(r.body.items[0].id);
    expect(await eventTypes(t, r.body.id)).toEqual(['disbursement_batch.requested', 'disbursement_batch.approved', 'disbursement_batch.paid']);
    for (const [i, line] of r.body.items.entries()) {
      const expected = ['disbursement.requested', 'disbursement.approved', 'disbursement.paid', ...(i === 0 ? ['disbursement.failed'] : [])];
      expect(await eventTypes(t, line.id)).toEqual(expected);
      const payloads = (await rows<{ type: string; payload: any }>(t.database.db, sql`select type, payload from events where subject_id = ${line.id} order by id`)).map(
        (e) => e.payload,
      );
      for (const payload of payloads) expect(payload).toMatchObject({ disbursementId: line.id, householdId: line.householdId, batchId: r.body.id });
      expect(payloads[0]).toMatchObject({ amount: '20.00', category: 'living_allowance', date: PAY_DATE });
      expect(payloads[1]).toMatchObject({ transactionId: approved.body.approvalTransactionId });
      expect(payloads[2]).toMatchObject({ transactionId: paid.body.paymentTransactionId, bankReference: 'YKT-EVT-1' });
    }
  });

  it('keeps a paid batch paid when the bank returns every line; a batch never paid fails with its last line', async () => {
    const f = await fundedPreventionFund(t, '1000.00');
    const r = await requestBatch(allowance(f, (await households(2)).map((householdId) => ({ householdId, amount: '100.00' }))));
    await approveBatch(r.body.id);
    const paid = await payBatch(r.body.id);
    for (const line of r.body.items) expect((await fail(line.id, '银行退回')).status).toBe(200);
    const shown = await t.call('GET', `/v1/disbursement-batches/${r.body.id}`);
    expect(shown.body).toMatchObject({
      status: 'paid',
      paymentTransactionId: paid.body.paymentTransactionId,
      byStatus: { paid: { count: 0, amount: '0.00' }, failed: { count: 2, amount: '200.00' } },
    });
    expect(shown.body.items.map((i: any) => i.status)).toEqual(['failed', 'failed']);
    expect(await moneyOf(t, f, 'living_allowance')).toEqual({ bank: '1000.00', reserved: '0.00', expense: '0.00' });

    const unpaid = await requestBatch(allowance(f, (await households(2)).map((householdId) => ({ householdId, amount: '100.00' }))));
    await approveBatch(unpaid.body.id);
    for (const line of unpaid.body.items) await fail(line.id);
    expect((await t.call('GET', `/v1/disbursement-batches/${unpaid.body.id}`)).body).toMatchObject({ status: 'failed', paymentTransactionId: null });
    expect(await moneyOf(t, f, 'living_allowance')).toEqual({ bank: '1000.00', reserved: '0.00', expense: '0.00' });
  });

  it('answers approval and payment with the summary, and pages the lines by household code', async () => {
    const f = await fundedPreventionFund(t);
    const r = await requestBatch(allowance(f, (await households(5)).map((householdId) => ({ householdId, amount: '10.00' }))));
    expect(r.body.items).toHaveLength(5);
    expect(r.body.nextCursor).toBeNull();
    const codes = r.body.items.map((i: any) => i.householdCode);
    expect(codes).toEqual([...codes].sort());

    const approved = await approveBatch(r.body.id);
    expect(approved.status).toBe(200);
    expect(approved.body).not.toHaveProperty('items');
    expect(approved.body).toMatchObject({ status: 'approved', total: '50.00', byStatus: { approved: { count: 5, amount: '50.00' } } });
    const paid = await payBatch(r.body.id);
    expect(paid.status).toBe(200);
    expect(paid.body).not.toHaveProperty('items');
    expect(paid.body).toMatchObject({ status: 'paid', total: '50.00', byStatus: { paid: { count: 5, amount: '50.00' } } });

    const seen: any[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { status: number; body: any } = await t.call('GET', `/v1/disbursement-batches/${r.body.id}?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      expect(page.body).toMatchObject({ id: r.body.id, total: '50.00', byStatus: { paid: { count: 5 } } });
      seen.push(...page.body.items);
      cursor = page.body.nextCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen.map((i) => i.id)).toEqual(r.body.items.map((i: any) => i.id));
    expect(seen.every((i) => i.status === 'paid')).toBe(true);

    const whole = await t.call('GET', `/v1/disbursement-batches/${r.body.id}`);
    expect(whole.body.items).toHaveLength(5);
    expect(whole.body.nextCursor).toBeNull();
    expect((await t.call('GET', `/v1/disbursement-batches/${r.body.id}?cursor=bogus`)).body.code).toBe('validation_failed');
    expect((await t.call('GET', `/v1/disbursement-batches/${r.body.id}?limit=501`)).status).toBe(400);
  });

  it('marks a batch failed once every line has failed', async () => {
    const f = await fundedPreventionFund(t);
    const r = await requestBatch(allowance(f, (await households(2)).map((householdId) => ({ householdId, amount: '10.00' }))));
    await fail(r.body.items[0].id);
    expect((await t.call('GET', `/v1/disbursement-batches/${r.body.id}`)).body.status).toBe('requested');
    await fail(r.body.items[1].id);
    const shown = await t.call('GET', `/v1/disbursement-batches/${r.body.id}`);
    expect(shown.body.status).toBe('failed');
    expect((await approveBatch(r.body.id)).body.code).toBe('invalid_state');
  });
});
