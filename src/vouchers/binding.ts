import { sql } from 'drizzle-orm';
import { type Executor, rows } from '../db/client.js';
import { notFound } from '../errors.js';
import { voucherLabel } from '../ledger/voucher-numbers.js';
import type { BindingCover } from './print.js';
import { attachmentTotal, buildVouchers, type VoucherData } from './voucher.js';

/** Vouchers read and drawn at a time while a binding streams. */
const BATCH = 100;

/**
 * The cover of a fund's month (凭证封面): first and last number, count, totals as printed (a 红字冲销 reversal
 * counting negative on the side it reverses, so the cover adds up to its vouchers) and attachments.
 */
export async function bindingCover(executor: Executor, fundId: string, period: string): Promise<BindingCover> {
  const [fund] = await rows<{ id: string; code: string; name: string }>(executor, sql`select id, code, name from funds where id = ${fundId}`);
  if (!fund) throw notFound('Fund', fundId);
  const [totals] = await rows<{ count: number; first: number | null; last: number | null; debit: string; credit: string }>(
    executor,
    sql`select count(distinct n.transaction_id)::int as count, min(n.number) as first, max(n.number) as last,
               coalesce(sum(case when t.reverses_transaction_id is null then l.amount else -l.amount end)
                          filter (where (l.direction = 'debit') = (t.reverses_transaction_id is null)), 0)::numeric(20, 2)::text as debit,
               coalesce(sum(case when t.reverses_transaction_id is null then l.amount else -l.amount end)
                          filter (where (l.direction = 'credit') = (t.reverses_transaction_id is null)), 0)::numeric(20, 2)::text as credit
          from voucher_numbers n
          join transactions t on t.id = n.transaction_id
          join transaction_lines l on l.transaction_id = n.transaction_id and l.fund_id = n.fund_id
         where n.fund_id = ${fundId} and n.period = ${period}`,
  );
  const last = totals?.last === null || totals?.last === undefined ? null : Number(totals.last);
  return {
    fund,
    period,
    first: last === null ? null : voucherLabel(period, Number(totals!.first)),
    last: last === null ? null : voucherLabel(period, last),
    count: totals?.count ?? 0,
    debitTotal: totals?.debit ?? '0.00',
    creditTotal: totals?.credit ?? '0.00',
    attachments: await attachmentTotal(
      executor,
      sql`t.id in (select transaction_id from voucher_numbers where fund_id = ${fundId} and period = ${period} and number <= ${last ?? 0})`,
    ),
  };
}

/**
 * The month's vouchers in number order, BATCH at a time, up to the cover's last number: numbers within a
 * month are given without gaps and never change, so the pages hold exactly the vouchers the cover counts,
 * without holding a snapshot (on the embedded database, its one connection) while the PDF streams.
 */
export async function* bindingVouchers(executor: Executor, cover: BindingCover): AsyncGenerator<VoucherData[]> {
  if (!cover.count) return;
  const last = Number(cover.last!.split('-').pop());
  for (let after = 0; after < last; after += BATCH) {
    const ids = await rows<{ transaction_id: string }>(
      executor,
      sql`select transaction_id from voucher_numbers
           where fund_id = ${cover.fund.id} and period = ${cover.period} and number > ${after} and number <= ${Math.min(after + BATCH, last)}
           order by number`,
    );
    yield buildVouchers(executor, ids.map((r) => r.transaction_id));
  }
}
