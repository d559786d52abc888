import { Decimal } from 'decimal.js';
import { DomainError } from '../errors.js';
import { Money } from '../ledger/money.js';

// Integer arithmetic on fen times ratio numerators can exceed Money's 40 digits; at 100 digits every
// product and quotient below is exact (totals ≤ 10^15 fen, numerators ≤ 10^8 × Σ weights ≤ ~10^30).
const Exact = Decimal.clone({ precision: 100, rounding: Decimal.ROUND_DOWN });
type Exact = InstanceType<typeof Exact>;

/** Shares are decimals in [0, 1] with at most 8 decimals; weights positive with at most 4. */
export const SHARE_PATTERN = /^(0(\.\d{1,8})?|1(\.0{1,8})?)$/;
export const WEIGHT_PATTERN = /^(0|[1-9]\d{0,7})(\.\d{1,4})?$/;
const SHARE_SCALE = new Exact('1e8');
const WEIGHT_SCALE = new Exact('1e4');

export interface RuleVillage {
  villageId: string;
  /** The village code: it breaks ties between equal remainders, so the split never depends on order. */
  code: string;
}

export interface RuleForSplit {
  projectVillage: RuleVillage;
  projectVillageShare: string;
  radiatingShare: string;
  radiatingVillages: (RuleVillage & { weight: string })[];
}

export interface Part {
  villageId: string;
  role: 'project' | 'radiating';
  amount: Money;
}

/**
 * Splits a total in proportion to non-negative whole-number ratios, exact to the fen: each part gets
 * the fen of its quota rounded down, then the fen left over go one each to the parts with the largest
 * remainders, ties to the smaller code. The parts always sum to the total.
 */
export function largestRemainder<T extends { code: string; ratio: Exact }>(total: Money, parts: T[]): (T & { amount: Money })[] {
  const denominator = parts.reduce((acc, p) => acc.plus(p.ratio), new Exact(0));
  if (parts.some((p) => !p.ratio.isInteger() || p.ratio.isNegative()) || denominator.isZero()) {
    throw new Error('largestRemainder: ratios are non-negative whole numbers, not all zero');
  }
  const fen = new Exact(total.toFixed(2)).times(100);
  const quotas = parts.map((p, index) => {
    const quota = fen.times(p.ratio);
    return { index, fen: quota.divToInt(denominator), remainder: quota.mod(denominator), code: p.code };
  });
  // Fewer fen are left over than there are parts, as each part lost less than one.
  let leftover = quotas.reduce((acc, q) => acc.minus(q.fen), fen);
  const byRemainder = [...quotas].sort((a, b) => b.remainder.comparedTo(a.remainder) || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0));
  for (const q of byRemainder) {
    if (leftover.isZero()) break;
    q.fen = q.fen.plus(1);
    leftover = leftover.minus(1);
  }
  return parts.map((p, i) => ({ ...p, amount: new Money(quotas[i]!.fen.toFixed(0)).dividedBy(100) }));
}

/**
 * A dividend's split by a rule version. The project village's exact share is total × projectShare;
 * each radiating village's is total × radiatingShare × weight / Σ weights. All are rounded in one
 * largest-remainder pass, so the parts sum to the total exactly. The ratios are those fractions over
 * the common denominator 10^8 × Σ(weight × 10^4), which makes them whole numbers and the pass exact.
 */
export function splitDividend(total: Money, rule: RuleForSplit): Part[] {
  const weights = rule.radiatingVillages.map((v) => new Exact(v.weight).times(WEIGHT_SCALE));
  const weightSum = weights.reduce((acc, w) => acc.plus(w), new Exact(0));
  const projectRatio = new Exact(rule.projectVillageShare).times(SHARE_SCALE).times(weightSum.isZero() ? 1 : weightSum);
  const radiatingShare = new Exact(rule.radiatingShare).times(SHARE_SCALE);
  const parts = [
    { villageId: rule.projectVillage.villageId, code: rule.projectVillage.code, role: 'project' as const, ratio: projectRatio },
    ...rule.radiatingVillages.map((v, i) => ({ villageId: v.villageId, code: v.code, role: 'radiating' as const, ratio: radiatingShare.times(weights[i]!) })),
  ];
  return largestRemainder(total, parts).map(({ villageId, role, amount }) => ({ villageId, role, amount }));
}

export interface RuleInput {
  projectVillageId: string;
  projectVillageShare: string;
  /** 1 − projectVillageShare when omitted. */
  radiatingShare?: string;
  radiatingVillages: { villageId: string; weight?: string }[];
}

export interface CheckedRule {
  projectVillageShare: string;
  radiatingShare: string;
  radiatingVillages: { villageId: string; weight: string }[];
}

/**
 * Checks a distribution rule on its own (no database): shares in [0, 1] summing to exactly 1,
 * positive weights (1 each when omitted), distinct radiating villages that are not the project village,
 * and radiating villages to receive a radiating share. Returns the shares in their stored form.
 */
export function checkRule(input: RuleInput): CheckedRule {
  const invalid = (message: string, details?: Record<string, unknown>) => new DomainError('invalid_rule', message, details);
  for (const [field, value] of [
    ['projectVillageShare', input.projectVillageShare],
    ['radiatingShare', input.radiatingShare],
  ] as const) {
    if (value !== undefined && !SHARE_PATTERN.test(value)) {
      throw new DomainError('validation_failed', `${field}: a share is a decimal string from "0" to "1" with at most 8 decimals, e.g. "0.40"; got "${value}".`, { field });
    }
  }
  const project = new Exact(input.projectVillageShare);
  const radiating = input.radiatingShare === undefined ? new Exact(1).minus(project) : new Exact(input.radiatingShare);
  if (!project.plus(radiating).eq(1)) {
    throw invalid(
      `The shares must sum to exactly 1: projectVillageShare ${input.projectVillageShare} + radiatingShare ${input.radiatingShare} = ${project.plus(radiating).toFixed()}.`,
      { projectVillageShare: input.projectVillageShare, radiatingShare: input.radiatingShare },
    );
  }
  const seen = new Set<string>();
  const radiatingVillages = input.radiatingVillages.map((v, i) => {
    if (v.villageId === input.projectVillageId) {
      throw invalid(`radiatingVillages[${i}]: village ${v.villageId} is the project village; it takes the project share and cannot also radiate.`, {
        villageId: v.villageId,
      });
    }
    if (seen.has(v.villageId)) throw invalid(`radiatingVillages[${i}]: village ${v.villageId} is listed twice.`, { villageId: v.villageId });
    seen.add(v.villageId);
    const weight = v.weight ?? '1';
    if (!WEIGHT_PATTERN.test(weight) || new Exact(weight).lte(0)) {
      throw new DomainError('validation_failed', `radiatingVillages[${i}].weight: a weight is a positive decimal string with at most 4 decimals; got "${weight}".`);
    }
    return { villageId: v.villageId, weight };
  });
  if (radiating.gt(0) && radiatingVillages.length === 0) {
    throw invalid(`The radiating villages' share is ${radiating.toFixed()} but no radiating village is named to receive it.`);
  }
  return { projectVillageShare: project.toFixed(8), radiatingShare: radiating.toFixed(8), radiatingVillages };
}

/** Villages (or anything with a code) in code order, as splits and rules list them. */
export const byCode = <T extends { code: string }>(a: T, b: T) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0);
