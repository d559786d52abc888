import { sql } from 'drizzle-orm';
import { type Executor, rows } from '../db/client.js';
import { notFound } from '../errors.js';
import { categories } from '../funds/chart.js';
import { roleAccount } from '../funds/chart-accounts.js';
import { Money, sum } from '../ledger/money.js';
import { categoryEnglish, categoryName, fundLabel, money, text, type Period } from './common.js';
import { displayMoney, type Presentation, periodText } from './document.js';

/**
 * The fund statement (基金收支报表) is a statement of the fund's cash: the bank balance, that is `bank`
 * (free to approve) plus `bank_reserved` (approved, not yet paid) — the two halves of the one bank
 * account. Money at the insurer (premium pools) and village allocations (earmarks within the cash) are
 * not cash of their own. Every transaction that moves cash in the period is counted by what it moved
 * against: a fund's lines balance, so the cash a transaction moves equals what its other lines move the
 * other way, and each of those lines is classed by its account's role. Whatever has no class of its
 * own goes to "other", never dropped, so opening + in − out = closing always holds.
 */
export interface FundStatement {
  fund: { id: string; code: string; name: string; organisation: string };
  period: Period;
  openingBalance: string;
  income: { dividends: string; donations: string; fiscalTransfers: string; insuranceRefunds: string; other: string; total: string };
  outgoings: {
    /** Net of payments the bank returned. */
    byCategory: { category: string; name: string; amount: string }[];
    insurancePremiums: string;
    other: string;
    total: string;
  };
  /** The category disbursements again, by the village of the household paid (or of the allocation used). */
  byVillage: { villageId: string | null; villageCode: string | null; villageName: string; amount: string }[];
  /** bank_reserved at the end of the period: approved, not yet paid. */
  reserved: string;
  /** bank at the end of the period: free to approve. */
  available: string;
  closingBalance: string;
  reconciles: boolean;
}

const CASH_ROLES = ['bank', 'bank_reserved'];

