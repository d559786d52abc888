import { type SQL, sql } from 'drizzle-orm';
import { type Db, type Executor, rows, type Tx } from '../db/client.js';
import { recordEvent } from '../events/outbox.js';
import { DomainError, notFound } from '../errors.js';
import type { AccountType } from './accounts.js';
import { lockChains } from './chain.js';
import { nextPeriod, periodEnd, periodOf, periodStart } from './dates.js';
import { formatMoney, Money, sum } from './money.js';
import { type FundVerification, verifyFund } from './verify.js';
import type { TrialBalanceLine } from './queries.js';

/**
 * Monthly accounting periods (会计期间) per fund.
 *
 * Closing a month closes the fund's books through its last day: from then on no posting, reversal,
 * dividend or payment may be dated on or before that day (period_closed), and late corrections are
 * posted in the open period with a reference to the original. Months close in order: a month can be
 * closed once it has ended and every earlier month that has postings is closed; an earlier month without
 * postings needs no close of its own, and is closed with the later one. The close stores every
 * account's cumulative totals and balance at the month's end (the snapshot) for as-of reads.
 *
 * Reopening (admin, with a reason) applies to the latest closed month only — an earlier one would let
 * postings change the months closed after it — and removes that month's snapshot, which is derived data;
 * the close and the reopening stay on record as period.closed / period.reopened events.
 *
 * Closes and reopenings lock the fund's chain head, which every posting into the fund also locks before
 * checking its dates (inLedgerTransaction, commit.ts): a posting either commits before the snapshot is taken, and is in
 * it, or checks its date after the close committed, and is refused. A close also locks the fund's
 * accounts first, keeping the one lock order (accounts by id, then chain heads by fund id).
 */

export interface PostingPeriodConflict {
  fundId: string;
  closedThrough: string;
}

/** The latest closed month of each fund that has one: a query, to run alone or inside another statement. */
export const closedThroughQuery = (fundIds: string[]): SQL =>
  sql`select fund_id, max(period) as period from accounting_periods
       where status = 'closed' and fund_id = any(${sql.param(fundIds)}::uuid[])
       group by fund_id`;

async function closedThrough(executor: Executor, fundIds: string[]): Promise<Map<string, string>> {
  return closedThroughMap(await rows<ClosedThroughRow>(executor, closedThroughQuery(fundIds)));
}

/**
 * The last part of a posting group's write statement: it raises `period_closed` (ledger_refuse, drizzle/0013)
 * when a posting is dated in or before a closed month of one of its funds — read in that statement's
 * snapshot, after the heads were locked, so a close committed meanwhile is seen. periodRefusal() turns
 * the raised error back into the refusal assertPostingsOpen() words.
 */
export function refuseClosedPeriods(postings: readonly { date: string; lines: readonly { fundId: string }[] }[]): SQL {
  // Per fund, the earliest month posted into: a closed period at or after it refuses.
  const earliest = new Map<string, string>();
  for (const { date, lines } of postings) {
    const month = date.slice(0, 7);
    for (const { fundId } of lines) {
      const known = earliest.get(fundId);
      if (!known || month < known) earliest.set(fundId, month);
    }
  }
  return sql`select ledger_refuse('period_closed', json_agg(c)::text) from (${closedThroughQuery([...earliest.keys()])}) c
              having bool_or(exists (select 1 from unnest(${sql.param([...earliest.keys()])}::uuid[], ${sql.param([...earliest.values()])}::text[]) as p(fund_id, month)
                                      where p.fund_id = c.fund_id and p.month <= c.period))`;
}

/** The refusal of `postings` that refuseClosedPeriods() raised in the database, or null for any other error. */
export function periodRefusal(error: unknown, postings: { date: string; lines: { fundId: string }[] }[]): DomainError | null {
  const raised = (error as { cause?: unknown })?.cause ?? error;
  const { code, message, detail } = (raised ?? {}) as { code?: string; message?: string; detail?: string };
  if (code !== 'P0001' || message !== 'fund-ledger refuses: period_closed' || !detail) return null;
  try {
    assertPostingsOpen(closedThroughMap(JSON.parse(detail) as ClosedThroughRow[]), postings);
  } catch (refusal) {
    if (refusal instanceof DomainError) return refusal;
  }
  return null;
}

