import { villageAllocationAccount } from '../../src/funds/chart.js';
import { openChartAccount } from '../../src/funds/chart-accounts.js';
import { checkCharacter } from '../../src/households/id-numbers.js';
import { postTransaction } from '../../src/ledger/posting.js';
import { inLedgerTransaction } from '../../src/ledger/commit.js';
import type { AccountType } from '../../src/ledger/accounts.js';
import type { TestApp } from './app.js';

let counter = 0;
export const uniqueCode = (prefix: string) => `${prefix}-${process.pid}-${++counter}`;

export interface FundFixture {
  fundId: string;
  accounts: Record<string, string>;
}

/** A fund with a bank account (no overdraft), an income and an expense account, plus any extra. */
export async function createFund(
  t: TestApp,
  extra: Record<string, { type: AccountType; noOverdraft?: boolean }> = {},
): Promise<FundFixture> {
  const fund = await t.call('POST', '/v1/funds', {
    body: { code: uniqueCode('F'), name: '某乡防止返贫专项基金', organisation: '某县某乡人民政府', purpose: '防止返贫' },
  });
  if (fund.status !== 201) throw new Error(JSON.stringify(fund.body));
  const specs: Record<string, { type: AccountType; noOverdraft?: boolean }> = {
    bank: { type: 'asset' },
    income: { type: 'income' },
    expense: { type: 'expense' },
    ...extra,
  };
  const accounts: Record<string, string> = {};
  for (const [code, spec] of Object.entries(specs)) {
    const account = await t.call('POST', `/v1/funds/${fund.body.id}/accounts`, { body: { code, name: code, ...spec } });
    if (account.status !== 201) throw new Error(JSON.stringify(account.body));
    accounts[code] = account.body.id;
  }
  return { fundId: fund.body.id, accounts };
}

export const transfer = (date: string, debit: string, credit: string, amount: string, description = 'transfer') => ({
  date,
  description,
  lines: [
    { accountId: debit, direction: 'debit', amount },
    { accountId: credit, direction: 'credit', amount },
  ],
});

/** A valid 18-character ID number (fictitious region 510700, born 1970-01-01 plus n days), unique per n. */
export function idNumber(n: number): string {
  const birth = new Date(Date.UTC(1970, 0, 1) + (n % 20000) * 86_400_000).toISOString().slice(0, 10).replaceAll('-', '');
  const body = `510700${birth}${String(Math.floor(n / 20000) % 1000).padStart(3, '0')}`;
  return body + checkCharacter(body);
}

let householdCounter = 0;

export async function createVillage(t: TestApp, name = '青山村'): Promise<string> {
  const r = await t.call('POST', '/v1/villages', { body: { code: uniqueCode('V'), name, township: '某乡', county: '某县' } });
  if (r.status !== 201) throw new Error(JSON.stringify(r.body));
  return r.body.id;
}

/** A household of the village, monitored (as "unstable", for illness) since `since` unless null. */
export async function createHousehold(t: TestApp, villageId: string, since: string | null = '2025-01-01', headName = '张三明') {
  const n = ++householdCounter + (process.pid % 1000) * 1000;
  const r = await t.call('POST', '/v1/households', {
    body: { code: uniqueCode('H'), headName, idNumber: idNumber(n), villageId, memberCount: 3 },
  });
  if (r.status !== 201) throw new Error(JSON.stringify(r.body));
  if (since) {
    const m = await t.call('POST', `/v1/households/${r.body.id}/monitoring`, { body: { category: 'unstable', riskCauses: ['illness'], since } });
    if (m.status !== 201) throw new Error(JSON.stringify(m.body));
  }
  return r.body.id as string;
}

/** A fund opened from the prevention chart, allowed every category unless told otherwise. */
export async function createPreventionFund(t: TestApp, extra: Record<string, unknown> = {}) {
  const r = await t.call('POST', '/v1/funds', {
    body: {
      code: uniqueCode('PF'),
      name: '某乡防止返贫专项基金',
      organisation: '某县某乡人民政府',
      purpose: '防止返贫监测帮扶',
      template: 'prevention',
      allowedCategories: ['medical_subsidy', 'living_allowance', 'temporary_relief', 'insurance'],
      ...extra,
    },
  });
  if (r.status !== 201) throw new Error(JSON.stringify(r.body));
  const accounts = await t.call('GET', `/v1/funds/${r.body.id}/accounts?limit=500`);
  const byRole = Object.fromEntries(accounts.body.items.filter((a: any) => a.role).map((a: any) => [a.role, a.id])) as Record<string, string>;
  return { fundId: r.body.id as string, fund: r.body, byRole };
}

/**
 * Gives a village `amount` of earmarked money in a prevention fund, as a dividend split would: opens the
 * village's allocation account (its role cannot be set through the API) and posts Dr bank / Cr
 * dividend_income and Dr village_distribution / Cr the village's allocation. Returns the allocation account.
 */
export async function allocateToVillage(t: TestApp, fundId: string, villageId: string, amount: string, date = '2025-01-10'): Promise<string> {
  const village = await t.call('GET', `/v1/villages/${villageId}`);
  if (village.status !== 200) throw new Error(JSON.stringify(village.body));
  const accounts = await t.call('GET', `/v1/funds/${fundId}/accounts?limit=500`);
  const role = (name: string) => accounts.body.items.find((a: any) => a.role === name && a.villageId === null).id as string;
  // Role accounts are moved only by operations, so the fixture posts through the ledger core as a dividend would.
  return inLedgerTransaction(t.database.db, async (tx) => {
    const allocation = await openChartAccount(tx, fundId, villageAllocationAccount(village.body), { villageId });
    await postTransaction(
      tx,
      {
        date,
        description: `分红分配至村 ${village.body.name}`,
        lines: [
          { accountId: role('bank'), direction: 'debit', amount },
          { accountId: role('dividend_income'), direction: 'credit', amount },
          { accountId: role('village_distribution'), direction: 'debit', amount },
          { accountId: allocation, direction: 'credit', amount },
        ],
      },
      { actor: 'test-fixture', today: '2999-12-31' },
    );
    return allocation;
  });
}
