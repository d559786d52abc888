import { type SQL, sql } from 'drizzle-orm';
import { fundInReach } from '../auth/reach.js';
import type { Reach } from '../auth/roles.js';
import { type Executor, rows } from '../db/client.js';
import { formatMoney, Money, sum } from '../ledger/money.js';

export interface Benefit {
  kind: 'disbursement' | 'insurance_claim';
  id: string;
  fundId: string;
  category: string;
  amount: string;
  date: string;
  transactionId: string;
  reference: string | null;
}

/**
 * A paid disbursement stays a benefit of its period unless the bank's return is dated within the window:
 * a return next month must not change a statement already printed for this one (its digest would fail).
 * Expects the payment joined as `d` and its failure voucher left-joined as `r`.
 */
export const notReturnedBy = (to: string | undefined) =>
  sql`(r.id is null ${to ? sql`or r.date > ${to}` : sql``})`;

/**
 * Every benefit a household received, across funds: paid disbursements (subsidies, relief, allowances;
 * a payment the bank returned within the window is not a benefit) and paid insurance claims, dated by
 * their payment.
 */
export async function householdBenefits(
  executor: Executor,
  householdId: string,
  period: { from?: string; to?: string },
  reach: Reach | null = null,
) {
  const reached = (fundId: SQL) => (reach ? sql`and ${fundInReach(reach, fundId)}` : sql``);
  const within = (column: ReturnType<typeof sql>) =>
    sql`${period.from ? sql`and ${column} >= ${period.from}` : sql``} ${period.to ? sql`and ${column} <= ${period.to}` : sql``}`;
  const found = await rows<{
    kind: Benefit['kind'];
    id: string;
    fund_id: string;
    category: string;
    amount: string;
    date: string;
    transaction_id: string;
    reference: string | null;
  }>(
    executor,
    sql`select 'disbursement' as kind, d.id, d.fund_id, d.category, d.amount, t.date, d.payment_transaction_id as transaction_id,
               d.bank_reference as reference
          from disbursements d join transactions t on t.id = d.payment_transaction_id
          left join transactions r on r.id = d.failure_transaction_id
         where d.household_id = ${householdId} ${within(sql`t.date`)} and ${notReturnedBy(period.to)} ${reached(sql`d.fund_id`)}
        union all
        select 'insurance_claim', c.id, p.fund_id, 'insurance', c.amount_approved, t.date, c.transaction_id, c.payout_reference
          from insurance_claims c
          join insurance_policies p on p.id = c.policy_id
          join transactions t on t.id = c.transaction_id
         where c.household_id = ${householdId} and c.status = 'paid' ${within(sql`t.date`)} ${reached(sql`p.fund_id`)}
        order by date, kind, id`,
  );
  const items: Benefit[] = found.map((b) => ({
    kind: b.kind,
    id: b.id,
    fundId: b.fund_id,
    category: b.category,
    amount: b.amount,
    date: b.date,
    transactionId: b.transaction_id,
    reference: b.reference,
  }));
  const categories = [...new Set(items.map((b) => b.category))].sort();
  return {
    items,
    totalsByCategory: categories.map((category) => ({
      category,
      count: items.filter((b) => b.category === category).length,
      amount: formatMoney(sum(items.filter((b) => b.category === category).map((b) => new Money(b.amount)))),
    })),
    total: formatMoney(sum(items.map((b) => new Money(b.amount)))),
  };
}
