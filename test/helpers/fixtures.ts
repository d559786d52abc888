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
