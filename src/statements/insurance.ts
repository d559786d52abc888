import { sql } from 'drizzle-orm';
import { type Executor, rows } from '../db/client.js';
import { notFound } from '../errors.js';
import { sum } from '../ledger/money.js';
import { type FundRef, fundLabel, money, text } from './common.js';
import { type Presentation, periodText } from './document.js';
import { type Signed, signatureCells, signatureColumns, signed } from './signatures.js';

const statuses = ['filed', 'approved', 'paid', 'rejected'] as const;
const statusNames: Record<(typeof statuses)[number], string> = { filed: '已报案 filed', approved: '已核定 approved', paid: '已赔付 paid', rejected: '已拒赔 rejected' };

/**
 * A poverty-prevention insurance policy (防贫保) as it stands: premium paid, claims by status, payouts,
 * refunds and carry-forwards, and the surplus left in the pool — premium + carried in − paid out −
 * refunded − carried out, which is also the pool account's balance (negative: what the county owes
 * the insurer, 少补).
 */
export interface InsuranceStatement {
  policy: {
    id: string;
    insurer: string;
    policyNumber: string | null;
    premium: string;
    coverFrom: string;
    coverTo: string;
    coveredPopulation: string;
    coveredCount: number | null;
  };
  fund: FundRef;
  premiumPaid: string;
  claims: { status: (typeof statuses)[number]; count: number; amountClaimed: string; amountApproved: string }[];
  householdsPaid: number;
  paidOut: string;
  /** Each signed 制单 by who filed the claim, 审核 by who approved it. */
  payouts: ({ date: string; householdCode: string; amount: string; reference: string | null } & Signed)[];
  refunded: string;
  carriedForwardIn: string;
  carriedForwardOut: string;
  surplus: string;
  poolBalance: string;
}

export async function buildInsuranceStatement(tx: Executor, params: { policyId: string }): Promise<InsuranceStatement> {
  const [policy] = await rows<{
    id: string;
    insurer: string;
    policy_number: string | null;
    premium: string;
    cover_from: string;
    cover_to: string;
    covered_population: string;
    covered_count: number | null;
    fund_id: string;
    fund_code: string;
    fund_name: string;
  }>(
    tx,
    sql`select p.id, p.insurer, p.policy_number, p.premium::text as premium, p.cover_from::text as cover_from, p.cover_to::text as cover_to,
               p.covered_population, p.covered_count, f.id as fund_id, f.code as fund_code, f.name as fund_name
          from insurance_policies p join funds f on f.id = p.fund_id where p.id = ${params.policyId}`,
  );
  if (!policy) throw notFound('Insurance policy', params.policyId);
  const moved = await rows<{ kind: string; total: string }>(
    tx,
    sql`select kind, sum(amount)::text as total from insurance_movements where policy_id = ${policy.id} group by kind`,
  );
  const movement = (kind: string) => money(moved.find((m) => m.kind === kind)?.total);
  const claimed = await rows<{ status: string; n: number; claimed: string; approved: string }>(
    tx,
    sql`select status, count(*)::int as n, sum(amount_claimed)::text as claimed, coalesce(sum(amount_approved), 0)::text as approved
          from insurance_claims where policy_id = ${policy.id} group by status`,
  );
  const payouts = await rows<{
    date: string;
    household_code: string;
    household_id: string;
    amount: string;
    reference: string | null;
    filed_by: string;
    approved_by: string | null;
  }>(
    tx,
    sql`select t.date::text as date, h.code as household_code, h.id as household_id, c.amount_approved::text as amount, c.payout_reference as reference,
               c.filed_by, c.approved_by
          from insurance_claims c join transactions t on t.id = c.transaction_id join households h on h.id = c.household_id
         where c.policy_id = ${policy.id} and c.status = 'paid'
         order by t.date, t.seq, c.id`,
  );
  const [pool] = await rows<{ balance: string }>(
    tx,
    sql`select balance::text as balance from accounts where role = 'insurance_pool' and policy_id = ${policy.id}`,
  );
  const premiumPaid = movement('premium');
  const paidOut = sum(payouts.map((p) => money(p.amount)));
  const surplus = premiumPaid.plus(movement('carried_forward_in')).minus(paidOut).minus(movement('refund')).minus(movement('carried_forward_out'));
  return {
    policy: {
      id: policy.id,
      insurer: policy.insurer,
      policyNumber: policy.policy_number,
      premium: policy.premium,
      coverFrom: policy.cover_from,
      coverTo: policy.cover_to,
      coveredPopulation: policy.covered_population,
      coveredCount: policy.covered_count === null ? null : Number(policy.covered_count),
    },
    fund: { id: policy.fund_id, code: policy.fund_code, name: policy.fund_name },
    premiumPaid: text(premiumPaid),
    claims: statuses.map((status) => {
      const c = claimed.find((x) => x.status === status);
      return { status, count: Number(c?.n ?? 0), amountClaimed: text(money(c?.claimed)), amountApproved: text(money(c?.approved)) };
    }),
    householdsPaid: new Set(payouts.map((p) => p.household_id)).size,
    paidOut: text(paidOut),
    payouts: await signed(
      tx,
      payouts.map((p) => ({ date: p.date, householdCode: p.household_code, amount: p.amount, reference: p.reference, preparedBy: p.filed_by, approvedBy: p.approved_by })),
    ),
    refunded: text(movement('refund')),
    carriedForwardIn: text(movement('carried_forward_in')),
    carriedForwardOut: text(movement('carried_forward_out')),
    surplus: text(surplus),
    poolBalance: text(money(pool?.balance)),
  };
}

