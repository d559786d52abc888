import { describe, expect, it } from 'vitest';
import { DomainError } from '../../src/errors.js';
import { isCalendarDate, today } from '../../src/ledger/dates.js';
import { formatMoney, Money, parseAmount, sum } from '../../src/ledger/money.js';

describe('money', () => {
  it.each(['0.01', '1', '1.5', '1234.56', '9999999999999.99', '0.10'])('accepts %s', (value) => {
    expect(formatMoney(parseAmount(value))).toBe(new Money(value).toFixed(2));
  });

  it.each([['0'], ['0.00'], ['-1'], ['1.005'], ['1e3'], [''], [' 1'], ['01'], ['10000000000000'], [12.5], [null], ['NaN'], ['Infinity']])(
    'refuses %j',
    (value) => {
      expect(() => parseAmount(value)).toThrow(DomainError);
    },
  );

  it('adds exactly where binary floating point does not', () => {
    expect(0.1 + 0.2).not.toBe(0.3);
    expect(formatMoney(sum([new Money('0.1'), new Money('0.2')]))).toBe('0.30');
    expect(formatMoney(sum(Array.from({ length: 1000 }, () => new Money('9999999999999.99'))))).toBe('9999999999999990.00');
  });
});

describe('dates', () => {
  it('knows real calendar days', () => {
    expect(isCalendarDate('2024-02-29')).toBe(true);
    expect(isCalendarDate('2026-02-29')).toBe(false);
    expect(isCalendarDate('2026-1-01')).toBe(false);
  });

  it("takes today in the ledger's time zone", () => {
    // 17:30 UTC on 30 Nov is already 1 Dec in China.
    const instant = new Date('2026-11-30T17:30:00Z');
    expect(today('Asia/Shanghai', instant)).toBe('2026-12-01');
    expect(today('UTC', instant)).toBe('2026-11-30');
  });
});
