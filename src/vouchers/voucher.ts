import { type SQL, sql } from 'drizzle-orm';
import { keyNames } from '../auth/key-names.js';
import { type Executor, rows } from '../db/client.js';
import { formatMoney, Money, sum } from '../ledger/money.js';
import { voucherLabel } from '../ledger/voucher-numbers.js';
import { chineseCapitals } from '../statements/capitals.js';
import type { Block, Presentation } from '../statements/document.js';

/**
 * A posted transaction as its 记账凭证 prints it: for each fund it touches (专户专账: a fund's books are
 * bound on their own), its number in the fund's month, its lines by account with 摘要, the totals in
 * figures and in Chinese capitals; the source documents (附件) behind it; who prepared it (制单), who
 * reviewed it (审核) and who posted it (记账). A reversal is printed as 红字冲销: the lines of the voucher
 * it reverses, on their own sides, in red and negative.
 */
export interface VoucherPart {
  fund: { id: string; code: string; name: string };
  label: string;
  lines: { summary: string; accountCode: string; accountName: string; debit: string; credit: string }[];
  debitTotal: string;
  creditTotal: string;
  /** The total in capitals (人民币大写), 负… for a red reversal. */
  totalInCapitals: string;
}

export interface VoucherData {
  transactionId: string;
  number: number;
  date: string;
  description: string;
  reference: string | null;
  /** 红字冲销: what it reverses (by its labels in the funds) and why. */
  reversal: { transactionId: string; labels: string[]; reason: string } | null;
  parts: VoucherPart[];
  /** Files attached (not withdrawn) to the voucher, its draft or the business record behind it; when none, the count its draft declared. */
  attachments: number;
  preparedByName: string | null;
  reviewedByName: string | null;
  postedByName: string | null;
}

interface Row {
  id: string;
  seq: string | number;
  date: string;
  description: string;
  reference: string | null;
  reverses: string | null;
  reversal_reason: string | null;
  created_by: string;
  prepared_by: string | null;
  reviewed_by: string | null;
  declared: number | null;
  files: number;
  reversed_labels: { fund_id: string; period: string; number: number }[] | null;
}

interface LineRow {
  transaction_id: string;
  fund_id: string;
  fund_code: string;
  fund_name: string;
  direction: 'debit' | 'credit';
  amount: string;
  memo: string | null;
  account_code: string;
  account_name: string;
  period: string | null;
  number: number | null;
}

/**
 * The business records a transaction belongs to, with who asked (制单) and who approved (审核): a reviewed
 * draft, a payment or a batch (requested → approved), an insurance claim (filed → approved), a dividend or
 * a receipt (recorded). Each as (kind, id, maker, checker) rows for one transaction `t`.
 */
const recordsOf = sql`
  select 'voucher' as kind, d.id, d.prepared_by as maker, d.reviewed_by as checker, d.attachments as declared from voucher_drafts d where d.transaction_id = t.id
  union all select 'disbursement', x.id, x.requested_by, x.approved_by, null from disbursements x
   where t.id in (x.approval_transaction_id, x.payment_transaction_id, x.failure_transaction_id) and x.batch_id is null
  union all select 'batch', b.id, b.requested_by, b.approved_by, null from disbursement_batches b where t.id in (b.approval_transaction_id, b.payment_transaction_id)
  union all select 'claim', c.id, c.filed_by, c.approved_by, null from insurance_claims c where c.transaction_id = t.id
  union all select 'dividend', v.id, case when t.id = v.void_transaction_id then v.voided_by else v.created_by end, null, null
    from dividends v where t.id in (v.transaction_id, v.void_transaction_id)
  union all select 'income', r.id, r.created_by, null, null from income_receipts r where r.transaction_id = t.id`;

/** Each transaction's header, who signed it and its source documents, for the transactions `where` selects (over `t`). */
const headers = (where: SQL) =>
  sql`select t.id, t.seq, t.date::text as date, t.description, t.reference, t.reverses_transaction_id as reverses, t.reversal_reason, t.created_by,
               rec.maker as prepared_by, rec.checker as reviewed_by, rec.declared,
               (select count(*)::int from attachments a
                 where a.withdrawn_at is null
                   and ((a.subject_kind = 'transaction' and a.subject_id = t.id)
                        or (a.subject_kind, a.subject_id) in (select r.kind, r.id from (${recordsOf}) r))) as files,
               (select json_agg(json_build_object('fund_id', n.fund_id, 'period', n.period, 'number', n.number) order by n.fund_id)
                  from voucher_numbers n where n.transaction_id = t.reverses_transaction_id) as reversed_labels
          from transactions t
          left join lateral (select * from (${recordsOf}) r order by r.kind = 'voucher' desc limit 1) rec on true
         where ${where}`;

/**
 * The source documents of the vouchers `where` selects (over transactions `t`), as their 附件 counts add up:
 * for the cover of a month's binding.
 */
export async function attachmentTotal(executor: Executor, where: SQL): Promise<number> {
  const [found] = await rows<{ total: number }>(
    executor,
    sql`select coalesce(sum(case when h.files > 0 then h.files else coalesce(h.declared, 0) end), 0)::int as total from (${headers(where)}) h`,
  );
  return Number(found?.total ?? 0);
}

