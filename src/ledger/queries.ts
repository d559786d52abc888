import { sql, type SQL } from 'drizzle-orm';
import { transactionInReach } from '../auth/reach.js';
import type { Reach } from '../auth/roles.js';
import { type Executor, rows } from '../db/client.js';
import { type AccountType, balanceFrom, type Direction, normalSide } from './accounts.js';
import { addDays, periodOf } from './dates.js';
import { formatMoney, Money, sum } from './money.js';
import { type FundVoucherNumber, voucherLabel } from './voucher-numbers.js';

export interface PostedLine {
  lineNo: number;
  accountId: string;
  fundId: string;
  direction: Direction;
  amount: string;
  memo: string | null;
  balanceAfter: string;
}

export interface PostedTransaction {
  id: string;
  number: number;
  date: string;
  description: string;
  reference: string | null;
  reversesTransactionId: string | null;
  reversedByTransactionId: string | null;
  reversalReason: string | null;
  createdBy: string;
  createdAt: string;
  lines: PostedLine[];
  /** Its number within each fund it touches and the month of its date (记-2026-11-0007); given when it is linked, so a posting's own answer from an operation has none yet. */
  voucherNumbers?: FundVoucherNumber[];
}

/** A transaction as the journal holds it: numbered within its funds and months. */
export type JournalTransaction = PostedTransaction & { voucherNumbers: FundVoucherNumber[] };

