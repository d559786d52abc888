import { type SQL, sql } from 'drizzle-orm';
import { fundInReach } from '../auth/reach.js';
import type { Reach } from '../auth/roles.js';
import { type Executor, rows } from '../db/client.js';
import { sum } from '../ledger/money.js';
import { fundsLabel, money, type Period, text, type VillageRef, villageRef } from './common.js';
import { type Presentation, periodText } from './document.js';
import { buildVillageSpending, spendingTable, type VillageSpending } from './village-spending.js';

/**
 * A village's earmarked income in each fund over a period (村级收益分配表): its allocation account's
 * balance before the period, what was allocated (credits), spent (debits: approved payments) and what
 * remains — the same figures as GET /v1/villages/{id}/allocations, for a period — every dividend split
 * that reached the village, with the rule version it was split by, and what was spent, signed 制单/审核.
 */
export interface VillageStatement {
  village: VillageRef;
  period: Period;
  funds: { fundId: string; fundCode: string; fundName: string; accountId: string; opening: string; allocated: string; spent: string; remaining: string }[];
  totals: { opening: string; allocated: string; spent: string; remaining: string };
  dividends: {
    dividendId: string;
    date: string;
    fundCode: string;
    industry: string;
    dividendAmount: string;
    ruleVersion: number;
    ruleEffectiveFrom: string;
    projectVillageShare: string;
    radiatingShare: string;
    /** Whether the village took the project village's share or a part of the radiating share. */
    role: 'project' | 'radiating';
    weight: string | null;
    amount: string;
    /** For the void (作废) of a dividend: the date of the dividend it takes back (its amounts negative); null for a split. */
    voidOf: string | null;
  }[];
  spending: VillageSpending[];
}

export async function buildVillageStatement(tx: Executor, params: { villageId: string } & Period, reach: Reach | null): Promise<VillageStatement> {
  const reached = (fundId: SQL) => (reach ? sql`and ${fundInReach(reach, fundId)}` : sql``);
  const { villageId, from, to } = params;
  const village = await villageRef(tx, villageId);
  const held = await rows<{ fund_id: string; fund_code: string; fund_name: string; account_id: string; opening: string; allocated: string; spent: string; voided: string }>(
    tx,
    sql`select f.id as fund_id, f.code as fund_code, f.name as fund_name, a.id as account_id,
               coalesce(sum(d.credit_total - d.debit_total) filter (where d.date < ${from}), 0)::text as opening,
               coalesce(sum(d.credit_total) filter (where d.date between ${from} and ${to}), 0)::text as allocated,
               coalesce(sum(d.debit_total) filter (where d.date between ${from} and ${to}), 0)::text as spent,
               -- A voided dividend's reversal debits the allocation: not money spent, an allocation taken back.
               (select coalesce(sum(l.amount), 0) from transaction_lines l join dividends dv on dv.void_transaction_id = l.transaction_id
                 where l.account_id = a.id and l.direction = 'debit' and l.date between ${from} and ${to})::text as voided
          from accounts a join funds f on f.id = a.fund_id left join account_daily_totals d on d.account_id = a.id
         where a.role = 'village_allocation' and a.village_id = ${villageId} ${reached(sql`a.fund_id`)}
         group by f.id, f.code, f.name, a.id
         order by f.code collate "C"`,
  );
  const funds = held.map((h) => ({
    fundId: h.fund_id,
    fundCode: h.fund_code,
    fundName: h.fund_name,
    accountId: h.account_id,
    opening: text(money(h.opening)),
    allocated: text(money(h.allocated).minus(h.voided)),
    spent: text(money(h.spent).minus(h.voided)),
    remaining: text(money(h.opening).plus(h.allocated).minus(h.spent)),
  }));
  const total = (field: 'opening' | 'allocated' | 'spent' | 'remaining') => text(sum(funds.map((f) => money(f[field]))));

  const splits = await rows<{
    dividend_id: string;
    date: string;
    fund_code: string;
    industry: string;
    dividend_amount: string;
    version: number;
    effective_from: string;
    project_village_share: string;
    radiating_share: string;
    is_project: boolean;
    weight: string | null;
    amount: string;
    void_of: string | null;
  }>(
    tx,
    // Each split dated in the period, and each void (作废) dated in it: the split again, taken back.
    sql`select dv.id as dividend_id, coalesce(vt.date, dv.date)::text as date, f.code as fund_code, i.name as industry,
               (case when vt.id is null then dv.amount else -dv.amount end)::text as dividend_amount,
               r.version, r.effective_from::text as effective_from, r.project_village_share::text as project_village_share,
               r.radiating_share::text as radiating_share, i.project_village_id = da.village_id as is_project,
               rv.weight::text as weight, (case when vt.id is null then da.amount else -da.amount end)::text as amount,
               case when vt.id is null then null else dv.date::text end as void_of
          from dividend_allocations da
          join dividends dv on dv.id = da.dividend_id
          join industries i on i.id = dv.industry_id
          join distribution_rules r on r.id = dv.rule_id
          join funds f on f.id = dv.fund_id
          left join distribution_rule_villages rv on rv.rule_id = r.id and rv.village_id = da.village_id
          left join lateral (select null::uuid as id, null::date as date
                             union all
                             select t.id, t.date from transactions t where t.id = dv.void_transaction_id) vt on true
         where da.village_id = ${villageId} and coalesce(vt.date, dv.date) between ${from} and ${to} ${reached(sql`dv.fund_id`)}
         order by coalesce(vt.date, dv.date), dv.id, vt.id nulls first`,
  );
  return {
    village,
    period: { from, to },
    funds,
    totals: { opening: total('opening'), allocated: total('allocated'), spent: total('spent'), remaining: total('remaining') },
    dividends: splits.map((d) => ({
      dividendId: d.dividend_id,
      date: d.date,
      fundCode: d.fund_code,
      industry: d.industry,
      dividendAmount: d.dividend_amount,
      ruleVersion: Number(d.version),
      ruleEffectiveFrom: d.effective_from,
      projectVillageShare: d.project_village_share,
      radiatingShare: d.radiating_share,
      role: d.is_project ? 'project' : 'radiating',
      weight: d.is_project ? null : d.weight,
      amount: d.amount,
      voidOf: d.void_of,
    })),
    spending: await buildVillageSpending(tx, villageId, { from, to }, reached),
  };
}

