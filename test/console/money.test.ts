// The console's money helpers (src/console/public/money.js), run in Node: the browser uses the same module.
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain JavaScript module served to browsers, without type declarations
import { formatMoney, fromFen, parseMoneyInput, share, sumMoney, toFen } from '../../src/console/public/money.js';

describe('console money', () => {
  it('shows amounts with thousands separators and two decimals, exactly', () => {
    expect(formatMoney('1234567.5')).toBe('1,234,567.50');
    expect(formatMoney('9999999999999.99')).toBe('9,999,999,999,999.99');
    expect(formatMoney('-30000')).toBe('-30,000.00');
    expect(formatMoney('0.1')).toBe('0.10');
    expect(formatMoney(null)).toBe('—');
  });

  it('reads typed amounts with separators or full-width digits, and refuses what it would have to round', () => {
    expect(parseMoneyInput('132,000')).toBe('132000.00');
    expect(parseMoneyInput(' １２３４．５ ')).toBe('1234.50');
    expect(parseMoneyInput('30000.01')).toBe('30000.01');
    for (const bad of ['12.345', '0', '0.00', '-5', '1e3', 'abc', '', '01.00', '99999999999999']) expect(parseMoneyInput(bad)).toBeNull();
  });

  it('adds in fen without floating point: 0.1 + 0.2 is 0.30', () => {
    expect(sumMoney(['0.1', '0.2'])).toBe('0.30');
    expect(sumMoney(['9999999999999.99', '0.01'])).toBe('10000000000000.00');
    expect(fromFen(toFen('-0.05'))).toBe('-0.05');
  });

  it('gives chart shares between 0 and 1 from fen ratios', () => {
    expect(share('40000.00', '100000.00')).toBe(0.4);
    expect(share('1', '0')).toBe(0);
    expect(share('-1', '10')).toBe(0);
  });
});
