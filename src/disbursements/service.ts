import { and, asc, eq, gt, gte, inArray, lte, sql, type SQL } from 'drizzle-orm';
import { assertChecker } from '../auth/maker-checker.js';
import { fundInReach } from '../auth/reach.js';
import type { Reach } from '../auth/roles.js';
import type { Db, Executor, Tx } from '../db/client.js';
import { disbursementBatches, disbursements, funds, householdMonitoring, households, villages } from '../db/schema.js';
import { DomainError, type ErrorCode, notFound } from '../errors.js';
import { eventOfType, recordEvent, recordEvents } from '../events/outbox.js';
import type { EventPayloads } from '../events/schemas.js';
import { assertCategoryAllowed, categoryLabel } from '../funds/categories.js';
import { findRoleAccount, roleAccount } from '../funds/chart-accounts.js';
import { type Category, categoryNames, expenseRole } from '../funds/chart.js';
import { coversDay, type HouseholdService } from '../households/service.js';
import { assertNotFuture } from '../ledger/dates.js';
import { formatMoney, Money, parseAmount, sum } from '../ledger/money.js';
import { type LineInput, postTransaction, type PostingContext } from '../ledger/posting.js';
import { reverseTransaction } from '../ledger/reversal.js';
import { disbursementStatuses } from './schemas.js';

export type DisbursementStatus = (typeof disbursementStatuses)[number];

export interface DisbursementInput {
  fundId: string;
  householdId: string;
  category: Category;
  amount: string;
  date: string;
  villageId?: string;
}

export interface BatchInput {
  fundId: string;
  category: Category;
  date: string;
  villageId?: string;
  description?: string;
  items: { householdId: string; amount: string }[];
}

export interface DisbursementFilter {
  fundId?: string;
  householdId?: string;
  villageId?: string;
  category?: Category;
  status?: DisbursementStatus;
  from?: string;
  to?: string;
  after?: { date: string; id: string };
  limit: number;
  /** The caller's reach: only its funds' disbursements. */
  reach: Reach | null;
}

export interface DisbursementDeps {
  households: HouseholdService;
  today(): string;
}

type Row = typeof disbursements.$inferSelect;
type BatchRow = typeof disbursementBatches.$inferSelect;
type FundRow = typeof funds.$inferSelect;
interface HouseholdRef {
  id: string;
  code: string;
  villageId: string;
}

