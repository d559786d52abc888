import { type SQL, sql } from 'drizzle-orm';
import { type Executor, rows } from '../db/client.js';
import { canonicalMoney } from '../ledger/money.js';
import type { Direction } from './statement-file.js';

/**
 * The ledger's view of money in the fund's bank account (专户): a fund on the prevention chart keeps it in
 * two accounts, `bank` (available) and `bank_reserved` (approved, unpaid), and the bank's balance is their
 * sum. A voucher moves money in the bank by the net of its lines on those two: an approval, which only
 * moves money from one to the other, nets to zero and is no movement; a payment, a dividend, a premium paid
 * to the insurer or a returned payment is one movement of its net amount. Each voucher is at most one
 * movement, so a match pairs bank lines with vouchers.
 */
export interface BankMovement {
  transactionId: string;
  /** The voucher number. */
  number: number;
  date: string;
  direction: Direction;
  amount: string;
  description: string;
  /** The voucher's reference and its business record's (a payment's 回单号, a dividend's, a receipt's). */
  references: string[];
}

export const BANK_ROLES = sql`('bank', 'bank_reserved')`;

/**
 * The fund's movements dated up to `to` (all when omitted), or those of the vouchers `ids`, oldest first.
 * `unmatched` keeps only those no standing match holds.
 */
export async function bankMovements(
  executor: Executor,
  fundId: string,
  options: { to?: string; ids?: string[]; unmatched?: boolean } = {},
): Promise<BankMovement[]> {
  const filters: SQL[] = [];
  if (options.to) filters.push(sql`and l.date <= ${options.to}`);
  if (options.ids) filters.push(options.ids.length ? sql`and l.transaction_id in (${sql.join(options.ids.map((id) => sql`${id}::uuid`), sql`, `)})` : sql`and false`);
  if (options.unmatched) filters.push(sql`and not exists (select 1 from bank_match_entries e where e.transaction_id = l.transaction_id and e.active)`);
  const found = await rows<{ transaction_id: string; seq: string | number; date: string; description: string; net: string; refs: string[] | null }>(
    executor,
    sql`with moved as (
          select l.transaction_id, min(l.date)::text as date,
                 sum(case when l.direction = 'debit' then l.amount else -l.amount end) as net
            from transaction_lines l join accounts a on a.id = l.account_id
           where a.fund_id = ${fundId} and a.role in ${BANK_ROLES} ${sql.join(filters, sql` `)}
           group by l.transaction_id
          having sum(case when l.direction = 'debit' then l.amount else -l.amount end) <> 0
        )
        select m.transaction_id, t.seq, m.date, t.description, m.net::text as net,
               array_remove(array[t.reference, d.reference, r.reference, x.bank_reference, b.bank_reference], null) as refs
          from moved m join transactions t on t.id = m.transaction_id
          -- Joined, not looked up line by line: a year of a fund is some 20,000 vouchers.
          left join dividends d on d.transaction_id = m.transaction_id
          left join income_receipts r on r.transaction_id = m.transaction_id
          left join (select distinct on (payment_transaction_id) payment_transaction_id, bank_reference from disbursements
                      where payment_transaction_id is not null) x on x.payment_transaction_id = m.transaction_id
          left join disbursement_batches b on b.payment_transaction_id = m.transaction_id
         order by m.date, t.seq`,
  );
  return found.map((m) => {
    const negative = m.net.startsWith('-');
    return {
      transactionId: m.transaction_id,
      number: Number(m.seq),
      date: m.date,
      direction: negative ? 'out' : 'in',
      amount: canonicalMoney(negative ? m.net.slice(1) : m.net),
      description: m.description,
      references: [...new Set(m.refs ?? [])],
    };
  });
}
