import { and, asc, eq, gt, gte, inArray, lte, sql } from 'drizzle-orm';
import { assertChecker } from '../auth/maker-checker.js';
import type { Db, Executor, Tx } from '../db/client.js';
import { disbursementBatches, disbursements, households } from '../db/schema.js';
import { DomainError, notFound } from '../errors.js';
import { eventOfType, recordEvents } from '../events/outbox.js';
import type { EventPayloads } from '../events/schemas.js';
import { roleAccount } from '../funds/chart-accounts.js';
import { type Category, categoryNames, expenseRole } from '../funds/chart.js';
import { assertNotFuture } from '../ledger/dates.js';
import { formatMoney, Money, parseAmount, sum } from '../ledger/money.js';
import { type LineInput, postTransaction } from '../ledger/posting.js';
import { type BatchRow, disbursementViews, iso, lockBatch } from './records.js';
import { withKeyNames } from '../auth/key-names.js';
import { fundInReach } from '../auth/reach.js';
import { clip, type DisbursementRules, type ItemProblem } from './rules.js';
import type { BatchFilter, BatchInput, DisbursementDeps, DisbursementStatus } from './service.js';
import { disbursementStatuses } from './schemas.js';

/** Batches: one request, one approval and one payment voucher for many households' lines. */
export function createDisbursementBatches(db: Db, deps: DisbursementDeps, rules: DisbursementRules) {
  const { posting, openFund, assertPayable, findVillage, monitoredOn, notMonitoredToday, itemProblems, refuseItems, reservationLines, postReservation } = rules;

  /**
   * Batches with their totals and lines counted by status, without the lines: one aggregate query
   * however many batches and lines, so an answer stays small (approve and pay answers are kept with their
   * Idempotency-Key); their actors named.
   */
  async function batchSummaries(executor: Executor, batches: BatchRow[]) {
    const counted = batches.length
      ? await executor
          .select({
            batchId: disbursements.batchId,
            status: disbursements.status,
            count: sql<number>`count(*)::int`,
            amount: sql<string>`sum(${disbursements.amount})::text`,
          })
          .from(disbursements)
          .where(inArray(disbursements.batchId, batches.map((b) => b.id)))
          .groupBy(disbursements.batchId, disbursements.status)
      : [];
    const summaries = batches.map((batch) => {
      const mine = counted.filter((c) => c.batchId === batch.id);
      const byStatus = Object.fromEntries(
        disbursementStatuses.map((status) => {
          const these = mine.find((c) => c.status === status);
          return [status, { count: these?.count ?? 0, amount: formatMoney(new Money(these?.amount ?? 0)) }];
        }),
      ) as Record<DisbursementStatus, { count: number; amount: string }>;
      return {
        id: batch.id,
        fundId: batch.fundId,
        category: batch.category as Category,
        date: batch.date,
        villageId: batch.villageId,
        description: batch.description,
        status: batch.status,
        requestedBy: batch.requestedBy,
        approvedBy: batch.approvedBy,
        approvedAt: iso(batch.approvedAt),
        paidBy: batch.paidBy,
        paidAt: iso(batch.paidAt),
        bankReference: batch.bankReference,
        approvalTransactionId: batch.approvalTransactionId,
        paymentTransactionId: batch.paymentTransactionId,
        createdAt: batch.createdAt.toISOString(),
        total: formatMoney(sum(mine.map((c) => new Money(c.amount)))),
        byStatus,
      };
    });
    return withKeyNames(executor, summaries, ['requestedBy', 'approvedBy', 'paidBy'] as const);
  }

  async function batchSummary(executor: Executor, id: string) {
    const [batch] = await executor.select().from(disbursementBatches).where(eq(disbursementBatches.id, id));
    if (!batch) throw notFound('Disbursement batch', id);
    return (await batchSummaries(executor, [batch]))[0]!;
  }

  /** A page of a batch's lines in household-code order (a household is on a batch once), after the code `afterCode`. */
  async function batchItems(executor: Executor, id: string, page: { afterCode?: string; limit?: number }) {
    const query = executor
      .select({ row: disbursements, householdCode: households.code })
      .from(disbursements)
      .innerJoin(households, eq(households.id, disbursements.householdId))
      .where(and(eq(disbursements.batchId, id), page.afterCode === undefined ? undefined : gt(households.code, page.afterCode)))
      .orderBy(asc(households.code), asc(disbursements.id));
    const found = page.limit === undefined ? await query : await query.limit(page.limit);
    return disbursementViews(executor, found);
  }

  /** Every line of a batch, locked, in the order the batch shows them: a refused line's index is its place in GET. */
  const lockLines = (tx: Tx, id: string) =>
    tx
      .select({ row: disbursements, householdCode: households.code })
      .from(disbursements)
      .innerJoin(households, eq(households.id, disbursements.householdId))
      .where(eq(disbursements.batchId, id))
      .orderBy(asc(households.code), asc(disbursements.id))
      .for('update', { of: disbursements });

  /** One event per line of a batch, beside the batch's own, so that the feed shows every disbursement's steps. */
  type LineEventType = 'disbursement.requested' | 'disbursement.approved' | 'disbursement.paid' | 'disbursement.failed';
  const lineEvents = <T extends LineEventType>(
    type: T,
    fundId: string,
    batchId: string,
    lines: { id: string; householdId: string; amount: string }[],
    payload: Omit<EventPayloads[T], 'disbursementId' | 'householdId' | 'amount' | 'batchId'>,
  ) =>
    lines.map((l) =>
      eventOfType(type, { fundId, subjectId: l.id, payload: { disbursementId: l.id, householdId: l.householdId, amount: l.amount, batchId, ...payload } }),
    );

  return {
    /** The batches of the funds in reach, by date, each with its totals (no lines). */
    async listBatches(filter: BatchFilter) {
      const found = await db
        .select()
        .from(disbursementBatches)
        .where(
          and(
            filter.fundId ? eq(disbursementBatches.fundId, filter.fundId) : undefined,
            fundInReach(filter.reach, disbursementBatches.fundId),
            filter.status ? eq(disbursementBatches.status, filter.status) : undefined,
            filter.from ? gte(disbursementBatches.date, filter.from) : undefined,
            filter.to ? lte(disbursementBatches.date, filter.to) : undefined,
            filter.after ? sql`(${disbursementBatches.date}, ${disbursementBatches.id}) > (${filter.after.date}::date, ${filter.after.id}::uuid)` : undefined,
          ),
        )
        .orderBy(asc(disbursementBatches.date), asc(disbursementBatches.id))
        .limit(filter.limit);
      return batchSummaries(db, found);
    },

    /** A batch with one page of its lines. */
    async getBatch(id: string, page: { afterCode?: string; limit: number }) {
      return { ...(await batchSummary(db, id)), items: await batchItems(db, id, page) };
    },

    async requestBatch(tx: Tx, input: BatchInput, actor: string) {
      input.items.forEach((item, i) => parseAmount(item.amount, `items[${i}].amount`));
      assertNotFuture(input.date, deps.today());
      const fund = await openFund(tx, input.fundId);
      assertPayable(fund, input.category);
      await roleAccount(tx, fund.id, 'bank');
      if (input.villageId) await findVillage(tx, input.villageId);
      const problems = await itemProblems(tx, fund, { category: input.category, date: input.date, villageId: input.villageId ?? null }, input.items);
      if (problems.length) throw refuseItems(problems, input.items.length, 'requested');

      const [batch] = await tx
        .insert(disbursementBatches)
        .values({
          fundId: fund.id,
          category: input.category,
          date: input.date,
          villageId: input.villageId ?? null,
          description: input.description ?? `${categoryNames[input.category]} ${input.date}`,
          status: 'requested',
          requestedBy: actor,
        })
        .returning();
      const rows = input.items.map((item) => ({
        fundId: fund.id,
        householdId: item.householdId,
        villageId: input.villageId ?? null,
        category: input.category,
        amount: formatMoney(new Money(item.amount)),
        date: input.date,
        status: 'requested' as const,
        batchId: batch!.id,
        requestedBy: actor,
      }));
      // Chunks keep each statement well under PostgreSQL's 65,535 parameters.
      const created: { id: string; householdId: string; amount: string }[] = [];
      for (let i = 0; i < rows.length; i += 1000) {
        created.push(
          ...(await tx
            .insert(disbursements)
            .values(rows.slice(i, i + 1000))
            .returning({ id: disbursements.id, householdId: disbursements.householdId, amount: disbursements.amount })),
        );
      }
      const total = formatMoney(sum(rows.map((r) => new Money(r.amount))));
      await recordEvents(tx, [
        {
          type: 'disbursement_batch.requested',
          fundId: fund.id,
          subjectId: batch!.id,
          payload: { batchId: batch!.id, category: input.category, date: input.date, villageId: batch!.villageId, items: rows.length, total, actor },
        },
        ...lineEvents('disbursement.requested', fund.id, batch!.id, created, {
          villageId: batch!.villageId,
          category: input.category,
          date: input.date,
          actor,
        }),
      ]);
      // The requester gets every line back, with the ids needed to fail one; later answers carry the summary only.
      return { ...(await batchSummary(tx, batch!.id)), items: await batchItems(tx, batch!.id, {}), nextCursor: null };
    },

    async approveBatch(tx: Tx, id: string, actor: string) {
      const batch = await lockBatch(tx, id);
      if (batch.status !== 'requested') {
        throw new DomainError('invalid_state', `Batch ${id} is ${batch.status}; only a requested batch can be approved.`, { currentStatus: batch.status });
      }
      assertChecker(`Batch ${id}`, batch.requestedBy, actor, 'approve');
      const fund = await openFund(tx, batch.fundId);
      assertPayable(fund, batch.category);
      const lines = await lockLines(tx, id);
      const pending = lines
        .map((l, index) => ({ index, householdId: l.row.householdId, amount: l.row.amount, disbursementId: l.row.id, status: l.row.status }))
        .filter((l) => l.status === 'requested');
      if (!pending.length) throw new DomainError('invalid_state', `Batch ${id} has no requested line left to approve.`);
      // One statement, rows locked in id order: batches sharing households queue instead of deadlocking.
      const locked = await tx
        .select({ id: households.id, code: households.code, villageId: households.villageId })
        .from(households)
        .where(inArray(households.id, pending.map((l) => l.householdId)))
        .orderBy(asc(households.id))
        .for('update');
      const problems = await itemProblems(
        tx,
        fund,
        { category: batch.category, date: batch.date, villageId: batch.villageId, postedToday: 'approval' },
        pending,
        new Map(locked.map((h) => [h.id, h])),
      );
      if (problems.length) throw refuseItems(problems, pending.length, 'approved (fail them first, then approve the rest)');

      const total = sum(pending.map((l) => new Money(l.amount)));
      const reservation = await reservationLines(tx, fund, batch.villageId, total, `batch ${id} · ${pending.length} households`);
      const posted = await postReservation(
        tx,
        { description: `批量审批预留 Reservation for batch ${id}: ${pending.length} households, ${batch.description}`, reference: id, amount: total },
        reservation,
        actor,
      );
      const now = new Date();
      await tx
        .update(disbursements)
        .set({ status: 'approved', approvedBy: actor, approvedAt: now, approvalTransactionId: posted.id })
        .where(and(eq(disbursements.batchId, id), eq(disbursements.status, 'requested')));
      await tx
        .update(disbursementBatches)
        .set({ status: 'approved', approvedBy: actor, approvedAt: now, approvalTransactionId: posted.id })
        .where(eq(disbursementBatches.id, id));
      await recordEvents(tx, [
        {
          type: 'disbursement_batch.approved',
          fundId: batch.fundId,
          subjectId: id,
          payload: { batchId: id, items: pending.length, total: formatMoney(total), transactionId: posted.id, actor },
        },
        ...lineEvents(
          'disbursement.approved',
          batch.fundId,
          id,
          pending.map((l) => ({ id: l.disbursementId, householdId: l.householdId, amount: l.amount })),
          { transactionId: posted.id, actor },
        ),
      ]);
      return batchSummary(tx, id);
    },

    async payBatch(tx: Tx, id: string, input: { bankReference: string }, actor: string) {
      const batch = await lockBatch(tx, id);
      if (batch.status === 'requested') throw new DomainError('not_approved', `Batch ${id} is not approved yet; it cannot be paid.`);
      if (batch.status === 'paid') {
        throw new DomainError('already_paid', `Batch ${id} was already paid (bank reference ${batch.bankReference}).`, {
          paymentTransactionId: batch.paymentTransactionId,
        });
      }
      if (batch.status !== 'approved') throw new DomainError('invalid_state', `Batch ${id} is ${batch.status}; it cannot be paid.`, { currentStatus: batch.status });
      assertChecker(`Batch ${id}`, batch.requestedBy, actor, 'pay');
      const lines = await lockLines(tx, id);
      const items = lines.map((l, index) => ({ ...l, index })).filter((l) => l.row.status === 'approved');
      if (!items.length) throw new DomainError('invalid_state', `Every line of batch ${id} has failed; there is nothing to pay.`);
      const today = deps.today();
      const monitoredToday = (await monitoredOn(tx, items.map((i) => i.row.householdId), [today])).get(today)!;
      const problems = items
        .filter((i) => !monitoredToday.has(i.row.householdId))
        .map(
          (i): ItemProblem => ({
            index: i.index,
            householdId: i.row.householdId,
            disbursementId: i.row.id,
            code: 'not_monitored',
            message: notMonitoredToday({ code: i.householdCode }, today, batch.date, 'payment'),
          }),
        );
      if (problems.length) throw refuseItems(problems, items.length, 'paid (fail them first, then pay the rest)');

      const expense = await roleAccount(tx, batch.fundId, expenseRole(batch.category as Category));
      const total = sum(items.map((i) => new Money(i.row.amount)));
      const posted = await postTransaction(
        tx,
        {
          date: deps.today(),
          description: clip(`批量支付 Payment of batch ${id}: ${items.length} households, ${batch.description}`),
          reference: input.bankReference,
          lines: [
            ...items.map((i): LineInput => ({
              accountId: expense,
              direction: 'debit',
              amount: i.row.amount,
              memo: `${i.householdCode} · disbursement ${i.row.id}`,
            })),
            { accountId: await roleAccount(tx, batch.fundId, 'bank_reserved'), direction: 'credit', amount: formatMoney(total), memo: `batch ${id}` },
          ],
        },
        posting(actor),
      );
      const now = new Date();
      await tx
        .update(disbursements)
        .set({ status: 'paid', paidBy: actor, paidAt: now, bankReference: input.bankReference, paymentTransactionId: posted.id })
        .where(and(eq(disbursements.batchId, id), eq(disbursements.status, 'approved')));
      await tx
        .update(disbursementBatches)
        .set({ status: 'paid', paidBy: actor, paidAt: now, bankReference: input.bankReference, paymentTransactionId: posted.id })
        .where(eq(disbursementBatches.id, id));
      await recordEvents(tx, [
        {
          type: 'disbursement_batch.paid',
          fundId: batch.fundId,
          subjectId: id,
          payload: { batchId: id, items: items.length, total: formatMoney(total), bankReference: input.bankReference, transactionId: posted.id, actor },
        },
        ...lineEvents(
          'disbursement.paid',
          batch.fundId,
          id,
          items.map((i) => i.row),
          { bankReference: input.bankReference, transactionId: posted.id, actor },
        ),
      ]);
      return batchSummary(tx, id);
    },
  };
}
