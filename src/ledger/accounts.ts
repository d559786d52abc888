import type { Money } from './money.js';

export const accountTypes = ['asset', 'liability', 'equity', 'income', 'expense'] as const;
export type AccountType = (typeof accountTypes)[number];
export type Direction = 'debit' | 'credit';

/** The side on which an account's balance grows; balances are reported positive on it. */
export const normalSide: Record<AccountType, Direction> = {
  asset: 'debit',
  expense: 'debit',
  liability: 'credit',
  equity: 'credit',
  income: 'credit',
};

/** Assets may not go below zero unless the caller says otherwise: a bank account cannot pay what it lacks. */
export const defaultNoOverdraft = (type: AccountType): boolean => type === 'asset';

export function balanceFrom(type: AccountType, debitTotal: Money, creditTotal: Money): Money {
  return normalSide[type] === 'debit' ? debitTotal.minus(creditTotal) : creditTotal.minus(debitTotal);
}

/** How a line moves an account's balance on its normal side. */
export function signedEffect(type: AccountType, direction: Direction, amount: Money): Money {
  return direction === normalSide[type] ? amount : amount.negated();
}