const iso = (column: SQL) => sql`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

interface TransactionRow {
  id: string;
  seq: string | number;
  date: string;
  description: string;
  reference: string | null;
  reverses_transaction_id: string | null;
  reversed_by: string | null;
  reversal_reason: string | null;
  created_by: string;
  created_at: string;
  voucher_numbers: { fund_id: string; period: string; number: number }[];
}

const transactionColumns = sql`t.id, t.seq, t.date, t.description, t.reference, t.reverses_transaction_id,
  r.id as reversed_by, t.reversal_reason, t.created_by, ${iso(sql`t.created_at`)} as created_at,
  (select coalesce(json_agg(json_build_object('fund_id', n.fund_id, 'period', n.period, 'number', n.number) order by n.fund_id), '[]'::json)
     from voucher_numbers n where n.transaction_id = t.id) as voucher_numbers`;

async function withLines(executor: Executor, found: TransactionRow[]): Promise<JournalTransaction[]> {
  if (!found.length) return [];
  const lines = await rows<{
    transaction_id: string;
    line_no: number;
    account_id: string;
    fund_id: string;
    direction: Direction;
    amount: string;
    memo: string | null;
    balance_after: string;
  }>(
    executor,
    sql`select transaction_id, line_no, account_id, fund_id, direction, amount, memo, balance_after
          from transaction_lines
         where transaction_id in (${sql.join(
           found.map((t) => sql`${t.id}::uuid`),
           sql`, `,
         )})
         order by transaction_id, line_no`,
  );
  const byTransaction = new Map<string, PostedLine[]>();
  for (const l of lines) {
    const list = byTransaction.get(l.transaction_id) ?? [];
    list.push({
      lineNo: Number(l.line_no),
      accountId: l.account_id,
      fundId: l.fund_id,
      direction: l.direction,
      amount: l.amount,
      memo: l.memo,
      balanceAfter: l.balance_after,
    });
    byTransaction.set(l.transaction_id, list);
  }
  return found.map((t) => ({
    id: t.id,
    number: Number(t.seq),
    date: t.date,
    description: t.description,
    reference: t.reference,
    reversesTransactionId: t.reverses_transaction_id,
    reversedByTransactionId: t.reversed_by,
    reversalReason: t.reversal_reason,
    createdBy: t.created_by,
    createdAt: t.created_at,
    lines: byTransaction.get(t.id) ?? [],
    voucherNumbers: t.voucher_numbers.map((n) => ({ fundId: n.fund_id, period: n.period, number: n.number, label: voucherLabel(n.period, n.number) })),
  }));
}

export async function getTransaction(executor: Executor, id: string): Promise<JournalTransaction | undefined> {
  const found = await rows<TransactionRow>(
    executor,
    sql`select ${transactionColumns}
          from transactions t left join transactions r on r.reverses_transaction_id = t.id
         where t.id = ${id}`,
  );
  return (await withLines(executor, found))[0];
}

/** Several transactions by id, with their lines, in posting order; ids not found are left out. */
export async function getTransactions(executor: Executor, ids: string[]): Promise<JournalTransaction[]> {
  if (!ids.length) return [];
  const found = await rows<TransactionRow>(
    executor,
    sql`select ${transactionColumns}
          from transactions t left join transactions r on r.reverses_transaction_id = t.id
         where t.id in (${sql.join(
           ids.map((id) => sql`${id}::uuid`),
           sql`, `,
         )})
         order by t.seq`,
  );
  return withLines(executor, found);
}

export interface TransactionFilter {
  fundId?: string;
  from?: string;
  to?: string;
  /** Only transactions posted after this number (the cursor). */
  after?: number;
  limit: number;
  /** Only transactions wholly within these funds (an API key's reach); null for all. */
  reach?: Reach | null;
}

/** Transactions in posting order. */
export async function listTransactions(executor: Executor, filter: TransactionFilter): Promise<JournalTransaction[]> {
  const conditions: SQL[] = [sql`true`];
  if (filter.after !== undefined) conditions.push(sql`t.seq > ${filter.after}`);
  if (filter.from) conditions.push(sql`t.date >= ${filter.from}`);
  if (filter.to) conditions.push(sql`t.date <= ${filter.to}`);
  const reached = transactionInReach(filter.reach ?? null, sql`t.id`);
  if (reached) conditions.push(reached);
  if (filter.fundId) {
    conditions.push(sql`exists (select 1 from transaction_lines l where l.transaction_id = t.id and l.fund_id = ${filter.fundId})`);
  }
  const found = await rows<TransactionRow>(
    executor,
    sql`select ${transactionColumns}
          from transactions t left join transactions r on r.reverses_transaction_id = t.id
         where ${sql.join(conditions, sql` and `)}
         order by t.seq
         limit ${filter.limit}`,
  );
  return withLines(executor, found);
}

export interface AccountView {
  id: string;
  fundId: string;
  code: string;
  name: string;
  type: AccountType;
  normalSide: Direction;
  noOverdraft: boolean;
  balance: string;
  debitTotal: string;
  creditTotal: string;
  role: string | null;
  villageId: string | null;
  policyId: string | null;
  createdAt: string;
}

interface AccountRow {
  id: string;
  fund_id: string;
  code: string;
  name: string;
  type: AccountType;
  no_overdraft: boolean;
  balance: string;
  debit_total: string;
  credit_total: string;
  role: string | null;
  village_id: string | null;
  policy_id: string | null;
  created_at: string;
}

const accountColumns = sql`id, fund_id, code, name, type, no_overdraft, balance, debit_total, credit_total, role, village_id, policy_id,
  ${iso(sql`created_at`)} as created_at`;

const toAccountView = (a: AccountRow): AccountView => ({
  id: a.id,
  fundId: a.fund_id,
  code: a.code,
  name: a.name,
  type: a.type,
  normalSide: normalSide[a.type],
  noOverdraft: a.no_overdraft,
  balance: a.balance,
  debitTotal: a.debit_total,
  creditTotal: a.credit_total,
  role: a.role,
  villageId: a.village_id,
  policyId: a.policy_id,
  createdAt: a.created_at,
});

export async function getAccount(executor: Executor, id: string): Promise<AccountView | undefined> {
  const found = await rows<AccountRow>(executor, sql`select ${accountColumns} from accounts where id = ${id}`);
  return found[0] && toAccountView(found[0]);
}

export async function listAccounts(
  executor: Executor,
  fundId: string,
  page: { afterCode?: string; limit: number },
): Promise<AccountView[]> {
  const found = await rows<AccountRow>(
    executor,
    sql`select ${accountColumns} from accounts
         where fund_id = ${fundId} ${page.afterCode !== undefined ? sql`and code > ${page.afterCode}` : sql``}
         order by code limit ${page.limit}`,
  );
  return found.map(toAccountView);
}

export interface BalanceAsOf {
  accountId: string;
  asOf: string;
  balance: string;
  debitTotal: string;
  creditTotal: string;
}

/**
 * Where an as-of read starts: the latest period-close snapshot of the account whose month ended on or
 * before the day (its cumulative totals), then the per-day totals after that month up to the day. With
 * no snapshot, all per-day totals up to the day. Closed months never change, so a snapshot stays exact,
 * and the cost is bounded by the days since the last close, not by the length of the journal.
 */
const snapshotBefore = (accountId: SQL, asOf: string) => sql`
  select pb.debit_total, pb.credit_total, ((pb.period || '-01')::date + interval '1 month')::date as resumes
    from period_balances pb
   where pb.account_id = ${accountId} and pb.period < ${periodOf(addDays(asOf, 1))}
   order by pb.period desc limit 1`;

/** Balance at the end of a day: the last close's snapshot plus the per-day totals since (see snapshotBefore). */
export async function balanceAsOf(executor: Executor, account: AccountView, asOf: string): Promise<BalanceAsOf> {
  const [totals] = await rows<{ debit: string | null; credit: string | null }>(
    executor,
    sql`with snapshot as (${snapshotBefore(sql`${account.id}::uuid`, asOf)})
        select coalesce((select debit_total from snapshot), 0) + coalesce(sum(d.debit_total), 0) as debit,
               coalesce((select credit_total from snapshot), 0) + coalesce(sum(d.credit_total), 0) as credit
          from account_daily_totals d
         where d.account_id = ${account.id} and d.date <= ${asOf}
           and d.date >= coalesce((select resumes from snapshot), '-infinity'::date)`,
  );
  const debit = new Money(totals?.debit ?? 0);
  const credit = new Money(totals?.credit ?? 0);
  return {
    accountId: account.id,
    asOf,
    balance: formatMoney(balanceFrom(account.type, debit, credit)),
    debitTotal: formatMoney(debit),
    creditTotal: formatMoney(credit),
  };
}

export interface Entry {
  lineId: number;
  transactionId: string;
  transactionNumber: number;
  lineNo: number;
  date: string;
  description: string;
  direction: Direction;
  amount: string;
  memo: string | null;
  balanceAfter: string;
}

/** An account's lines in posting order; `after` is the last line id already read (the cursor). */
export async function listEntries(
  executor: Executor,
  accountId: string,
  filter: { from?: string; to?: string; after?: number; limit: number },
): Promise<Entry[]> {
  const conditions: SQL[] = [sql`l.account_id = ${accountId}`];
  if (filter.after !== undefined) conditions.push(sql`l.id > ${filter.after}`);
  if (filter.from) conditions.push(sql`l.date >= ${filter.from}`);
  if (filter.to) conditions.push(sql`l.date <= ${filter.to}`);
  const found = await rows<{
    id: string | number;
    transaction_id: string;
    seq: string | number;
    line_no: number;
    date: string;
    description: string;
    direction: Direction;
    amount: string;
    memo: string | null;
    balance_after: string;
  }>(
    executor,
    sql`select l.id, l.transaction_id, t.seq, l.line_no, l.date, t.description, l.direction, l.amount, l.memo, l.balance_after
          from transaction_lines l join transactions t on t.id = l.transaction_id
         where ${sql.join(conditions, sql` and `)}
         order by l.id
         limit ${filter.limit}`,
  );
  return found.map((l) => ({
    lineId: Number(l.id),
    transactionId: l.transaction_id,
    transactionNumber: Number(l.seq),
    lineNo: Number(l.line_no),
    date: l.date,
    description: l.description,
    direction: l.direction,
    amount: l.amount,
    memo: l.memo,
    balanceAfter: l.balance_after,
  }));
}

/** One account in a trial balance or a period's snapshot. */
export interface TrialBalanceLine {
  accountId: string;
  code: string;
  name: string;
  type: AccountType;
  debitTotal: string;
  creditTotal: string;
  balance: string;
  /** The side the balance stands on: what a trial balance prints in its debit or credit column. */
  balanceSide: Direction;
}

export interface TrialBalance {
  fundId: string;
  asOf: string;
  accounts: TrialBalanceLine[];
  totals: { debitTotal: string; creditTotal: string; debitBalances: string; creditBalances: string };
  balanced: boolean;
}

export async function trialBalance(executor: Executor, fundId: string, asOf: string): Promise<TrialBalance> {
  const found = await rows<{ id: string; code: string; name: string; type: AccountType; debit: string; credit: string }>(
    executor,
    sql`select a.id, a.code, a.name, a.type,
               coalesce(s.debit_total, 0) + coalesce(t.debit, 0) as debit,
               coalesce(s.credit_total, 0) + coalesce(t.credit, 0) as credit
          from accounts a
          left join lateral (${snapshotBefore(sql`a.id`, asOf)}) s on true
          left join lateral (select sum(d.debit_total) as debit, sum(d.credit_total) as credit
                               from account_daily_totals d
                              where d.account_id = a.id and d.date <= ${asOf}
                                and d.date >= coalesce(s.resumes, '-infinity'::date)) t on true
         where a.fund_id = ${fundId}
         order by a.code`,
  );
  const lines = found.map((a) => {
    const debit = new Money(a.debit);
    const credit = new Money(a.credit);
    const net = debit.minus(credit);
    return {
      accountId: a.id,
      code: a.code,
      name: a.name,
      type: a.type,
      debit,
      credit,
      net,
      balance: formatMoney(balanceFrom(a.type, debit, credit)),
      balanceSide: (net.isNegative() ? 'credit' : 'debit') as Direction,
    };
  });
  const debitTotal = sum(lines.map((l) => l.debit));
  const creditTotal = sum(lines.map((l) => l.credit));
  const debitBalances = sum(lines.filter((l) => !l.net.isNegative()).map((l) => l.net));
  const creditBalances = sum(lines.filter((l) => l.net.isNegative()).map((l) => l.net.negated()));
  return {
    fundId,
    asOf,
    accounts: lines.map(({ debit, credit, net: _net, ...l }) => ({
      ...l,
      debitTotal: formatMoney(debit),
      creditTotal: formatMoney(credit),
    })),
    totals: {
      debitTotal: formatMoney(debitTotal),
      creditTotal: formatMoney(creditTotal),
      debitBalances: formatMoney(debitBalances),
      creditBalances: formatMoney(creditBalances),
    },
    balanced: debitTotal.eq(creditTotal) && debitBalances.eq(creditBalances),
  };
}
