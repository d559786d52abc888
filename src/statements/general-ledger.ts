import { sql } from 'drizzle-orm';
import { type Executor, rows } from '../db/client.js';
import type { AccountType } from '../ledger/accounts.js';
import { Money, formatMoney } from '../ledger/money.js';
import { type FundRef, fundLabel, fundRef } from './common.js';
import type { Block, Presentation } from './document.js';

/**
 * The general ledger (总账) of a fund for a year: per account, the balance brought forward (上年结转),
 * then each month's debits and credits, its closing balance and the year to date (本年累计). Balances are
 * written as Chinese books write them: the amount and its side, 借 (debit), 贷 (credit) or 平 (nil). Read
 * from the per-day totals the ledger keeps with every posting, so each month's closing balance equals the
 * trial balance at the month's end.
 */
type Side = '借' | '贷' | '平';

export interface GeneralLedger {
  fund: FundRef;
  year: number;
  accounts: {
    accountId: string;
    code: string;
    name: string;
    type: AccountType;
    opening: { balance: string; side: Side };
    months: { month: string; debit: string; credit: string; balance: string; side: Side; yearDebit: string; yearCredit: string }[];
  }[];
  /** Each month's debits and credits over every account: equal in balanced books. */
  totals: { month: string; debit: string; credit: string }[];
}

const sideOf = (net: Money): { balance: string; side: Side } => ({
  balance: formatMoney(net.abs()),
  side: net.isZero() ? '平' : net.isPositive() ? '借' : '贷',
});

export async function buildGeneralLedger(tx: Executor, params: { fundId: string; year: number }): Promise<GeneralLedger> {
  const fund = await fundRef(tx, params.fundId);
  const start = `${params.year}-01-01`;
  const end = `${params.year}-12-31`;
  const found = await rows<{ id: string; code: string; name: string; type: AccountType; month: number | null; debit: string; credit: string; before_debit: string; before_credit: string }>(
    tx,
    sql`select a.id, a.code, a.name, a.type, m.month, coalesce(m.debit, 0)::text as debit, coalesce(m.credit, 0)::text as credit,
               coalesce(b.debit, 0)::text as before_debit, coalesce(b.credit, 0)::text as before_credit
          from accounts a
          left join lateral (select sum(d.debit_total) as debit, sum(d.credit_total) as credit
                               from account_daily_totals d where d.account_id = a.id and d.date < ${start}) b on true
          left join lateral (select extract(month from d.date)::int as month, sum(d.debit_total) as debit, sum(d.credit_total) as credit
                               from account_daily_totals d where d.account_id = a.id and d.date between ${start} and ${end}
                              group by 1) m on true
         where a.fund_id = ${params.fundId}
         order by a.code collate "C", m.month`,
  );
  const byAccount = new Map<string, typeof found>();
  for (const r of found) (byAccount.get(r.id) ?? byAccount.set(r.id, []).get(r.id)!).push(r);
  const monthTotals = Array.from({ length: 12 }, () => ({ debit: new Money(0), credit: new Money(0) }));
  const accounts = [...byAccount.values()].map((list) => {
    const a = list[0]!;
    const opening = new Money(a.before_debit).minus(a.before_credit);
    let net = opening;
    let yearDebit = new Money(0);
    let yearCredit = new Money(0);
    const months = Array.from({ length: 12 }, (_, i) => {
      const r = list.find((x) => x.month === i + 1);
      const debit = new Money(r?.debit ?? 0);
      const credit = new Money(r?.credit ?? 0);
      net = net.plus(debit).minus(credit);
      yearDebit = yearDebit.plus(debit);
      yearCredit = yearCredit.plus(credit);
      monthTotals[i]!.debit = monthTotals[i]!.debit.plus(debit);
      monthTotals[i]!.credit = monthTotals[i]!.credit.plus(credit);
      return {
        month: `${params.year}-${String(i + 1).padStart(2, '0')}`,
        debit: formatMoney(debit),
        credit: formatMoney(credit),
        ...sideOf(net),
        yearDebit: formatMoney(yearDebit),
        yearCredit: formatMoney(yearCredit),
      };
    });
    return { accountId: a.id, code: a.code, name: a.name, type: a.type, opening: sideOf(opening), months };
  });
  return {
    fund,
    year: params.year,
    accounts,
    totals: monthTotals.map((t, i) => ({ month: `${params.year}-${String(i + 1).padStart(2, '0')}`, debit: formatMoney(t.debit), credit: formatMoney(t.credit) })),
  };
}

export function presentGeneralLedger(g: GeneralLedger): Presentation {
  const money = { align: 'right' as const, money: true };
  const blocks: Block[] = g.accounts.flatMap((a): Block[] => [
    { type: 'heading', text: `${a.code} ${a.name}` },
    {
      type: 'table',
      table: {
        columns: [
          { header: '月份 Month', width: 1 },
          { header: '摘要 Item', width: 2.6 },
          { header: '借方 Debit', width: 1.6, ...money },
          { header: '贷方 Credit', width: 1.6, ...money },
          { header: '方向 Side', width: 0.7, align: 'center' },
          { header: '余额 Balance', width: 1.7, ...money },
        ],
        rows: [
          ['', '上年结转 Brought forward', '', '', a.opening.side, a.opening.balance],
          ...a.months.flatMap((m) => [
            [m.month, '本月合计 Month', m.debit, m.credit, m.side, m.balance],
            ['', '本年累计 Year to date', m.yearDebit, m.yearCredit, m.side, m.balance],
          ]),
        ],
      },
    },
  ]);
  return {
    title: '总账 General ledger',
    fund: fundLabel(g.fund),
    period: `${g.year} 年 year`,
    fileName: `general-ledger-${g.fund.code}-${g.year}`,
    blocks: [
      ...blocks,
      { type: 'heading', text: '各月发生额合计 Monthly totals' },
      {
        type: 'table',
        table: {
          columns: [
            { header: '月份 Month', width: 1 },
            { header: '借方 Debit', width: 1.5, ...money },
            { header: '贷方 Credit', width: 1.5, ...money },
          ],
          rows: g.totals.map((t) => [t.month, t.debit, t.credit]),
        },
      },
    ],
  };
}
