import { describe, expect, it } from 'vitest';
import { DomainError } from '../../src/errors.js';
import { checkRule, type RuleForSplit, splitDividend } from '../../src/industries/allocation.js';
import { formatMoney, Money, sum } from '../../src/ledger/money.js';

const split = (total: string, rule: RuleForSplit) =>
  splitDividend(new Money(total), rule).map((p) => [p.villageId, formatMoney(p.amount)] as const);

/** 40 % to the project village P, 60 % to radiating villages A, B, C by their weights. */
const fortySixty = (weights: Record<string, string> = { A: '1', B: '1', C: '1' }): RuleForSplit => ({
  projectVillage: { villageId: 'P', code: 'V-P' },
  projectVillageShare: '0.40',
  radiatingShare: '0.60',
  radiatingVillages: Object.entries(weights).map(([id, weight]) => ({ villageId: id, code: `V-${id}`, weight })),
});

const total = (parts: readonly (readonly [string, string])[]) => formatMoney(sum(parts.map(([, a]) => new Money(a))));

describe('splitting a dividend', () => {
  it('gives the field figure: 132,000.00 at 40/60 over three equal villages', () => {
    expect(split('132000.00', fortySixty())).toEqual([
      ['P', '52800.00'],
      ['A', '26400.00'],
      ['B', '26400.00'],
      ['C', '26400.00'],
    ]);
  });

  it('gives the one fen left from 100.01 to the project village, whose remainder (0.4 fen) is the largest', () => {
    // Exact shares: P 40.004, A/B/C 20.002 each; rounded down they leave 0.01.
    const parts = split('100.01', fortySixty());
    expect(parts).toEqual([
      ['P', '40.01'],
      ['A', '20.00'],
      ['B', '20.00'],
      ['C', '20.00'],
    ]);
    expect(total(parts)).toBe('100.01');
  });

  it('breaks equal remainders by village code, whatever the order the rule lists them', () => {
    // 100.02: P 40.008, A/B/C 20.004 each; two fen left: P first, then the smallest code among equals.
    const shuffled = { C: '1', A: '1', B: '1' };
    expect(split('100.02', fortySixty(shuffled))).toEqual([
      ['P', '40.01'],
      ['C', '20.00'],
      ['A', '20.01'],
      ['B', '20.00'],
    ]);
  });

  it('splits the radiating share by unequal weights', () => {
    expect(split('1000.00', fortySixty({ A: '2', B: '1', C: '1' }))).toEqual([
      ['P', '400.00'],
      ['A', '300.00'],
      ['B', '150.00'],
      ['C', '150.00'],
    ]);
    // 60 % of 1000.00 by 1.5 : 1 : 0.5 = 300, 200, 100.
    expect(split('1000.00', fortySixty({ A: '1.5', B: '1', C: '0.5' })).map(([, a]) => a)).toEqual(['400.00', '300.00', '200.00', '100.00']);
  });

  it('rounds the exact shares in one pass, so weights that divide unevenly still sum to the total', () => {
    // 60 % of 100.00 by 1 : 1 : 1.0001 is 19.99933…, 19.99933…, 20.00133…: rounded down 19.99, 19.99, 20.00,
    // and the two fen left go to A and B, whose remainders (0.933 fen) beat C's (0.133 fen).
    const parts = split('100.00', fortySixty({ A: '1', B: '1', C: '1.0001' }));
    expect(parts).toEqual([
      ['P', '40.00'],
      ['A', '20.00'],
      ['B', '20.00'],
      ['C', '20.00'],
    ]);
    expect(total(parts)).toBe('100.00');
  });

  it('always sums to the total, for many amounts and rules', () => {
    const rules = [
      fortySixty(),
      fortySixty({ A: '3', B: '7' }),
      fortySixty({ A: '0.0001', B: '99999999.9999', C: '1' }),
      { ...fortySixty({ A: '1', B: '2', C: '4' }), projectVillageShare: '0.33333333', radiatingShare: '0.66666667' },
      { ...fortySixty({}), projectVillageShare: '1', radiatingShare: '0' },
    ];
    for (const rule of rules) {
      for (const amount of ['0.01', '0.02', '0.03', '1.00', '100.01', '132000.00', '77777.77', '9999999999999.99']) {
        const parts = split(amount, rule);
        expect(total(parts)).toBe(amount);
        expect(parts.every(([, a]) => !new Money(a).isNegative())).toBe(true);
      }
    }
  });

  it('gives the whole amount to the project village when its share is 1, and nothing to it when 0', () => {
    expect(split('10.00', { ...fortySixty({}), projectVillageShare: '1', radiatingShare: '0' })).toEqual([['P', '10.00']]);
    expect(split('0.01', { ...fortySixty(), projectVillageShare: '0', radiatingShare: '1' })).toEqual([
      ['P', '0.00'],
      ['A', '0.01'],
      ['B', '0.00'],
      ['C', '0.00'],
    ]);
  });
});

describe('checking a rule', () => {
  const base = { projectVillageId: 'P', projectVillageShare: '0.40', radiatingVillages: [{ villageId: 'A' }, { villageId: 'B', weight: '2' }] };
  const code = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return (e as DomainError).code;
    }
    return 'accepted';
  };

  it('completes the radiating share and equal weights, in their stored form', () => {
    expect(checkRule(base)).toEqual({
      projectVillageShare: '0.40000000',
      radiatingShare: '0.60000000',
      radiatingVillages: [
        { villageId: 'A', weight: '1' },
        { villageId: 'B', weight: '2' },
      ],
    });
  });

  it('refuses shares that do not sum to exactly 1', () => {
    expect(code(() => checkRule({ ...base, radiatingShare: '0.5' }))).toBe('invalid_rule');
    expect(code(() => checkRule({ ...base, projectVillageShare: '0.33333333', radiatingShare: '0.66666666' }))).toBe('invalid_rule');
    expect(code(() => checkRule({ ...base, radiatingShare: '0.60' }))).toBe('accepted');
  });

  it('refuses a project village that also radiates, and a village listed twice', () => {
    expect(code(() => checkRule({ ...base, radiatingVillages: [{ villageId: 'A' }, { villageId: 'P' }] }))).toBe('invalid_rule');
    expect(code(() => checkRule({ ...base, radiatingVillages: [{ villageId: 'A' }, { villageId: 'A', weight: '2' }] }))).toBe('invalid_rule');
  });

  it('refuses a radiating share with no radiating village to receive it', () => {
    expect(code(() => checkRule({ ...base, radiatingVillages: [] }))).toBe('invalid_rule');
    expect(code(() => checkRule({ ...base, projectVillageShare: '1', radiatingVillages: [] }))).toBe('accepted');
  });

  it.each(['1.5', '-0.4', '0.123456789', '.4', '40%', ''])('refuses the malformed share %j', (share) => {
    expect(code(() => checkRule({ ...base, projectVillageShare: share }))).toBe('validation_failed');
  });

  it.each(['0', '0.0000', '-1', '1.00001', '1e2'])('refuses the weight %j', (weight) => {
    expect(code(() => checkRule({ ...base, radiatingVillages: [{ villageId: 'A', weight }] }))).toBe('validation_failed');
  });
});