export function presentInsuranceStatement(s: InsuranceStatement): Presentation {
  const p = s.policy;
  const figure = { align: 'right' as const, money: true };
  return {
    title: '防贫保结算表 Insurance statement',
    fund: fundLabel(s.fund),
    period: `保障期 Cover ${periodText(p.coverFrom, p.coverTo)}`,
    subject: `保单 Policy：${p.policyNumber ?? p.id} · ${p.insurer} · ${p.coveredPopulation}${p.coveredCount === null ? '' : ` ${p.coveredCount} 人 persons`}`,
    fileName: `insurance-statement-${(p.policyNumber ?? p.id).replace(/[^A-Za-z0-9._-]/g, '_')}`,
    blocks: [
      {
        type: 'fields',
        fields: [
          { label: '合同保费 Premium agreed', value: p.premium, money: true },
          { label: '已缴保费 Premium paid', value: s.premiumPaid, money: true },
          { label: '上期结转转入 Carried forward in', value: s.carriedForwardIn, money: true },
          { label: '已赔付 Paid out', value: s.paidOut, money: true },
          { label: '结余退回 Refunded', value: s.refunded, money: true },
          { label: '结转下期 Carried forward out', value: s.carriedForwardOut, money: true },
          { label: '结余 Surplus (negative: owed to the insurer)', value: s.surplus, money: true },
          { label: '保费池余额 Pool balance (ledger)', value: s.poolBalance, money: true },
          { label: '受益户数 Households paid', value: String(s.householdsPaid) },
        ],
      },
      { type: 'heading', text: '理赔按状态 Claims by status' },
      {
        type: 'table',
        table: {
          columns: [
            { header: '状态 Status', width: 1.5 },
            { header: '件数 Count', width: 0.7, align: 'right' },
            { header: '申请金额 Claimed', width: 1, ...figure },
            { header: '核定金额 Approved', width: 1, ...figure },
          ],
          rows: s.claims.map((c) => [statusNames[c.status], String(c.count), c.amountClaimed, c.amountApproved]),
          total: [
            '合计 Total',
            String(s.claims.reduce((n, c) => n + c.count, 0)),
            text(sum(s.claims.map((c) => money(c.amountClaimed)))),
            text(sum(s.claims.map((c) => money(c.amountApproved)))),
          ],
        },
      },
      { type: 'heading', text: '赔付明细 Payouts' },
      {
        type: 'table',
        table: {
          columns: [
            { header: '日期 Date', width: 70 },
            { header: '农户 Household', width: 90 },
            { header: '凭据 Reference', width: 90 },
            ...signatureColumns(90),
            { header: '金额 Amount', width: 70, ...figure },
          ],
          rows: s.payouts.map((x) => [x.date, x.householdCode, x.reference ?? '', ...signatureCells(x), x.amount]),
          total: ['合计 Total', '', '', '', '', s.paidOut],
          empty: '尚无赔付 No payouts yet',
        },
      },
    ],
  };
}
