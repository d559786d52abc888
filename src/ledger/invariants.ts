import { sql } from 'drizzle-orm';
import { type Executor, rows } from '../db/client.js';

export interface Violation {
  invariant: string;
  detail: Record<string, unknown>;
}

/**
 * Recomputes from the journal what the ledger stores, and lists every disagreement. An empty list
 * means: every transaction balances per fund, every account's stored balance, totals and per-day
 * totals equal the sum of its lines, its last line's running balance equals its stored balance, and no
 * no-overdraft account is below zero. Reads the whole journal: for verification, not for requests.
 */
export async function checkInvariants(executor: Executor): Promise<Violation[]> {
  const violations: Violation[] = [];
  const add = (invariant: string) => (detail: Record<string, unknown>) => violations.push({ invariant, detail });

  (
    await rows<Record<string, unknown>>(
      executor,
      sql`select transaction_id, fund_id,
                 sum(amount) filter (where direction = 'debit') as debit,
                 sum(amount) filter (where direction = 'credit') as credit
            from transaction_lines group by transaction_id, fund_id
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
                         from transaction_lines group by account_id) s on s.account_id = a.id
           where a.debit_total <> coalesce(s.debit, 0)
              or a.credit_total <> coalesce(s.credit, 0)
              or a.balance <> case when a.type in ('asset', 'expense')
                                   then coalesce(s.debit, 0) - coalesce(s.credit, 0)
                                   else coalesce(s.credit, 0) - coalesce(s.debit, 0) end`,
    )
  ).forEach(add('stored balance equals the sum of its lines'));

  (
    await rows<Record<string, unknown>>(
      executor,
      sql`select coalesce(d.account_id, s.account_id) as account_id, coalesce(d.date, s.date) as date
            from account_daily_totals d
            full join (select account_id, date,
                              coalesce(sum(amount) filter (where direction = 'debit'), 0) as debit,
                              coalesce(sum(amount) filter (where direction = 'credit'), 0) as credit
                         from transaction_lines group by account_id, date) s
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
           where l.balance_after <> a.balance`,
    )
  ).forEach(add('last running balance equals stored balance'));

  (
    await rows<Record<string, unknown>>(
      executor,
      sql`select id as account_id, balance from accounts where no_overdraft and balance < 0`,
    )
  ).forEach(add('no-overdraft account is not below zero'));

  return violations;
}
