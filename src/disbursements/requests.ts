import { and, asc, eq, gte, lte, sql, type SQL } from 'drizzle-orm';
import { assertChecker } from '../auth/maker-checker.js';
import { fundInReach } from '../auth/reach.js';
import type { Db, Executor, Tx } from '../db/client.js';
import { disbursementBatches, disbursements, households } from '../db/schema.js';
import { DomainError, notFound } from '../errors.js';
import { recordEvent } from '../events/outbox.js';
import { categoryLabel } from '../funds/categories.js';
import { roleAccount } from '../funds/chart-accounts.js';
import { type Category, expenseRole } from '../funds/chart.js';
import { assertNotFuture } from '../ledger/dates.js';
import { formatMoney, Money, parseAmount } from '../ledger/money.js';
import { postTransaction } from '../ledger/posting.js';
import { reverseTransaction } from '../ledger/reversal.js';
import { disbursementViews, lockBatch, type Row } from './records.js';
import { clip, type DisbursementRules, type HouseholdRef } from './rules.js';
import type { DisbursementDeps, DisbursementFilter, DisbursementInput } from './service.js';

/** Single disbursements: requested, approved, paid or failed one by one (a line of a batch fails here too). */
export function createDisbursementRequests(db: Db, deps: DisbursementDeps, rules: DisbursementRules) {
  const { posting, openFund, assertPayable, findVillage, assertSameVillage, assertUnderCap, assertMonitored, reservationLines, postReservation, refundLines } = rules;

  async function view(executor: Executor, id: string) {
    const [found] = await executor
      .select({ row: disbursements, householdCode: households.code })
      .from(disbursements)
      .innerJoin(households, eq(households.id, disbursements.householdId))
      .where(eq(disbursements.id, id));
    if (!found) throw notFound('Disbursement', id);
    return (await disbursementViews(executor, [found]))[0]!;
  }

  /** Locks the disbursement and reads its household's code with it, for the vouchers' memos. */
  async function lockDisbursement(tx: Tx, id: string): Promise<{ row: Row; household: HouseholdRef }> {
    const [found] = await tx
      .select({ row: disbursements, household: { id: households.id, code: households.code, villageId: households.villageId } })
      .from(disbursements)
      .innerJoin(households, eq(households.id, disbursements.householdId))
      .where(eq(disbursements.id, id))
      .for('update', { of: disbursements });
    if (!found) throw notFound('Disbursement', id);
    return found;
  }

  const partOfBatch = (row: Row, action: string) =>
    new DomainError(
      'invalid_state',
      `Disbursement ${row.id} is a line of batch ${row.batchId}: ${action} it with the batch (only failing is done line by line).`,
      { batchId: row.batchId },
    );

  return {
    get: (id: string) => view(db, id),

    async list(filter: DisbursementFilter) {
      const conditions: (SQL | undefined)[] = [
        filter.fundId ? eq(disbursements.fundId, filter.fundId) : undefined,
        fundInReach(filter.reach, disbursements.fundId),
        filter.householdId ? eq(disbursements.householdId, filter.householdId) : undefined,
        filter.villageId ? eq(disbursements.villageId, filter.villageId) : undefined,
        filter.category ? eq(disbursements.category, filter.category) : undefined,
        filter.status ? eq(disbursements.status, filter.status) : undefined,
        filter.from ? gte(disbursements.date, filter.from) : undefined,
        filter.to ? lte(disbursements.date, filter.to) : undefined,
        filter.after ? sql`(${disbursements.date}, ${disbursements.id}) > (${filter.after.date}::date, ${filter.after.id}::uuid)` : undefined,
      ];
      const found = await db
        .select({ row: disbursements, householdCode: households.code })
        .from(disbursements)
        .innerJoin(households, eq(households.id, disbursements.householdId))
        .where(and(...conditions))
        .orderBy(asc(disbursements.date), asc(disbursements.id))
        .limit(filter.limit);
      return disbursementViews(db, found);
    },

    async request(tx: Tx, input: DisbursementInput, actor: string) {
      const amount = parseAmount(input.amount);
      assertNotFuture(input.date, deps.today());
      const fund = await openFund(tx, input.fundId);
      assertPayable(fund, input.category);
      await roleAccount(tx, fund.id, 'bank');
      if (input.villageId) await findVillage(tx, input.villageId);
      const household = await deps.households.assertMonitoredOn(tx, input.householdId, input.date);
      await assertSameVillage(tx, household, input.villageId);
      await assertUnderCap(tx, fund, household, input.category, input.date, amount);
      const [created] = await tx
        .insert(disbursements)
        .values({
          fundId: fund.id,
          householdId: household.id,
          villageId: input.villageId ?? null,
          category: input.category,
          amount: formatMoney(amount),
          date: input.date,
          status: 'requested',
          requestedBy: actor,
        })
        .returning();
      await recordEvent(tx, {
        type: 'disbursement.requested',
        fundId: fund.id,
        subjectId: created!.id,
        payload: {
          disbursementId: created!.id,
          householdId: household.id,
          villageId: created!.villageId,
          category: input.category,
          amount: created!.amount,
          date: input.date,
          actor,
        },
      });
      return (await disbursementViews(tx, [{ row: created!, householdCode: household.code }]))[0]!;
    },

    async approve(tx: Tx, id: string, actor: string) {
      const { row } = await lockDisbursement(tx, id);
      if (row.batchId) throw partOfBatch(row, 'approve');
      if (row.status !== 'requested') {
        throw new DomainError('invalid_state', `Disbursement ${id} is ${row.status}; only a requested disbursement can be approved.`, { currentStatus: row.status });
      }
      assertChecker(`Disbursement ${id}`, row.requestedBy, actor, 'approve');
      const fund = await openFund(tx, row.fundId);
      assertPayable(fund, row.category);
      // Under the household's lock, approvals of its payments run one at a time, so the cap cannot be crossed by two at once.
      const household = await deps.households.lockHousehold(tx, row.householdId);
      await assertMonitored(tx, household, row.date, 'approval');
      await assertSameVillage(tx, household, row.villageId);
      const amount = new Money(row.amount);
      await assertUnderCap(tx, fund, household, row.category, row.date, amount);

      const memo = `${household.code} · disbursement ${row.id}`;
      const reservation = await reservationLines(tx, fund, row.villageId, amount, memo);
      const posted = await postReservation(
        tx,
        { description: `审批预留 Reservation for ${categoryLabel(row.category)} to household ${household.code} (disbursement ${row.id})`, reference: row.id, amount },
        reservation,
        actor,
      );
      await tx
        .update(disbursements)
        .set({ status: 'approved', approvedBy: actor, approvedAt: new Date(), approvalTransactionId: posted.id })
        .where(eq(disbursements.id, id));
      await recordEvent(tx, {
        type: 'disbursement.approved',
        fundId: row.fundId,
        subjectId: id,
        payload: { disbursementId: id, householdId: row.householdId, amount: row.amount, transactionId: posted.id, actor },
      });
      return view(tx, id);
    },

    async pay(tx: Tx, id: string, input: { bankReference: string }, actor: string) {
      const { row, household } = await lockDisbursement(tx, id);
      if (row.batchId) throw partOfBatch(row, 'pay');
      if (row.status === 'requested') throw new DomainError('not_approved', `Disbursement ${id} is not approved yet; it cannot be paid.`);
      if (row.status === 'paid') {
        throw new DomainError('already_paid', `Disbursement ${id} was already paid (bank reference ${row.bankReference}).`, {
          paymentTransactionId: row.paymentTransactionId,
        });
      }
      if (row.status !== 'approved') throw new DomainError('invalid_state', `Disbursement ${id} is ${row.status}; it cannot be paid.`, { currentStatus: row.status });
      assertChecker(`Disbursement ${id}`, row.requestedBy, actor, 'pay');
      await assertMonitored(tx, household, row.date, 'payment');
      const memo = `${household.code} · disbursement ${row.id}`;
      const posted = await postTransaction(
        tx,
        {
          date: deps.today(),
          description: clip(`支付 Payment of ${categoryLabel(row.category)} to household ${household.code} (disbursement ${row.id})`),
          reference: input.bankReference,
          lines: [
            { accountId: await roleAccount(tx, row.fundId, expenseRole(row.category as Category)), direction: 'debit', amount: row.amount, memo },
            { accountId: await roleAccount(tx, row.fundId, 'bank_reserved'), direction: 'credit', amount: row.amount, memo },
          ],
        },
        posting(actor),
      );
      await tx
        .update(disbursements)
        .set({ status: 'paid', paidBy: actor, paidAt: new Date(), bankReference: input.bankReference, paymentTransactionId: posted.id })
        .where(eq(disbursements.id, id));
      await recordEvent(tx, {
        type: 'disbursement.paid',
        fundId: row.fundId,
        subjectId: id,
        payload: { disbursementId: id, householdId: row.householdId, amount: row.amount, bankReference: input.bankReference, transactionId: posted.id, actor },
      });
      return view(tx, id);
    },

    /**
     * Fails one disbursement, alone or a line of a batch. Requested: nothing to undo. Approved: the
     * reservation is released. Paid: the bank sent the money back, a new economic event, so the
     * return is posted as a transaction of its own.
     */
    async fail(tx: Tx, id: string, input: { reason: string }, actor: string) {
      const [peek] = await tx.select({ batchId: disbursements.batchId }).from(disbursements).where(eq(disbursements.id, id));
      if (!peek) throw notFound('Disbursement', id);
      // The batch before its line, the order batch approval and payment take them in.
      const batch = peek.batchId ? await lockBatch(tx, peek.batchId) : undefined;
      const { row, household } = await lockDisbursement(tx, id);
      if (row.status === 'failed') throw new DomainError('invalid_state', `Disbursement ${id} has already failed (${row.failureReason}).`, { currentStatus: row.status });
      const memo = `${household.code} · disbursement ${row.id}`;

      let failureTransactionId: string | null = null;
      if (row.status === 'approved' && !row.batchId) {
        const released = await reverseTransaction(tx, row.approvalTransactionId!, { reason: input.reason }, posting(actor));
        failureTransactionId = released.id;
      } else if (row.status === 'approved') {
        // The batch's reservation covers every line: release only this line's share.
        const released = await postTransaction(
          tx,
          {
            date: deps.today(),
            description: clip(`释放预留 Release of disbursement ${row.id} of batch ${row.batchId} (household ${household.code}): ${input.reason}`),
            reference: row.id,
            lines: await refundLines(tx, row, 'bank_reserved', memo),
          },
          posting(actor),
        );
        failureTransactionId = released.id;
      } else if (row.status === 'paid') {
        const returned = await postTransaction(
          tx,
          {
            date: deps.today(),
            description: clip(`退回 Bank returned disbursement ${row.id} (household ${household.code}, ${row.bankReference}): ${input.reason}`),
            reference: row.id,
            lines: await refundLines(tx, row, expenseRole(row.category as Category), memo),
          },
          posting(actor),
        );
        failureTransactionId = returned.id;
      }
      await tx
        .update(disbursements)
        .set({ status: 'failed', failedBy: actor, failedAt: new Date(), failureReason: input.reason, failureTransactionId })
        .where(eq(disbursements.id, id));
      // A batch never paid has nothing left to do once every line failed; a paid one stays paid, its
      // lines and byStatus showing the returns, as its payment voucher stands.
      if (batch && !batch.paymentTransactionId) {
        const [alive] = await tx
          .select({ id: disbursements.id })
          .from(disbursements)
          .where(and(eq(disbursements.batchId, batch.id), sql`${disbursements.status} <> 'failed'`))
          .limit(1);
        if (!alive) await tx.update(disbursementBatches).set({ status: 'failed' }).where(eq(disbursementBatches.id, batch.id));
      }
      await recordEvent(tx, {
        type: 'disbursement.failed',
        fundId: row.fundId,
        subjectId: id,
        payload: { disbursementId: id, householdId: row.householdId, batchId: row.batchId, was: row.status, reason: input.reason, transactionId: failureTransactionId, actor },
      });
      return view(tx, id);
    },
  };
}
