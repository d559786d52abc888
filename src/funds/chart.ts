import type { AccountType } from '../ledger/accounts.js';

/** The payments a prevention fund may make: the three main ones and the rest of the seven policies. */
export const categories = [
  'medical_subsidy',
  'living_allowance',
  'temporary_relief',
  'industry_support',
  'employment_aid',
  'education_aid',
  'basic_guarantee',
  'facility_maintenance',
  'insurance',
] as const;
export type Category = (typeof categories)[number];

export const categoryNames: Record<Category, string> = {
  medical_subsidy: '医疗补贴',
  living_allowance: '生活补助',
  temporary_relief: '临时救助',
  industry_support: '产业帮扶',
  employment_aid: '就业帮扶',
  education_aid: '教育资助',
  basic_guarantee: '兜底保障',
  facility_maintenance: '设施管护',
  insurance: '防贫保险赔付',
};

export const templates = ['prevention'] as const;
export type Template = (typeof templates)[number];

export interface ChartAccount {
  role: string;
  code: string;
  name: string;
  type: AccountType;
  noOverdraft: boolean;
}

export const expenseRole = (category: Category) => `expense:${category}`;

/**
 * The standard chart of a prevention fund. The bank account is split in two: money free to approve,
 * and money reserved by approved, unpaid disbursements; the bank's statement balance is their sum.
 * Both refuse to go below zero, so the ledger itself stops two approvals from overspending.
 * Village allocations (liabilities, one per village, opened on first use) are earmarked income:
 * a dividend credits them and debits "income allocated to villages", so each village's allocated,
 * spent and remaining amounts are its account's credits, debits and balance.
 */
export const preventionChart: ChartAccount[] = [
  { role: 'bank', code: '1002', name: '银行存款—专户（可用）', type: 'asset', noOverdraft: true },
  { role: 'bank_reserved', code: '1003', name: '银行存款—专户（已审批待支付）', type: 'asset', noOverdraft: true },
  { role: 'village_distribution', code: '3101', name: '已分配至村的收益', type: 'equity', noOverdraft: false },
  { role: 'dividend_income', code: '4101', name: '资产收益分红收入', type: 'income', noOverdraft: false },
  { role: 'donation_income', code: '4201', name: '捐赠收入', type: 'income', noOverdraft: false },
  { role: 'fiscal_transfer_income', code: '4301', name: '财政转移收入', type: 'income', noOverdraft: false },
  ...categories.map((category, i) => ({
    role: expenseRole(category),
    code: `5${String(101 + i)}`,
    name: `${categoryNames[category]}支出`,
    type: 'expense' as const,
    noOverdraft: false,
  })),
];

/** A village's earmarked allocation in a fund, opened when a dividend first reaches the village. */
export const villageAllocationAccount = (village: { code: string; name: string }): ChartAccount => ({
  role: 'village_allocation',
  code: `2401.${village.code}`,
  name: `村级收益分配—${village.name}`,
  type: 'liability',
  noOverdraft: true,
});

/** An insurance policy's premium pool held by the insurer: premiums in, claims, refunds and carry-forwards out. */
export const insurancePoolAccount = (policy: { id: string; policyNumber?: string | null }): ChartAccount => ({
  role: 'insurance_pool',
  code: `1301.${policy.policyNumber ?? policy.id.slice(0, 8)}`,
  name: `防贫保保费—${policy.policyNumber ?? policy.id.slice(0, 8)}`,
  type: 'asset',
  // Claims may exceed the premium (少补): the county then owes the insurer the difference.
  noOverdraft: false,
});
