import { sql } from 'drizzle-orm';
import { fundInReach } from '../auth/reach.js';
import type { Reach } from '../auth/roles.js';
import { type Executor, rows } from '../db/client.js';
import { notReturnedBy } from '../households/benefits.js';
import { maskName } from '../households/names.js';
import { sum } from '../ledger/money.js';
import { categoryEnglish, categoryName, fundsLabel, money, text, type Period, type VillageRef, villageRef } from './common.js';
import { type Presentation, periodText } from './document.js';

/**
 * The village public notice (公示表): the households of the village paid in the period — disbursements
 * and insurance claims, dated by payment, a payment the bank returned left out — with amounts and
 * categories, ready to post for objections. By the rules of 公示 it shows no ID number (not even masked),
 * phone, bank or health detail, and names only masked: nothing of the kind is read from the database.
 */
export interface NoticeStatement {
  village: VillageRef;
  period: Period;
  rows: { no: number; name: string; memberCount: number; fundCode: string; fundName: string; category: string; categoryName: string; date: string; amount: string }[];
  totalsByCategory: { category: string; name: string; count: number; amount: string }[];
  householdCount: number;
  total: string;
}

export async function buildNoticeStatement(tx: Executor, params: { villageId: string } & Period, reach: Reach | null): Promise<NoticeStatement> {
  const { villageId, from, to } = params;
  const village = await villageRef(tx, villageId);
  const paid = await rows<{
    household_id: string;
    head_name: string;
    member_count: number;
    fund_code: string;
    fund_name: string;
    category: string;
    date: string;
    amount: string;
  }>(
    tx,
    sql`select h.id as household_id, h.head_name, h.member_count, f.code as fund_code, f.name as fund_name, x.category, x.date::text as date,
               x.amount::text as amount
          from (select d.household_id, d.fund_id, d.category, t.date, d.amount, d.id
                  from disbursements d join transactions t on t.id = d.payment_transaction_id
                  left join transactions r on r.id = d.failure_transaction_id
                 where t.date between ${from} and ${to} and ${notReturnedBy(to)}
                union all
                select c.household_id, p.fund_id, 'insurance', t.date, c.amount_approved, c.id
                  from insurance_claims c join insurance_policies p on p.id = c.policy_id join transactions t on t.id = c.transaction_id
                 where c.status = 'paid' and t.date between ${from} and ${to}) x
          join households h on h.id = x.household_id
          join funds f on f.id = x.fund_id
         where h.village_id = ${villageId} ${reach ? sql`and ${fundInReach(reach, sql`x.fund_id`)}` : sql``}
         order by x.date, h.code collate "C", x.category, x.id`,
  );
  const categories = [...new Set(paid.map((p) => p.category))].sort();
  return {
    village,
    period: { from, to },
    rows: paid.map((p, i) => ({
      no: i + 1,
      name: maskName(p.head_name),
      memberCount: Number(p.member_count),
      fundCode: p.fund_code,
      fundName: p.fund_name,
      category: p.category,
      categoryName: categoryName(p.category),
      date: p.date,
      amount: p.amount,
    })),
    totalsByCategory: categories.map((category) => {
      const of = paid.filter((p) => p.category === category);
      return { category, name: categoryName(category), count: of.length, amount: text(sum(of.map((p) => money(p.amount)))) };
    }),
    householdCount: new Set(paid.map((p) => p.household_id)).size,
    total: text(sum(paid.map((p) => money(p.amount)))),
  };
}

export function presentNotice(s: NoticeStatement): Presentation {
  const v = s.village;
  const funds = [...new Map(s.rows.map((r) => [r.fundCode, { code: r.fundCode, name: r.fundName }])).values()];
  const amount = { header: '金额 Amount', width: 1, align: 'right' as const, money: true };
  return {
    title: `${v.name} 帮扶资金发放公示表 Public notice`,
    fund: fundsLabel(funds),
    period: periodText(s.period.from, s.period.to),
    subject: `村 Village：${v.name}（${v.code}）· ${v.township} · ${v.county}`,
    fileName: `notice-${v.code}-${s.period.from}-${s.period.to}`,
    blocks: [
      {
        type: 'table',
        table: {
          columns: [
            { header: '序号 No.', width: 0.45, align: 'right' },
            { header: '户主 Head', width: 0.9 },
            { header: '人口 Persons', width: 0.6, align: 'right' },
            { header: '基金 Fund', width: 2 },
            { header: '类别 Category', width: 1.3 },
            { header: '日期 Date', width: 0.9 },
            amount,
          ],
          rows: s.rows.map((r) => [String(r.no), r.name, String(r.memberCount), r.fundName, r.categoryName, r.date, r.amount]),
          total: ['', '合计 Total', '', `${s.householdCount} 户 households`, '', '', s.total],
          empty: '本期无发放 No payments in the period',
        },
      },
      { type: 'heading', text: '按类别 By category' },
      {
        type: 'table',
        table: {
          columns: [{ header: '类别 Category', width: 2 }, { header: '笔数 Count', width: 1, align: 'right' }, amount],
          rows: s.totalsByCategory.map((c) => [`${c.name} ${categoryEnglish(c.category)}`, String(c.count), c.amount]),
          total: ['合计 Total', String(s.rows.length), s.total],
          empty: '本期无发放 No payments in the period',
        },
      },
      {
        type: 'text',
        text:
          '公示期：自张贴之日起不少于 5 个工作日。对公示内容如有异议，请向村民委员会或乡镇人民政府反映。' +
          'Posted for at least 5 working days; objections to the village committee or the township government.',
      },
      { type: 'text', text: '村民委员会（盖章）Village committee (seal)：                公示日期 Date posted：' },
    ],
  };
}