/** "0.40000000" → "40%", "0.33333333" → "33.333333%": the share as a percentage, from its digits. */
function percent(share: string): string {
  const [whole, fraction = ''] = share.split('.');
  const digits = `${whole}${fraction.padEnd(2, '0')}`;
  const int = digits.slice(0, whole!.length + 2).replace(/^0+(?=\d)/, '');
  const rest = fraction.slice(2).replace(/0+$/, '');
  return `${int}${rest ? `.${rest}` : ''}%`;
}

export function presentVillageStatement(s: VillageStatement): Presentation {
  const v = s.village;
  const figure = { align: 'right' as const, money: true };
  return {
    title: '村级收益分配表 Village allocation statement',
    fund: fundsLabel(s.funds.map((f) => ({ code: f.fundCode, name: f.fundName }))),
    period: periodText(s.period.from, s.period.to),
    subject: `村 Village：${v.name}（${v.code}）· ${v.township} · ${v.county}`,
    fileName: `village-statement-${v.code}-${s.period.from}-${s.period.to}`,
    blocks: [
      { type: 'heading', text: '按基金 Per fund' },
      {
        type: 'table',
        table: {
          columns: [
            { header: '基金 Fund', width: 2.2 },
            { header: '期初 Opening', width: 1, ...figure },
            { header: '分配 Allocated', width: 1, ...figure },
            { header: '使用 Spent', width: 1, ...figure },
            { header: '结余 Remaining', width: 1, ...figure },
          ],
          rows: s.funds.map((f) => [`${f.fundName} (${f.fundCode})`, f.opening, f.allocated, f.spent, f.remaining]),
          total: ['合计 Total', s.totals.opening, s.totals.allocated, s.totals.spent, s.totals.remaining],
          empty: '本村无分配 No allocation to this village',
        },
      },
      { type: 'heading', text: '分红分配 Dividend splits' },
      {
        type: 'table',
        table: {
          columns: [
            { header: '日期 Date', width: 0.85 },
            { header: '产业 Industry', width: 1.9 },
            { header: '分红 Dividend', width: 1, ...figure },
            { header: '规则 Rule', width: 0.9 },
            { header: '本村 Role', width: 1.1 },
            { header: '权重 Weight', width: 0.6, align: 'right' },
            { header: '本村所得 Share', width: 1, ...figure },
          ],
          rows: s.dividends.map((d) => [
            d.date,
            d.industry,
            d.dividendAmount,
            d.voidOf ? `作废 ${d.voidOf} 分红 Void` : `第${d.ruleVersion}版 v${d.ruleVersion}`,
            d.role === 'project' ? '项目村 project' : '辐射村 radiating',
            d.weight ?? '',
            d.amount,
          ]),
          total: ['合计 Total', '', '', '', '', '', text(sum(s.dividends.map((d) => money(d.amount))))],
          empty: '本期无分红分配 No dividend split in the period',
        },
      },
      { type: 'heading', text: '所用分配规则 Rule versions behind the splits' },
      {
        type: 'table',
        table: {
          columns: [
            { header: '产业 Industry', width: 2.2 },
            { header: '版本 Version', width: 0.8 },
            { header: '生效日期 Effective from', width: 1.1 },
            { header: '项目村 Project share', width: 1, align: 'right' },
            { header: '辐射村 Radiating share', width: 1, align: 'right' },
          ],
          rows: [
            ...new Map(
              s.dividends.map((d) => [
                `${d.industry}|${d.ruleVersion}`,
                [d.industry, `第${d.ruleVersion}版 v${d.ruleVersion}`, d.ruleEffectiveFrom, percent(d.projectVillageShare), percent(d.radiatingShare)],
              ]),
            ).values(),
          ],
          empty: '无 None',
        },
      },
      { type: 'heading', text: '使用明细 Spending' },
      { type: 'table', table: spendingTable(s.spending) },
    ],
  };
}