/** One refused line of a batch: its position, its household and the reason, as the single route would name it. */
interface ItemProblem {
  index: number;
  householdId: string;
  disbursementId?: string;
  code: ErrorCode;
  message: string;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

const toDisbursement = (row: Row, householdCode: string) => ({
  id: row.id,
  fundId: row.fundId,
  householdId: row.householdId,
  householdCode,
  villageId: row.villageId,
  category: row.category as Category,
  amount: row.amount,
  date: row.date,
  status: row.status,
  batchId: row.batchId,
  requestedBy: row.requestedBy,
  approvedBy: row.approvedBy,
  approvedAt: iso(row.approvedAt),
  paidAt: iso(row.paidAt),
  bankReference: row.bankReference,
  failedAt: iso(row.failedAt),
  failureReason: row.failureReason,
  approvalTransactionId: row.approvalTransactionId,
  paymentTransactionId: row.paymentTransactionId,
  failureTransactionId: row.failureTransactionId,
  createdAt: row.createdAt.toISOString(),
});

// A voucher description holds at most 500 characters; a long batch description is cut, never refused.
const clip = (text: string) => text.slice(0, 500);
const yearOf = (date: string) => date.slice(0, 4);

export function createDisbursementService(db: Db, deps: DisbursementDeps) {
  const posting = (actor: string): PostingContext => ({ actor, today: deps.today() });

  /** The fund, refusing one that does not exist or takes no more payments. */
  async function openFund(executor: Executor, fundId: string): Promise<FundRow> {
    const [fund] = await executor.select().from(funds).where(eq(funds.id, fundId));
    if (!fund) throw notFound('Fund', fundId);
    if (fund.status !== 'active') throw new DomainError('fund_closed', `Fund ${fund.code} is closed and makes no payments.`);
    return fund;
  }

  /**
   * The fund's declared purposes (专款专用), less insurance: a payout from the bank as a disbursement
   * would bypass the policy, its premium pool and the claim's checks.
   */
  function assertPayable(fund: FundRow, category: string) {
    if (category === 'insurance') {
      throw new DomainError(
        'category_not_allowed',
        `Disbursements do not pay ${categoryLabel(category)}: insurance payouts are recorded as claims against a policy ` +
          '(POST /v1/insurance-claims) and paid from its premium pool.',
        { category, allowedCategories: fund.allowedCategories.filter((c) => c !== 'insurance') },
      );
    }
    assertCategoryAllowed(fund, category);
  }

  async function findVillage(executor: Executor, villageId: string) {
    const [village] = await executor.select().from(villages).where(eq(villages.id, villageId));
    if (!village) throw new DomainError('unknown_village', `No village with id ${villageId}.`, { villageId });
    return village;
  }

  async function villageNames(executor: Executor, ids: string[]) {
    const found = await executor.select({ id: villages.id, name: villages.name }).from(villages).where(inArray(villages.id, [...new Set(ids)]));
    return new Map(found.map((v) => [v.id, v.name]));
  }

  const villageMismatch = (household: HouseholdRef, villageId: string, names: Map<string, string>) =>
    new DomainError(
      'village_mismatch',
      `Household ${household.code} lives in ${names.get(household.villageId) ?? household.villageId}, not in ${names.get(villageId) ?? villageId}: ` +
        "a village's allocation pays only its own households.",
      { householdId: household.id, householdVillageId: household.villageId, villageId },
    );

  /** Refuses paying a household from the allocation of a village it does not live in. */
  async function assertSameVillage(executor: Executor, household: HouseholdRef, villageId: string | null | undefined) {
    if (!villageId || household.villageId === villageId) return;
    throw villageMismatch(household, villageId, await villageNames(executor, [household.villageId, villageId]));
  }

  const capOf = (fund: FundRow, category: string): Money | undefined => {
    const cap = (fund.yearlyCaps as Record<string, string>)[category];
    return cap === undefined ? undefined : new Money(cap);
  };

  /** Per household: what the fund has approved or paid it in the category during the date's calendar year. */
  async function capUsage(executor: Executor, fundId: string, category: string, date: string, householdIds: string[]) {
    const year = yearOf(date);
    const found = await executor
      .select({ householdId: disbursements.householdId, used: sql<string>`sum(${disbursements.amount})::text` })
      .from(disbursements)
      .where(
        and(
          eq(disbursements.fundId, fundId),
          eq(disbursements.category, category),
          inArray(disbursements.status, ['approved', 'paid']),
          gte(disbursements.date, `${year}-01-01`),
          lte(disbursements.date, `${year}-12-31`),
          inArray(disbursements.householdId, householdIds),
        ),
      )
      .groupBy(disbursements.householdId);
    return new Map(found.map((u) => [u.householdId, new Money(u.used)]));
  }

  function overCap(household: { id: string; code: string }, category: string, date: string, cap: Money, used: Money, amount: Money) {
    const remaining = Money.max(cap.minus(used), 0);
    const year = yearOf(date);
    return new DomainError(
      'over_cap',
      `Household ${household.code} may receive at most ${formatMoney(cap)} of ${categoryLabel(category)} from this fund in ${year}; ` +
        `${formatMoney(used)} is already approved or paid, so ${formatMoney(remaining)} remains, less than the ${formatMoney(amount)} asked.`,
      {
        householdId: household.id,
        category,
        year: Number(year),
        cap: formatMoney(cap),
        used: formatMoney(used),
        remaining: formatMoney(remaining),
        amount: formatMoney(amount),
      },
    );
  }

  async function assertUnderCap(executor: Executor, fund: FundRow, household: HouseholdRef, category: string, date: string, amount: Money) {
    const cap = capOf(fund, category);
    if (!cap) return;
    const used = (await capUsage(executor, fund.id, category, date, [household.id])).get(household.id) ?? new Money(0);
    if (used.plus(amount).gt(cap)) throw overCap(household, category, date, cap, used, amount);
  }

  /** The households of `ids` monitored on each of `days`: one query however many households and days. */
  async function monitoredOn(executor: Executor, ids: string[], days: string[]): Promise<Map<string, Set<string>>> {
    const periods = await executor
      .select({ householdId: householdMonitoring.householdId, since: householdMonitoring.since, eliminatedOn: householdMonitoring.eliminatedOn })
      .from(householdMonitoring)
      .where(inArray(householdMonitoring.householdId, [...new Set(ids)]));
    return new Map(days.map((day) => [day, new Set(periods.filter((p) => coversDay(p, day)).map((p) => p.householdId))]));
  }

  /**
   * The date of a disbursement is the day the benefit is for, and may be in the past; its vouchers are
   * posted today. A household that has left monitoring is paid nothing more, whatever day a payment is for.
   */
  const notMonitoredToday = (household: { code: string }, today: string, date: string, step: string) =>
    `Household ${household.code} is not monitored today (${today}), when the ${step} is posted: ` +
    `a household that has left monitoring is paid nothing more, though the benefit is for ${date}.`;

  /** Refuses a single disbursement's approval or payment for a household not monitored on each of the days. */
  async function assertMonitored(executor: Executor, household: HouseholdRef, date: string, step: 'approval' | 'payment') {
    const today = deps.today();
    const checkDate = step === 'approval';
    const monitored = await monitoredOn(executor, [household.id], checkDate ? [date, today] : [today]);
    if (checkDate && !monitored.get(date)!.has(household.id)) {
      throw new DomainError('not_monitored', `Household ${household.code} is not monitored on ${date}.`, { householdId: household.id, date });
    }
    if (!monitored.get(today)!.has(household.id)) {
      throw new DomainError('not_monitored', notMonitoredToday(household, today, date, step), { householdId: household.id, date: today, benefitDate: date });
    }
  }

  /**
   * Checks many lines at once, with one query per kind of fact rather than per household, and names
   * every line that cannot be paid. `known` passes households already read (and locked) by the caller;
   * `postedToday` names the step whose voucher is posted today, when there is one.
   */
  async function itemProblems(
    executor: Executor,
    fund: FundRow,
    spec: { category: string; date: string; villageId: string | null; postedToday?: 'approval' },
    items: { householdId: string; amount: string; disbursementId?: string; index?: number }[],
    known?: Map<string, HouseholdRef>,
  ): Promise<ItemProblem[]> {
    const ids = [...new Set(items.map((i) => i.householdId))];
    const found =
      known ??
      new Map(
        (await executor.select({ id: households.id, code: households.code, villageId: households.villageId }).from(households).where(inArray(households.id, ids))).map(
          (h) => [h.id, h],
        ),
      );
    const today = deps.today();
    const monitoring = await monitoredOn(executor, ids, [spec.date, today]);
    const monitored = monitoring.get(spec.date)!;
    const monitoredToday = monitoring.get(today)!;
    const names = spec.villageId ? await villageNames(executor, [spec.villageId, ...[...found.values()].map((h) => h.villageId)]) : new Map<string, string>();
    const cap = capOf(fund, spec.category);
    const usage = cap ? await capUsage(executor, fund.id, spec.category, spec.date, ids) : new Map<string, Money>();

    const problems: ItemProblem[] = [];
    const firstIndex = new Map<string, number>();
    items.forEach((item, position) => {
      const index = item.index ?? position;
      const refuse = (code: ErrorCode, message: string) =>
        problems.push({ index, householdId: item.householdId, ...(item.disbursementId ? { disbursementId: item.disbursementId } : {}), code, message });
      const household = found.get(item.householdId);
      const earlier = firstIndex.get(item.householdId);
      if (earlier !== undefined) return refuse('validation_failed', `Household ${household?.code ?? item.householdId} is already item ${earlier}: list each household once.`);
      firstIndex.set(item.householdId, index);
      if (!household) return refuse('unknown_household', `No household with id ${item.householdId}.`);
      if (spec.villageId && household.villageId !== spec.villageId) return refuse('village_mismatch', villageMismatch(household, spec.villageId, names).message);
      if (!monitored.has(household.id)) return refuse('not_monitored', `Household ${household.code} is not monitored on ${spec.date}.`);
      if (spec.postedToday && !monitoredToday.has(household.id)) return refuse('not_monitored', notMonitoredToday(household, today, spec.date, spec.postedToday));
      if (cap) {
        const used = usage.get(household.id) ?? new Money(0);
        const amount = new Money(item.amount);
        if (used.plus(amount).gt(cap)) return refuse('over_cap', overCap(household, spec.category, spec.date, cap, used, amount).message);
      }
    });
    return problems;
  }

  function refuseItems(problems: ItemProblem[], count: number, what: string) {
    const shown = problems.slice(0, 5).map((p) => `item ${p.index}: ${p.message}`);
    const more = problems.length > shown.length ? ` …and ${problems.length - shown.length} more (see errors).` : '';
    return new DomainError(
      'validation_failed',
      `${problems.length} of ${count} items cannot be ${what}, so nothing was done. ${shown.join(' ')}${more}`,
      { errors: problems },
    );
  }

  /**
   * The reservation (Dr bank_reserved / Cr bank), and for village money the use of the village's
   * allocation (Dr village allocation / Cr village_distribution). Both credited accounts refuse to go
   * below zero, so the ledger itself stops approvals beyond the money there is.
   */
  async function reservationLines(tx: Tx, fund: FundRow, villageId: string | null, amount: Money, memo: string) {
    const value = formatMoney(amount);
    const names = new Map<string, string>();
    const bank = await roleAccount(tx, fund.id, 'bank');
    const reserved = await roleAccount(tx, fund.id, 'bank_reserved');
    names.set(bank, `the fund's available bank balance`);
    const lines: LineInput[] = [
      { accountId: reserved, direction: 'debit', amount: value, memo },
      { accountId: bank, direction: 'credit', amount: value, memo },
    ];
    if (villageId) {
      const village = await findVillage(tx, villageId);
      const allocation = await findRoleAccount(tx, fund.id, 'village_allocation', { villageId });
      if (!allocation) {
        throw new DomainError(
          'insufficient_funds',
          `Village ${village.name} has no allocation in fund ${fund.code}: no income has reached it, so it has nothing to pay ${value} from.`,
          { villageId, available: '0.00', shortfall: value, accounts: [] },
        );
      }
      names.set(allocation, `village ${village.name}'s allocation`);
      lines.push(
        { accountId: allocation, direction: 'debit', amount: value, memo },
        { accountId: await roleAccount(tx, fund.id, 'village_distribution'), direction: 'credit', amount: value, memo },
      );
    }
    return { lines, names };
  }

  /** Posts a reservation, restating the ledger's insufficient_funds in the words of the accounts concerned. */
  async function postReservation(tx: Tx, input: { description: string; reference: string; amount: Money }, reservation: Awaited<ReturnType<typeof reservationLines>>, actor: string) {
    try {
      return await postTransaction(
        tx,
        { date: deps.today(), description: clip(input.description), reference: input.reference, lines: reservation.lines },
        posting(actor),
      );
    } catch (error) {
      if (!(error instanceof DomainError) || error.code !== 'insufficient_funds') throw error;
      const accounts = ((error.details?.accounts ?? []) as { accountId: string; balance: string; shortfall: string }[]).map((a) => ({
        ...a,
        name: reservation.names.get(a.accountId) ?? a.accountId,
      }));
      throw new DomainError(
        'insufficient_funds',
        `Not enough money to approve ${formatMoney(input.amount)}: ` +
          accounts.map((a) => `${a.name} is ${a.balance}, ${a.shortfall} short`).join('; ') +
          '.',
        { ...error.details, accounts },
      );
    }
  }

  /** Money back into the fund for one line: to the available bank from `from`, and back to the village's allocation. */
  async function refundLines(tx: Tx, row: Row, from: string, memo: string): Promise<LineInput[]> {
    const lines: LineInput[] = [
      { accountId: await roleAccount(tx, row.fundId, 'bank'), direction: 'debit', amount: row.amount, memo },
      { accountId: await roleAccount(tx, row.fundId, from), direction: 'credit', amount: row.amount, memo },
    ];
    if (row.villageId) {
      lines.push(
        { accountId: await roleAccount(tx, row.fundId, 'village_distribution'), direction: 'debit', amount: row.amount, memo },
        {
          accountId: await roleAccount(tx, row.fundId, 'village_allocation', { villageId: row.villageId }),
          direction: 'credit',
          amount: row.amount,
          memo,
        },
      );
    }
    return lines;
  }

  async function view(executor: Executor, id: string) {
    const [found] = await executor
      .select({ row: disbursements, householdCode: households.code })
      .from(disbursements)
      .innerJoin(households, eq(households.id, disbursements.householdId))
      .where(eq(disbursements.id, id));
    if (!found) throw notFound('Disbursement', id);
    return toDisbursement(found.row, found.householdCode);
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

  async function lockBatch(tx: Tx, id: string): Promise<BatchRow> {
    const [row] = await tx.select().from(disbursementBatches).where(eq(disbursementBatches.id, id)).for('update');
    if (!row) throw notFound('Disbursement batch', id);
    return row;
  }

  const partOfBatch = (row: Row, action: string) =>
    new DomainError(
      'invalid_state',
      `Disbursement ${row.id} is a line of batch ${row.batchId}: ${action} it with the batch (only failing is done line by line).`,
      { batchId: row.batchId },
    );

  /**
   * A batch with its total and its lines counted by status, without the lines: one aggregate query
   * however many lines it has, so an answer stays small (approve and pay answers are kept with their
   * Idempotency-Key).
   */
  async function batchSummary(executor: Executor, id: string) {
    const [batch] = await executor.select().from(disbursementBatches).where(eq(disbursementBatches.id, id));
    if (!batch) throw notFound('Disbursement batch', id);
    const counted = await executor
      .select({ status: disbursements.status, count: sql<number>`count(*)::int`, amount: sql<string>`sum(${disbursements.amount})::text` })
      .from(disbursements)
      .where(eq(disbursements.batchId, id))
      .groupBy(disbursements.status);
    const byStatus = Object.fromEntries(
      disbursementStatuses.map((status) => {
        const these = counted.find((c) => c.status === status);
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
      paidAt: iso(batch.paidAt),
      bankReference: batch.bankReference,
      approvalTransactionId: batch.approvalTransactionId,
      paymentTransactionId: batch.paymentTransactionId,
      createdAt: batch.createdAt.toISOString(),
      total: formatMoney(sum(counted.map((c) => new Money(c.amount)))),
      byStatus,
    };
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
    return found.map((i) => toDisbursement(i.row, i.householdCode));
  }

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
    get: (id: string) => view(db, id),

    /** A batch with one page of its lines. */
    async getBatch(id: string, page: { afterCode?: string; limit: number }) {
      return { ...(await batchSummary(db, id)), items: await batchItems(db, id, page) };
    },

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
      return found.map((f) => toDisbursement(f.row, f.householdCode));
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
      return toDisbursement(created!, household.code);
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
        .set({ status: 'paid', paidAt: new Date(), bankReference: input.bankReference, paymentTransactionId: posted.id })
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
        .set({ status: 'failed', failedAt: new Date(), failureReason: input.reason, failureTransactionId })
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
      // Every line in the order the batch shows them, so that a refused line's index is its place in GET.
      const lines = await tx
        .select({ row: disbursements, householdCode: households.code })
        .from(disbursements)
        .innerJoin(households, eq(households.id, disbursements.householdId))
        .where(eq(disbursements.batchId, id))
        .orderBy(asc(households.code), asc(disbursements.id))
        .for('update', { of: disbursements });
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
      // Every line in the order the batch shows them, so that a refused line's index is its place in GET.
      const lines = await tx
        .select({ row: disbursements, householdCode: households.code })
        .from(disbursements)
        .innerJoin(households, eq(households.id, disbursements.householdId))
        .where(eq(disbursements.batchId, id))
        .orderBy(asc(households.code), asc(disbursements.id))
        .for('update', { of: disbursements });
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
        .set({ status: 'paid', paidAt: now, bankReference: input.bankReference, paymentTransactionId: posted.id })
        .where(and(eq(disbursements.batchId, id), eq(disbursements.status, 'approved')));
      await tx
        .update(disbursementBatches)
        .set({ status: 'paid', paidAt: now, bankReference: input.bankReference, paymentTransactionId: posted.id })
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

export type DisbursementService = ReturnType<typeof createDisbursementService>;
