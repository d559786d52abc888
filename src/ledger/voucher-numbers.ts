import { type SQL, sql } from 'drizzle-orm';
import { type Executor, rows } from '../db/client.js';
import { periodOf } from './dates.js';

/**
 * A voucher's number within its fund and the month of its date, as the books print it: 记-2026-11-0007
 * (记 for 记账凭证, the one voucher word the ledger uses). The global number (`number`) stays: it orders
 * the journal; this one is what an officer files and an auditor counts without gaps.
 */
export interface FundVoucherNumber {
  fundId: string;
  period: string;
  number: number;
  label: string;
}

export const voucherLabel = (period: string, number: number): string => `记-${period}-${String(number).padStart(4, '0')}`;

interface Numbered {
  id: string;
  date: string;
  lines: readonly { fundId: string }[];
}

/**
 * Numbers postings, in posting order, from each fund's last number of the month (a chain head's
 * `monthNumbers`, read under its lock): invariant — within a fund and month, the numbers are 1…n with no
 * gap and no repeat, because every posting into the fund takes them under that one lock and commits or
 * rolls back with them. `months` is moved on to the last numbers given.
 */
export function numberInFunds(months: Map<string, Record<string, number>>, posted: readonly Numbered[]): Map<string, FundVoucherNumber[]> {
  const numbers = new Map<string, FundVoucherNumber[]>();
  for (const t of posted) {
    const period = periodOf(t.date);
    const mine = [...new Set(t.lines.map((l) => l.fundId))].sort().map((fundId) => {
      const counters = months.get(fundId)!;
      const number = (counters[period] ?? 0) + 1;
      counters[period] = number;
      return { fundId, period, number, label: voucherLabel(period, number) };
    });
    numbers.set(t.id, mine);
  }
  return numbers;
}

/** The WITH part that writes the numbers given by numberInFunds. */
export function voucherNumberPart(numbers: Map<string, FundVoucherNumber[]>): SQL {
  const all = [...numbers].flatMap(([transactionId, list]) => list.map((n) => ({ ...n, transactionId })));
  return sql`fund_voucher_numbers as (
    insert into voucher_numbers (fund_id, period, number, transaction_id)
    select * from unnest(${sql.param(all.map((n) => n.fundId))}::uuid[], ${sql.param(all.map((n) => n.period))}::text[],
                         ${sql.param(all.map((n) => n.number))}::int[], ${sql.param(all.map((n) => n.transactionId))}::uuid[]))`;
}

/** The numbers of these transactions within their funds and months, read back. */
export async function readVoucherNumbers(executor: Executor, transactionIds: readonly string[]): Promise<Map<string, FundVoucherNumber[]>> {
  const found = new Map<string, FundVoucherNumber[]>();
  if (!transactionIds.length) return found;
  const list = await rows<{ transaction_id: string; fund_id: string; period: string; number: number }>(
    executor,
    sql`select transaction_id, fund_id, period, number from voucher_numbers
         where transaction_id = any(${sql.param([...transactionIds])}::uuid[]) order by transaction_id, fund_id`,
  );
  for (const n of list) {
    const entry = { fundId: n.fund_id, period: n.period, number: Number(n.number), label: voucherLabel(n.period, Number(n.number)) };
    found.set(n.transaction_id, [...(found.get(n.transaction_id) ?? []), entry]);
  }
  return found;
}

/** A posting answered by an operation (numbered at the end of its write), with its numbers as they committed. */
export async function withVoucherNumbers<T extends { id: string }>(executor: Executor, posted: T): Promise<T & { voucherNumbers: FundVoucherNumber[] }> {
  return { ...posted, voucherNumbers: (await readVoucherNumbers(executor, [posted.id])).get(posted.id) ?? [] };
}