export interface ClosedThroughRow {
  fund_id: string;
  period: string;
}

export const closedThroughMap = (found: ClosedThroughRow[]) => new Map(found.map((f) => [f.fund_id, f.period]));

/**
 * Refuses postings dated on or before the last day of a fund's latest closed month (`through`, read with
 * the funds' chain heads locked, in a statement after the lock, so that a close that committed while
 * the postings waited is seen: commit.ts): the first such posting fails the whole ledger transaction.
 */
export function assertPostingsOpen(through: Map<string, string>, postings: { date: string; lines: { fundId: string }[] }[]): void {
  if (!through.size) return;
  for (const { date, lines } of postings) {
    const closed = [...new Set(lines.map((l) => l.fundId))]
      .sort()
      .flatMap((fundId) => (through.has(fundId) && date <= periodEnd(through.get(fundId)!) ? [[fundId, through.get(fundId)!] as const] : []));
    if (!closed.length) continue;
    throw new DomainError(
      'period_closed',
      closed
        .map(
          ([fundId, period]) =>
            `Fund ${fundId} has closed its books through ${period}: nothing may be dated ${date}. ` +
            `Post a late correction in the open period (on or after ${periodStart(nextPeriod(period))}) with a reference to the original.`,
        )
        .join(' '),
      { date, funds: closed.map(([fundId, period]) => ({ fundId, closedThrough: period, openFrom: periodStart(nextPeriod(period)) })) },
    );
  }
}

interface PeriodRow {
  fund_id: string;
  period: string;
  status: 'closed' | 'open';
  closed_at: string;
  closed_by: string;
  reopened_at: string | null;
  reopened_by: string | null;
  reopen_reason: string | null;
  close_reason: string | null;
}

export interface PeriodView {
  fundId: string;
  period: string;
  status: 'closed' | 'open';
  /** Whether any line of the fund is dated in the month. */
  hasPostings: boolean;
  closedAt: string | null;
  closedBy: string | null;
  reopenedAt: string | null;
  reopenedBy: string | null;
  reopenReason: string | null;
  /** Why it was closed despite a check above the ledger that did not pass (an unreconciled bank account). */
  closeReason: string | null;
}

export type PeriodBalance = TrialBalanceLine;

const iso = (column: string) => sql.raw(`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`);

const periodColumns = sql`fund_id, period, status, ${iso('closed_at')} as closed_at, closed_by,
  ${iso('reopened_at')} as reopened_at, reopened_by, reopen_reason, close_reason`;

const toView = (fundId: string, period: string, row: PeriodRow | undefined, hasPostings: boolean): PeriodView => ({
  fundId,
  period,
  status: row?.status ?? 'open',
  hasPostings,
  closedAt: row?.closed_at ?? null,
  closedBy: row?.closed_by ?? null,
  reopenedAt: row?.reopened_at ?? null,
  reopenedBy: row?.reopened_by ?? null,
  reopenReason: row?.reopen_reason ?? null,
  closeReason: row?.close_reason ?? null,
});

/** Months of the fund with at least one line dated in them, between two months. */
async function monthsWithPostings(executor: Executor, fundId: string, from: string, to: string): Promise<Set<string>> {
  const found = await rows<{ period: string }>(
    executor,
    sql`select distinct to_char(d.date, 'YYYY-MM') as period
          from account_daily_totals d join accounts a on a.id = d.account_id
         where a.fund_id = ${fundId} and d.date >= ${periodStart(from)} and d.date <= ${periodEnd(to)}`,
  );
  return new Set(found.map((f) => f.period));
}