export async function buildFundStatement(tx: Executor, params: { fundId: string } & Period): Promise<FundStatement> {
  const { fundId, from, to } = params;
  const [fund] = await rows<FundStatement['fund']>(tx, sql`select id, code, name, organisation from funds where id = ${fundId}`);
  if (!fund) throw notFound('Fund', fundId);
  // Refuses clearly (chart_account_missing) for a fund without the standard chart: it has no "cash" to state.
  await roleAccount(tx, fundId, 'bank');
  await roleAccount(tx, fundId, 'bank_reserved');

  const balances = await rows<{ role: string; opening: string; closing: string }>(
    tx,
    sql`select a.role,
               coalesce(sum(d.debit_total - d.credit_total) filter (where d.date < ${from}), 0)::text as opening,
               coalesce(sum(d.debit_total - d.credit_total) filter (where d.date <= ${to}), 0)::text as closing
          from accounts a left join account_daily_totals d on d.account_id = a.id
         where a.fund_id = ${fundId} and a.role in ('bank', 'bank_reserved') and a.village_id is null and a.policy_id is null
         group by a.role`,
  );
  const balance = (role: string, at: 'opening' | 'closing') => money(balances.find((b) => b.role === role)?.[at]);
  const opening = balance('bank', 'opening').plus(balance('bank_reserved', 'opening'));
  const available = balance('bank', 'closing');
  const reserved = balance('bank_reserved', 'closing');
  const closing = available.plus(reserved);

  // Per transaction that moved cash in the period, the net debit of each role it touched in this fund.
  const moved = await rows<{ transaction_id: string; role: string | null; net: string }>(
    tx,
    sql`select l.transaction_id, a.role, sum(case when l.direction = 'debit' then l.amount else -l.amount end)::text as net
          from transaction_lines l join accounts a on a.id = l.account_id
         where l.fund_id = ${fundId}
           and l.transaction_id in (
                 select c.transaction_id from transaction_lines c join accounts ca on ca.id = c.account_id
                  where ca.fund_id = ${fundId} and ca.role in ('bank', 'bank_reserved') and ca.village_id is null and ca.policy_id is null
                    and c.date between ${from} and ${to})
         group by l.transaction_id, a.role
         order by l.transaction_id`,
  );
  const income = { dividends: new Money(0), donations: new Money(0), fiscalTransfers: new Money(0), insuranceRefunds: new Money(0), other: new Money(0) };
  const out = { byCategory: new Map<string, Money>(), insurancePremiums: new Money(0), other: new Money(0) };
  const byTransaction = new Map<string, { role: string | null; net: Money }[]>();
  for (const m of moved) {
    const list = byTransaction.get(m.transaction_id) ?? [];
    list.push({ role: m.role, net: new Money(m.net) });
    byTransaction.set(m.transaction_id, list);
  }
  for (const parts of byTransaction.values()) {
    const cash = sum(parts.filter((p) => p.role && CASH_ROLES.includes(p.role)).map((p) => p.net));
    // A reservation or its release moves money between the two halves of the bank: no cash moves.
    if (cash.isZero()) continue;
    let other = new Money(0);
    for (const { role, net } of parts) {
      if (role && CASH_ROLES.includes(role)) continue;
      // What this line brought into the cash (positive) or took out of it (negative).
      const flow = net.negated();
      if (role === 'dividend_income') income.dividends = income.dividends.plus(flow);
      else if (role === 'donation_income') income.donations = income.donations.plus(flow);
      else if (role === 'fiscal_transfer_income') income.fiscalTransfers = income.fiscalTransfers.plus(flow);
      else if (role === 'insurance_pool' && flow.isPositive()) income.insuranceRefunds = income.insuranceRefunds.plus(flow);
      else if (role === 'insurance_pool') out.insurancePremiums = out.insurancePremiums.minus(flow);
      else if (role?.startsWith('expense:')) {
        const category = role.slice('expense:'.length);
        out.byCategory.set(category, (out.byCategory.get(category) ?? new Money(0)).minus(flow));
      }
      // Anything else (village earmarks that net to zero, accounts outside the chart) is settled per transaction.
      else other = other.plus(flow);
    }
    if (other.isPositive()) income.other = income.other.plus(other);
    else out.other = out.other.minus(other);
  }

  const known = categories as readonly string[];
  const byCategory = [...out.byCategory.entries()]
    .filter(([, amount]) => !amount.isZero())
    .sort(([a], [b]) => {
      const [i, j] = [known.indexOf(a), known.indexOf(b)];
      return i !== j ? (i < 0 ? 1 : j < 0 ? -1 : i - j) : a < b ? -1 : 1;
    });
  const categoriesTotal = sum(byCategory.map(([, amount]) => amount));
  const incomeTotal = sum(Object.values(income));
  const outTotal = categoriesTotal.plus(out.insurancePremiums).plus(out.other);

  // Payments and bank returns of disbursements, by village, dated by their vouchers.
  const villages = await rows<{ village_id: string; code: string; name: string; amount: string }>(
    tx,
    sql`select v.id as village_id, v.code, v.name, sum(x.amount)::text as amount
          from (select coalesce(d.village_id, h.village_id) as village_id, d.amount
                  from disbursements d join transactions t on t.id = d.payment_transaction_id join households h on h.id = d.household_id
                 where d.fund_id = ${fundId} and t.date between ${from} and ${to}
                union all
                select coalesce(d.village_id, h.village_id), -d.amount
                  from disbursements d join transactions t on t.id = d.failure_transaction_id join households h on h.id = d.household_id
                 where d.fund_id = ${fundId} and d.payment_transaction_id is not null and t.date between ${from} and ${to}) x
          join villages v on v.id = x.village_id
         group by v.id, v.code, v.name
         order by v.code collate "C"`,
  );
  const byVillage: FundStatement['byVillage'] = villages
    .filter((v) => !money(v.amount).isZero())
    .map((v) => ({ villageId: v.village_id, villageCode: v.code, villageName: v.name, amount: text(money(v.amount)) }));
  // Expense postings made outside disbursements (e.g. by hand) belong to no village; shown so the table adds up.
  const unattributed = categoriesTotal.minus(sum(byVillage.map((v) => money(v.amount))));
  if (!unattributed.isZero()) byVillage.push({ villageId: null, villageCode: null, villageName: '未归属村 Not by village', amount: text(unattributed) });

  return {
    fund,
    period: { from, to },
    openingBalance: text(opening),
    income: {
      dividends: text(income.dividends),
      donations: text(income.donations),
      fiscalTransfers: text(income.fiscalTransfers),
      insuranceRefunds: text(income.insuranceRefunds),
      other: text(income.other),
      total: text(incomeTotal),
    },
    outgoings: {
      byCategory: byCategory.map(([category, amount]) => ({ category, name: categoryName(category), amount: text(amount) })),
      insurancePremiums: text(out.insurancePremiums),
      other: text(out.other),
      total: text(outTotal),
    },
    byVillage,
    reserved: text(reserved),
    available: text(available),
    closingBalance: text(closing),
    reconciles: opening.plus(incomeTotal).minus(outTotal).eq(closing),
  };
}

