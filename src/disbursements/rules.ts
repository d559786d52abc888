import { and, eq, gte, inArray, lte, sql } from 'drizzle-orm';
import type { Executor, Tx } from '../db/client.js';
import { disbursements, funds, householdMonitoring, households, villages } from '../db/schema.js';
import { DomainError, type ErrorCode, notFound } from '../errors.js';
import { assertCategoryAllowed, categoryLabel } from '../funds/categories.js';
import { findRoleAccount, roleAccount } from '../funds/chart-accounts.js';
import { coversDay } from '../households/service.js';
import { formatMoney, Money } from '../ledger/money.js';
import { type LineInput, postTransaction, type PostingContext } from '../ledger/posting.js';
import type { Row } from './records.js';
import type { DisbursementDeps } from './service.js';

export type FundRow = typeof funds.$inferSelect;
export interface HouseholdRef {
  id: string;
  code: string;
  villageId: string;
}

/** One refused line of a batch: its position, its household and the reason, as the single route would name it. */
export interface ItemProblem {
  index: number;
  householdId: string;
  disbursementId?: string;
  code: ErrorCode;
  message: string;
}

// A voucher description holds at most 500 characters; a long batch description is cut, never refused.
export const clip = (text: string) => text.slice(0, 500);
const yearOf = (date: string) => date.slice(0, 4);

/**
 * What may be paid, and the money set aside for it: the checks a disbursement and a batch share (an
 * open fund, an allowed category, the village, monitoring on the right days, the yearly cap) and the
 * postings that reserve and give back money.
 */
export function createDisbursementRules(deps: DisbursementDeps) {
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

  return {
    posting,
    openFund,
    assertPayable,
    findVillage,
    assertSameVillage,
    assertUnderCap,
    monitoredOn,
    notMonitoredToday,
    assertMonitored,
    itemProblems,
    refuseItems,
    reservationLines,
    postReservation,
    refundLines,
  };
}

export type DisbursementRules = ReturnType<typeof createDisbursementRules>;