export function createPeriodService(db: Db, deps: { today(): string }) {
  async function assertFund(executor: Executor, fundId: string) {
    const [found] = await rows<{ id: string }>(executor, sql`select id from funds where id = ${fundId}`);
    if (!found) throw notFound('Fund', fundId);
  }

  async function periodRow(executor: Executor, fundId: string, period: string) {
    const [row] = await rows<PeriodRow>(
      executor,
      sql`select ${periodColumns} from accounting_periods where fund_id = ${fundId} and period = ${period}`,
    );
    return row;
  }

  async function snapshot(executor: Executor, fundId: string, period: string): Promise<PeriodBalance[]> {
    const found = await rows<{ id: string; code: string; name: string; type: AccountType; debit_total: string; credit_total: string; balance: string }>(
      executor,
      sql`select a.id, a.code, a.name, a.type, pb.debit_total, pb.credit_total, pb.balance
            from period_balances pb join accounts a on a.id = pb.account_id
           where pb.fund_id = ${fundId} and pb.period = ${period}
           order by a.code`,
    );
    return found.map((a) => {
      const debit = new Money(a.debit_total);
      const credit = new Money(a.credit_total);
      return {
        accountId: a.id,
        code: a.code,
        name: a.name,
        type: a.type,
        debitTotal: formatMoney(debit),
        creditTotal: formatMoney(credit),
        balance: formatMoney(new Money(a.balance)),
        balanceSide: debit.minus(credit).isNegative() ? 'credit' : 'debit',
      };
    });
  }

  async function periodWithBalances(executor: Executor, fundId: string, period: string) {
    const row = await periodRow(executor, fundId, period);
    const hasPostings = (await monthsWithPostings(executor, fundId, period, period)).has(period);
    const balances = row?.status === 'closed' ? await snapshot(executor, fundId, period) : [];
    return {
      ...toView(fundId, period, row, hasPostings),
      balances,
      totals: {
        debitTotal: formatMoney(sum(balances.map((b) => new Money(b.debitTotal)))),
        creditTotal: formatMoney(sum(balances.map((b) => new Money(b.creditTotal)))),
      },
    };
  }

  return {
    /** Every month from the fund's first posting (or first close) to the current one, oldest first. */
    async listPeriods(fundId: string, page: { after?: string; limit: number }): Promise<PeriodView[]> {
      await assertFund(db, fundId);
      const current = periodOf(deps.today());
      const [first] = await rows<{ posted: string | null; closed: string | null }>(
        db,
        sql`select (select to_char(min(d.date), 'YYYY-MM') from account_daily_totals d join accounts a on a.id = d.account_id
                     where a.fund_id = ${fundId}) as posted,
                   (select min(period) from accounting_periods where fund_id = ${fundId}) as closed`,
      );
      const start = [first?.posted, first?.closed, current].filter((p): p is string => !!p).sort()[0]!;
      const months: string[] = [];
      for (let p = page.after ? nextPeriod(page.after) : start; p <= current && months.length < page.limit; p = nextPeriod(p)) {
        if (p >= start) months.push(p);
      }
      if (!months.length) return [];
      const from = months[0]!;
      const to = months[months.length - 1]!;
      const stored = await rows<PeriodRow>(
        db,
        sql`select ${periodColumns} from accounting_periods
             where fund_id = ${fundId} and period >= ${from} and period <= ${to}`,
      );
      const byPeriod = new Map(stored.map((r) => [r.period, r]));
      const posted = await monthsWithPostings(db, fundId, from, to);
      return months.map((p) => toView(fundId, p, byPeriod.get(p), posted.has(p)));
    },

    /** A month with, when closed, its snapshot: every account's totals and balance at the month's end. */
    async getPeriod(fundId: string, period: string) {
      await assertFund(db, fundId);
      return periodWithBalances(db, fundId, period);
    },

    async closePeriod(tx: Tx, fundId: string, period: string, actor: string, reason: string | null = null) {
      await assertFund(tx, fundId);
      const today = deps.today();
      if (period >= periodOf(today)) {
        throw new DomainError(
          'period_not_ended',
          `Period ${period} has not ended (today is ${today}): a month can be closed from the first day of the next month.`,
          { period, today },
        );
      }
      // No posting into the fund runs from here until the close commits. The fund's accounts first, in
      // the order postings lock them: the snapshot's rows reference them (a foreign-key check locks each
      // one in share mode), and a posting holding one while waiting for the chain head would deadlock.
      await tx.execute(sql`select id from accounts where fund_id = ${fundId} order by id for update`);
      await lockChains(tx, [fundId]);
      const existing = await periodRow(tx, fundId, period);
      if (existing?.status === 'closed') {
        throw new DomainError('invalid_state', `Period ${period} of fund ${fundId} was already closed at ${existing.closed_at} by ${existing.closed_by}.`, {
          period,
          currentStatus: 'closed',
        });
      }
      const through = (await closedThrough(tx, [fundId])).get(fundId);
      if (!through || period > through) {
        const [open] = await rows<{ period: string | null }>(
          tx,
          sql`select to_char(min(d.date), 'YYYY-MM') as period
                from account_daily_totals d join accounts a on a.id = d.account_id
               where a.fund_id = ${fundId} and d.date < ${periodStart(period)}
                 ${through ? sql`and d.date > ${periodEnd(through)}` : sql``}`,
        );
        if (open?.period) {
          throw new DomainError(
            'invalid_state',
            `Period ${open.period} of fund ${fundId} has postings and is still open: months close in order, so close ${open.period} before ${period}.`,
            { period, openPeriod: open.period },
          );
        }
      }

      const end = periodEnd(period);
      await tx.execute(sql`
        insert into period_balances (account_id, period, fund_id, debit_total, credit_total, balance)
        select a.id, ${period}, a.fund_id, t.debit, t.credit,
               case when a.type in ('asset', 'expense') then t.debit - t.credit else t.credit - t.debit end
          from accounts a
          cross join lateral (select coalesce(sum(d.debit_total), 0) as debit, coalesce(sum(d.credit_total), 0) as credit
                                from account_daily_totals d where d.account_id = a.id and d.date <= ${end}) t
         where a.fund_id = ${fundId}`);
      await tx.execute(sql`
        insert into accounting_periods (fund_id, period, status, closed_at, closed_by, close_reason)
        values (${fundId}, ${period}, 'closed', now(), ${actor}, ${reason})
        on conflict (fund_id, period) do update set status = 'closed', closed_at = now(), closed_by = ${actor}, close_reason = ${reason}`);
      const closed = await periodWithBalances(tx, fundId, period);
      await recordEvent(tx, {
        type: 'period.closed',
        fundId,
        subjectId: `${fundId}/${period}`,
        payload: { fundId, period, through: end, accounts: closed.balances.length, ...closed.totals, actor, ...(reason ? { reason } : {}) },
      });
      return closed;
    },

    async reopenPeriod(tx: Tx, fundId: string, period: string, reason: string, actor: string) {
      await assertFund(tx, fundId);
      await lockChains(tx, [fundId]);
      const existing = await periodRow(tx, fundId, period);
      if (existing?.status !== 'closed') {
        throw new DomainError('invalid_state', `Period ${period} of fund ${fundId} is not closed; there is nothing to reopen.`, {
          period,
          currentStatus: 'open',
        });
      }
      const latest = (await closedThrough(tx, [fundId])).get(fundId)!;
      if (latest !== period) {
        throw new DomainError(
          'invalid_state',
          `Only the latest closed period of a fund can be reopened: ${latest} is closed after ${period}; reopen ${latest} first.`,
          { period, latestClosed: latest },
        );
      }
      await tx.execute(sql`delete from period_balances where fund_id = ${fundId} and period = ${period}`);
      await tx.execute(sql`
        update accounting_periods set status = 'open', reopened_at = now(), reopened_by = ${actor}, reopen_reason = ${reason}
         where fund_id = ${fundId} and period = ${period}`);
      await recordEvent(tx, {
        type: 'period.reopened',
        fundId,
        subjectId: `${fundId}/${period}`,
        payload: { fundId, period, reason, actor, closedAt: existing.closed_at, closedBy: existing.closed_by },
      });
      return periodWithBalances(tx, fundId, period);
    },

    async verify(fundId: string, anchor?: { position: number; hash: string }): Promise<FundVerification> {
      await assertFund(db, fundId);
      // One snapshot for the walk, the head and the balances: a posting committing meanwhile must not look like tampering.
      return db.transaction((tx) => verifyFund(tx, fundId, anchor), { isolationLevel: 'repeatable read', accessMode: 'read only' });
    },
  };
}

export type PeriodService = ReturnType<typeof createPeriodService>;
