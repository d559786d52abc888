import { type SQL, sql } from 'drizzle-orm';
import { type Executor, rows } from '../db/client.js';
import { sum } from '../ledger/money.js';
import { categoryName, money, type Period, text } from './common.js';
import type { Table } from './document.js';
import { type Signed, signatureCells, signatureColumns, signed } from './signatures.js';

/**
 * One use of the village's allocation (使用明细): a debit of its allocation account in the period. An
 * approval reserves a payment's money from the allocation, so a disbursement is spent when approved,
 * not when paid; a batch reserves all its lines in one voucher. The voids of dividends debit it too but
 * take an allocation back (they are among the dividend splits), so the lines add up to `spent`.
 */
export type VillageSpending = {
  date: string;
  voucherNumber: number;
  fundCode: string;
  /**
   * A disbursement's approval or a batch's. No other operation debits an allocation today (and postings by
   * hand are refused), but a voucher of another kind would be listed as `other`, never left out of the sum.
   */
  kind: 'disbursement' | 'batch' | 'other';
  /** null for an `other` voucher. */
  category: string | null;
  /** The disbursement's household, its code and head; the batch's description; the voucher's own otherwise. */
  description: string;
  amount: string;
} & Signed;

export async function buildVillageSpending(tx: Executor, villageId: string, { from, to }: Period, reached: (fundId: SQL) => SQL): Promise<VillageSpending[]> {
  const found = await rows<{
    date: string;
    seq: string | number;
    fund_code: string;
    amount: string;
    voucher: string;
    created_by: string;
    disbursement_id: string | null;
    category: string | null;
    household: string | null;
    requested_by: string | null;
    approved_by: string | null;
    batch_id: string | null;
    batch_category: string | null;
    batch_description: string | null;
    batch_requested_by: string | null;
    batch_approved_by: string | null;
    batch_count: number | null;
  }>(
    tx,
    sql`select l.date::text as date, t.seq, f.code as fund_code, l.amount::text as amount, t.description as voucher, t.created_by,
               d.id as disbursement_id, d.category, h.code || ' ' || h.head_name as household, d.requested_by, d.approved_by,
               b.id as batch_id, b.category as batch_category, b.description as batch_description,
               b.requested_by as batch_requested_by, b.approved_by as batch_approved_by,
               (select count(*) from disbursements x where x.batch_id = b.id and x.approval_transaction_id = t.id)::int as batch_count
          from transaction_lines l
          join transactions t on t.id = l.transaction_id
          join accounts a on a.id = l.account_id
          join funds f on f.id = a.fund_id
          left join disbursements d on d.approval_transaction_id = t.id and d.batch_id is null
          left join households h on h.id = d.household_id
          left join disbursement_batches b on b.approval_transaction_id = t.id
         where a.role = 'village_allocation' and a.village_id = ${villageId} and l.direction = 'debit' and l.date between ${from} and ${to}
           and not exists (select 1 from dividends dv where dv.void_transaction_id = l.transaction_id) ${reached(sql`a.fund_id`)}
         order by l.date, t.seq, l.line_no`,
  );
  return signed(
    tx,
    found.map((u) => {
      const line = { date: u.date, voucherNumber: Number(u.seq), fundCode: u.fund_code, amount: u.amount };
      if (u.disbursement_id) {
        // The category in Chinese only: the code is in `category`, and the line has a name to make room for.
        const description = `${u.household} · ${categoryName(u.category!)}`;
        return { ...line, kind: 'disbursement' as const, category: u.category, description, preparedBy: u.requested_by, approvedBy: u.approved_by };
      }
      if (u.batch_id) {
        const description = `批次 ${u.batch_description}（${u.batch_count} 户）`;
        return { ...line, kind: 'batch' as const, category: u.batch_category, description, preparedBy: u.batch_requested_by, approvedBy: u.batch_approved_by };
      }
      return { ...line, kind: 'other' as const, category: null, description: u.voucher, preparedBy: u.created_by, approvedBy: null };
    }),
  );
}

export const spendingTable = (spending: VillageSpending[]): Table => ({
  columns: [
    { header: '日期 Date', width: 50 },
    { header: '凭证号 Voucher', width: 40 },
    { header: '基金 Fund', width: 58 },
    { header: '用途 Use', width: 146 },
    ...signatureColumns(76),
    { header: '金额 Amount', width: 62, align: 'right', money: true },
  ],
  rows: spending.map((x) => [x.date, String(x.voucherNumber), x.fundCode, x.description, ...signatureCells(x), x.amount]),
  total: ['合计 Total', '', '', '', '', '', text(sum(spending.map((x) => money(x.amount))))],
  empty: '本期未使用 Nothing spent in the period',
});