/** The vouchers of these transactions, in the order given; an id of no transaction is left out. */
export async function buildVouchers(executor: Executor, transactionIds: readonly string[]): Promise<VoucherData[]> {
  if (!transactionIds.length) return [];
  const ids = sql.param([...transactionIds]);
  const found = await rows<Row>(executor, headers(sql`t.id = any(${ids}::uuid[])`));
  const lines = await rows<LineRow>(
    executor,
    sql`select l.transaction_id, l.fund_id, f.code as fund_code, f.name as fund_name, l.direction, l.amount::text as amount, l.memo,
               a.code as account_code, a.name as account_name, n.period, n.number
          from transaction_lines l
          join accounts a on a.id = l.account_id
          join funds f on f.id = l.fund_id
          left join voucher_numbers n on n.transaction_id = l.transaction_id and n.fund_id = l.fund_id
         where l.transaction_id = any(${ids}::uuid[])
         order by l.transaction_id, l.fund_id, l.line_no`,
  );
  const names = await keyNames(executor, found.flatMap((r) => [r.created_by, r.prepared_by, r.reviewed_by]));
  const name = (id: string | null) => (id ? (names.get(id) ?? null) : null);
  const linesOf = new Map<string, LineRow[]>();
  for (const l of lines) linesOf.set(l.transaction_id, [...(linesOf.get(l.transaction_id) ?? []), l]);
  const byId = new Map(found.map((r) => [r.id, r]));

  return transactionIds.flatMap((id) => {
    const r = byId.get(id);
    if (!r) return [];
    const red = r.reverses !== null;
    const funds = new Map<string, LineRow[]>();
    for (const l of linesOf.get(id) ?? []) funds.set(l.fund_id, [...(funds.get(l.fund_id) ?? []), l]);
    const parts = [...funds.values()].map((list): VoucherPart => {
      const first = list[0]!;
      const printed = list.map((l) => {
        // 红字冲销: the reversed voucher's side, the amount negative (printed red).
        const side = red ? (l.direction === 'debit' ? 'credit' : 'debit') : l.direction;
        const amount = red ? formatMoney(new Money(l.amount).negated()) : formatMoney(new Money(l.amount));
        return {
          summary: l.memo ?? r.description,
          accountCode: l.account_code,
          accountName: l.account_name,
          debit: side === 'debit' ? amount : '',
          credit: side === 'credit' ? amount : '',
        };
      });
      const debitTotal = formatMoney(sum(printed.filter((l) => l.debit).map((l) => new Money(l.debit))));
      const creditTotal = formatMoney(sum(printed.filter((l) => l.credit).map((l) => new Money(l.credit))));
      return {
        fund: { id: first.fund_id, code: first.fund_code, name: first.fund_name },
        label: first.period !== null && first.number !== null ? voucherLabel(first.period, Number(first.number)) : `#${r.seq}`,
        lines: printed,
        debitTotal,
        creditTotal,
        totalInCapitals: chineseCapitals(debitTotal),
      };
    });
    return [
      {
        transactionId: r.id,
        number: Number(r.seq),
        date: r.date,
        description: r.description,
        reference: r.reference,
        reversal: red
          ? { transactionId: r.reverses!, labels: (r.reversed_labels ?? []).map((n) => voucherLabel(n.period, Number(n.number))), reason: r.reversal_reason ?? '' }
          : null,
        parts,
        attachments: r.files > 0 ? r.files : (r.declared ?? 0),
        preparedByName: name(r.prepared_by ?? r.created_by),
        reviewedByName: name(r.reviewed_by),
        postedByName: name(r.created_by),
      },
    ];
  });
}

/** The voucher as a statement's blocks: what its CSV holds (the PDF draws the voucher form itself, print.ts). */
export function presentVoucher(v: VoucherData): Presentation {
  const money = { align: 'right' as const, money: true };
  const blocks: Block[] = v.parts.flatMap((p): Block[] => [
    { type: 'heading', text: `${p.label} · ${p.fund.name}（${p.fund.code}）` },
    {
      type: 'table',
      table: {
        columns: [
          { header: '摘要 Summary', width: 3 },
          { header: '科目 Account', width: 3 },
          { header: '借方 Debit', width: 1.6, ...money },
          { header: '贷方 Credit', width: 1.6, ...money },
        ],
        rows: p.lines.map((l) => [l.summary, `${l.accountCode} ${l.accountName}`, l.debit, l.credit]),
        total: [`合计 ${p.totalInCapitals}`, '', p.debitTotal, p.creditTotal],
      },
    },
  ]);
  return {
    title: v.reversal ? '记账凭证（红字冲销） Voucher (reversal)' : '记账凭证 Voucher',
    fund: v.parts.map((p) => `${p.fund.name}（${p.fund.code}）`).join('、'),
    period: v.date,
    subject: `凭证号 ${v.parts.map((p) => p.label).join('、')} · 总号 #${v.number}`,
    fileName: `voucher-${v.number}`,
    blocks: [
      {
        type: 'fields',
        fields: [
          { label: '附件 Attachments', value: `${v.attachments} 张` },
          ...(v.reference ? [{ label: '参考号 Reference', value: v.reference }] : []),
          ...(v.reversal ? [{ label: '冲销 Reverses', value: `${v.reversal.labels.join('、')}：${v.reversal.reason}` }] : []),
          { label: '记账 Posted by', value: v.postedByName ?? '' },
          { label: '审核 Reviewed by', value: v.reviewedByName ?? '' },
          { label: '制单 Prepared by', value: v.preparedByName ?? '' },
        ],
      },
      ...blocks,
    ],
  };
}