export function presentFundStatement(s: FundStatement): Presentation {
  const amount = { header: '金额 Amount', width: 1, align: 'right' as const, money: true };
  return {
    title: '基金收支报表 Fund statement',
    fund: fundLabel(s.fund),
    period: periodText(s.period.from, s.period.to),
    subject: `主管单位 Organisation：${s.fund.organisation}`,
    fileName: `fund-statement-${s.fund.code}-${s.period.from}-${s.period.to}`,
    blocks: [
      { type: 'fields', fields: [{ label: '期初余额 Opening balance (bank + reserved)', value: s.openingBalance, money: true }] },
      { type: 'heading', text: '收入 Income by source' },
      {
        type: 'table',
        table: {
          columns: [{ header: '来源 Source', width: 3 }, amount],
          rows: [
            ['资产收益分红 Dividends', s.income.dividends],
            ['捐赠 Donations', s.income.donations],
            ['财政转移 Fiscal transfers', s.income.fiscalTransfers],
            ['防贫保结余退回 Insurance refunds', s.income.insuranceRefunds],
            ['其他 Other', s.income.other],
          ],
          total: ['收入合计 Total income', s.income.total],
        },
      },
      { type: 'heading', text: '支出 Disbursements by category' },
      {
        type: 'table',
        table: {
          columns: [{ header: '类别 Category', width: 3 }, amount],
          rows: [
            ...s.outgoings.byCategory.map((c) => [`${c.name} ${categoryEnglish(c.category)}`, c.amount]),
            ['防贫保保费 Insurance premiums', s.outgoings.insurancePremiums],
            ['其他 Other', s.outgoings.other],
          ],
          total: ['支出合计 Total out', s.outgoings.total],
        },
      },
      { type: 'heading', text: '按村 Disbursements by village' },
      {
        type: 'table',
        table: {
          columns: [{ header: '村 Village', width: 2 }, { header: '编码 Code', width: 1 }, amount],
          rows: s.byVillage.map((v) => [v.villageName, v.villageCode ?? '', v.amount]),
          total: ['合计 Total', '', text(sum(s.byVillage.map((v) => money(v.amount))))],
          empty: '本期无支付 No disbursements in the period',
        },
      },
      { type: 'heading', text: '期末 Closing' },
      {
        type: 'fields',
        fields: [
          { label: '可用余额 Available (bank)', value: s.available, money: true },
          { label: '已审批待支付 Reserved (approved, not yet paid)', value: s.reserved, money: true },
          { label: '期末余额 Closing balance', value: s.closingBalance, money: true },
        ],
      },
      { type: 'heading', text: '勾稽 Reconciliation' },
      { type: 'text', text: '期初余额 + 收入合计 − 支出合计 = 期末余额 (opening + in − out = closing)' },
      {
        type: 'text',
        text:
          `${displayMoney(s.openingBalance)} + ${displayMoney(s.income.total)} − ${displayMoney(s.outgoings.total)} = ${displayMoney(s.closingBalance)}` +
          (s.reconciles ? '　相符 reconciles' : '　不相符 DOES NOT reconcile'),
      },
    ],
  };
}
