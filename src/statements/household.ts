import { sql } from 'drizzle-orm';
import type { Reach } from '../auth/roles.js';
import { type Executor, rows } from '../db/client.js';
import { notFound } from '../errors.js';
import { householdBenefits } from '../households/benefits.js';
import { sum } from '../ledger/money.js';
import { categoryEnglish, categoryName, fundsLabel, money, text, type FundRef, type Period } from './common.js';
import { type Presentation, periodText } from './document.js';
import { type Signed, signatureCells, signatureColumns, signed } from './signatures.js';

/**
 * Everything one household received in the period, across funds: paid disbursements and insurance
 * claims paid by the insurer, dated by payment (a payment the bank returned is not a benefit), by fund
 * and category. The ID number appears only masked, as everywhere in the service.
 */
export interface HouseholdStatement {
  household: {
    id: string;
    code: string;
    headName: string;
    idNumberMasked: string;
    memberCount: number;
    village: { id: string; code: string; name: string };
  };
  period: Period;
  funds: (FundRef & { categories: { category: string; name: string; count: number; amount: string }[]; total: string })[];
  /** Each signed 制单 by who requested the payment or filed the claim, 审核 by who approved it. */
  items: ({ date: string; fundCode: string; category: string; name: string; kind: 'disbursement' | 'insurance_claim'; amount: string; reference: string | null } & Signed)[];
  total: string;
}

export async function buildHouseholdStatement(
  tx: Executor,
  params: { householdId: string } & Period,
  reach: Reach | null,
): Promise<HouseholdStatement> {
  const { householdId, from, to } = params;
  const [household] = await rows<{
    id: string;
    code: string;
    head_name: string;
    id_number_masked: string;
    member_count: number;
    village_id: string;
    village_code: string;
    village_name: string;
  }>(
    tx,
    sql`select h.id, h.code, h.head_name, h.id_number_masked, h.member_count, v.id as village_id, v.code as village_code, v.name as village_name
          from households h join villages v on v.id = h.village_id where h.id = ${householdId}`,
  );
  if (!household) throw notFound('Household', householdId);
  const benefits = await householdBenefits(tx, householdId, { from, to }, reach);
  const fundIds = [...new Set(benefits.items.map((b) => b.fundId))];
  const funds = fundIds.length
    ? await rows<FundRef>(
        tx,
        sql`select id, code, name from funds where id in (${sql.join(
          fundIds.map((id) => sql`${id}::uuid`),
          sql`, `,
        )}) order by code collate "C"`,
      )
    : [];
  const codeOf = new Map(funds.map((f) => [f.id, f.code]));
  // All the household's payments and claims, not only the period's: few rows, and no list of ids to pass.
  const actors = await rows<{ id: string; prepared_by: string; approved_by: string | null }>(
    tx,
    sql`select id, requested_by as prepared_by, approved_by from disbursements where household_id = ${householdId}
        union all
        select id, filed_by, approved_by from insurance_claims where household_id = ${householdId}`,
  );
  const actorsOf = new Map(actors.map((a) => [a.id, a]));
  const items = await signed(
    tx,
    benefits.items.map((b) => ({
      date: String(b.date),
      fundCode: codeOf.get(b.fundId)!,
      category: b.category,
      name: categoryName(b.category),
      kind: b.kind,
      amount: b.amount,
      reference: b.reference,
      preparedBy: actorsOf.get(b.id)?.prepared_by ?? null,
      approvedBy: actorsOf.get(b.id)?.approved_by ?? null,
    })),
  );
  return {
    household: {
      id: household.id,
      code: household.code,
      headName: household.head_name,
      idNumberMasked: household.id_number_masked,
      memberCount: Number(household.member_count),
      village: { id: household.village_id, code: household.village_code, name: household.village_name },
    },
    period: { from, to },
    funds: funds.map((f) => {
      const mine = benefits.items.filter((b) => b.fundId === f.id);
      const categories = [...new Set(mine.map((b) => b.category))].sort();
      return {
        ...f,
        categories: categories.map((category) => {
          const of = mine.filter((b) => b.category === category);
          return { category, name: categoryName(category), count: of.length, amount: text(sum(of.map((b) => money(b.amount)))) };
        }),
        total: text(sum(mine.map((b) => money(b.amount)))),
      };
    }),
    items,
    total: benefits.total,
  };
}

export function presentHouseholdStatement(s: HouseholdStatement): Presentation {
  const h = s.household;
  const amount = { header: '金额 Amount', width: 1, align: 'right' as const, money: true };
  return {
    title: '农户受益明细 Household benefit statement',
    fund: fundsLabel(s.funds),
    period: periodText(s.period.from, s.period.to),
    subject: `农户 Household：${h.code} ${h.headName}（${h.idNumberMasked}）· ${h.village.name} · ${h.memberCount} 人 persons`,
    fileName: `household-statement-${h.code}-${s.period.from}-${s.period.to}`,
    blocks: [
      { type: 'heading', text: '按基金和类别 By fund and category' },
      {
        type: 'table',
        table: {
          columns: [{ header: '基金 Fund', width: 2.4 }, { header: '类别 Category', width: 2 }, { header: '笔数 Count', width: 0.6, align: 'right' }, amount],
          rows: s.funds.flatMap((f) => f.categories.map((c) => [`${f.name} (${f.code})`, `${c.name} ${categoryEnglish(c.category)}`, String(c.count), c.amount])),
          total: ['合计 Total', '', String(s.items.length), s.total],
          empty: '本期无受益 No benefits in the period',
        },
      },
      { type: 'heading', text: '明细 Payments' },
      {
        type: 'table',
        table: {
          columns: [
            { header: '日期 Date', width: 50 },
            { header: '基金 Fund', width: 56 },
            { header: '类别 Category', width: 112 },
            // A bank slip number such as YKT-2026-12-0001 whole: references are what an auditor traces.
            { header: '凭据 Reference', width: 80 },
            ...signatureColumns(72),
            { ...amount, width: 62 },
          ],
          rows: s.items.map((i) => [i.date, i.fundCode, `${i.name} ${categoryEnglish(i.category)}`, i.reference ?? '', ...signatureCells(i), i.amount]),
          total: ['合计 Total', '', '', '', '', '', s.total],
          empty: '本期无受益 No benefits in the period',
        },
      },
    ],
  };
}
