import { sql, type SQL } from 'drizzle-orm';
import { type Executor, rows } from '../db/client.js';
import { walkChain } from './chain.js';

export interface Violation {
  invariant: string;
  detail: Record<string, unknown>;
}

/**
 * Recomputes from the journal what the ledger stores, and lists every disagreement. An empty list
 * means: every transaction balances per fund, every account's stored balance, totals and per-day
 * totals equal the sum of its lines, its last line's running balance equals its stored balance, no
 * no-overdraft account is below zero, every period-close snapshot equals the lines up to its month's
 * end, and every fund's hash chain recomputes and covers all its transactions. Reads the whole
 * journal: for verification, not for requests.
 */
export async function checkInvariants(executor: Executor): Promise<Violation[]> {
  const violations = await balanceViolations(executor);
  const funds = await rows<{ id: string }>(
    executor,
    sql`select id from funds f
         where exists (select 1 from transaction_lines l where l.fund_id = f.id)
            or exists (select 1 from fund_chains c where c.fund_id = f.id)
         order by id`,
  );
  for (const { id } of funds) {
    const chain = await walkChain(executor, id);
    if (chain.firstBroken) violations.push({ invariant: "fund's hash chain is intact", detail: { ...chain } });
  }
  return violations;
}

/** The checks that recompute figures from lines, for the whole ledger or for one fund's accounts. */
export async function balanceViolations(executor: Executor, fundId?: string): Promise<Violation[]> {
  const violations: Violation[] = [];
  const add = (invariant: string) => (detail: Record<string, unknown>) => violations.push({ invariant, detail });
  const where = (column: SQL) => (fundId ? sql`${column} = ${fundId}` : sql`true`);
  const ofAccounts = fundId ? sql`account_id in (select id from accounts where fund_id = ${fundId})` : sql`true`;

  (
    await rows<Record<string, unknown>>(
      executor,
      sql`select transaction_id, fund_id,
                 sum(amount) filter (where direction = 'debit') as debit,
                 sum(amount) filter (where direction = 'credit') as credit
            from transaction_lines where ${where(sql`fund_id`)} group by transaction_id, fund_id
          having coalesce(sum(amount) filter (where direction = 'debit'), 0)
              <> coalesce(sum(amount) filter (where direction = 'credit'), 0)`,
    )
  ).forEach(add('transaction balances within each fund'));

  (
    await rows<Record<string, unknown>>(
      executor,
      sql`select a.id as account_id, a.balance, a.debit_total, a.credit_total, s.debit, s.credit
            from accounts a
            left join (select account_id,
                              coalesce(sum(amount) filter (where direction = 'debit'), 0) as debit,
                              coalesce(sum(amount) filter (where direction = 'credit'), 0) as credit
                         from transaction_lines where ${ofAccounts} group by account_id) s on s.account_id = a.id
           where ${where(sql`a.fund_id`)}
             and (a.debit_total <> coalesce(s.debit, 0)
              or a.credit_total <> coalesce(s.credit, 0)
              or a.balance <> case when a.type in ('asset', 'expense')
                                   then coalesce(s.debit, 0) - coalesce(s.credit, 0)
                                   else coalesce(s.credit, 0) - coalesce(s.debit, 0) end)`,
    )
  ).forEach(add('stored balance equals the sum of its lines'));

  (
    await rows<Record<string, unknown>>(
      executor,
      sql`select coalesce(d.account_id, s.account_id) as account_id, coalesce(d.date, s.date) as date
            from (select * from account_daily_totals where ${ofAccounts}) d
            full join (select account_id, date,
                              coalesce(sum(amount) filter (where direction = 'debit'), 0) as debit,
                              coalesce(sum(amount) filter (where direction = 'credit'), 0) as credit
                         from transaction_lines
                        where ${ofAccounts}
                        group by account_id, date) s
              on s.account_id = d.account_id and s.date = d.date
           where d.account_id is null or s.account_id is null
              or d.debit_total <> s.debit or d.credit_total <> s.credit`,
    )
  ).forEach(add('per-day totals equal the sum of that day\'s lines'));

  (
    await rows<Record<string, unknown>>(
      executor,
      sql`select a.id as account_id, a.balance, l.balance_after
            from accounts a
            join lateral (select balance_after from transaction_lines
                           where account_id = a.id order by id desc limit 1) l on true
           where ${where(sql`a.fund_id`)} and l.balance_after <> a.balance`,
    )
  ).forEach(add('last running balance equals stored balance'));

  (
    await rows<Record<string, unknown>>(
      executor,
      sql`select id as account_id, balance from accounts where ${where(sql`fund_id`)} and no_overdraft and balance < 0`,
    )
  ).forEach(add('no-overdraft account is not below zero'));

  (
    await rows<Record<string, unknown>>(
      executor,
      sql`select pb.account_id, pb.period, pb.debit_total, pb.credit_total, pb.balance, s.debit, s.credit
            from period_balances pb
            join accounts a on a.id = pb.account_id
            cross join lateral (select coalesce(sum(amount) filter (where direction = 'debit'), 0) as debit,
                                       coalesce(sum(amount) filter (where direction = 'credit'), 0) as credit
                                  from transaction_lines l
                                 where l.account_id = pb.account_id
                                   and l.date < ((pb.period || '-01')::date + interval '1 month')::date) s
           where ${where(sql`pb.fund_id`)}
             and (pb.debit_total <> s.debit or pb.credit_total <> s.credit
              or pb.balance <> case when a.type in ('asset', 'expense') then s.debit - s.credit else s.credit - s.debit end)`,
    )
  ).forEach(add('period-close snapshot equals the lines up to the month\'s end'));

  return violations;
}
