import { Decimal } from 'decimal.js';
import { DomainError } from '../errors.js';

// Money is exact: decimal strings at the edges, numeric in PostgreSQL, Decimal in between.
// Precision 40 covers any sum of numeric(20,2) values without rounding.
export const Money = Decimal.clone({ precision: 40, rounding: Decimal.ROUND_HALF_EVEN });
export type Money = InstanceType<typeof Money>;

export const MAX_AMOUNT = '9999999999999.99';

/** A positive amount: digits, no leading zeros, at most two decimals, no sign, exponent or spaces. */
export const AMOUNT_PATTERN = /^(0|[1-9]\d{0,12})(\.\d{1,2})?$/;

export const AMOUNT_RULE =
  'an amount is a JSON string of a positive decimal with at most 2 decimals, at most 9999999999999.99, e.g. "1234.56"';

/** Parses an amount from the API or a caller; throws validation_failed with the rule it broke. */
export function parseAmount(value: unknown, field = 'amount'): Money {
  if (typeof value !== 'string' || !AMOUNT_PATTERN.test(value)) {
    throw new DomainError('validation_failed', `${field}: ${AMOUNT_RULE}.`, { field });
  }
  const amount = new Money(value);
  if (amount.lte(0)) throw new DomainError('validation_failed', `${field}: must be greater than zero.`, { field });
  return amount;
}

/** The canonical string form: two decimals, as stored in numeric(…, 2). */
export const formatMoney = (value: Money): string => value.toFixed(2);

// What formatMoney writes: no leading zeros, exactly two decimals, no "-0.00".
const CANONICAL = /^(-?[1-9]\d*|0|-0)\.\d\d$/;

/** `text` in the canonical form; already in it (as the ledger writes and numeric(…, 2) reads), no Decimal is made. */
export const canonicalMoney = (text: string): string =>
  CANONICAL.test(text) && text !== '-0.00' ? text : formatMoney(new Money(text));

export const sum = (values: Money[]): Money => values.reduce((acc, v) => acc.plus(v), new Money(0));
