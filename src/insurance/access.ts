import { eq, sql, type SQL } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import type { Executor, Tx } from '../db/client.js';
import { funds, insurancePolicies } from '../db/schema.js';
import { DomainError, notFound } from '../errors.js';
import { assertCategoryAllowed } from '../funds/categories.js';
import { roleAccount } from '../funds/chart-accounts.js';
import { isCalendarDate } from '../ledger/dates.js';
import { formatMoney, Money } from '../ledger/money.js';
import { type PostingInput, postTransaction } from '../ledger/posting.js';
import type { MovementRow, PolicyRow } from './service.js';

export const iso = (d: Date | null) => d?.toISOString() ?? null;
export const money = (value: string | null | undefined) => formatMoney(new Money(value ?? 0));

export const toMovement = (m: MovementRow) => ({ ...m, createdAt: m.createdAt.toISOString() });

/** Lists of claims and policies are ordered by a date, then id; their cursor is "date|id". */
export const datePosition = (date: string, id: string) => `${date}|${id}`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function afterPosition(position: string | undefined, dateColumn: AnyPgColumn, idColumn: AnyPgColumn): SQL | undefined {
  if (position === undefined) return undefined;
  const [date, id] = position.split('|');
  if (!date || !isCalendarDate(date) || !id || !UUID.test(id)) {
    throw new DomainError('validation_failed', 'cursor: not a cursor this service issued; use nextCursor from a previous page.');
  }
  return sql`(${dateColumn}, ${idColumn}) > (${date}::date, ${id}::uuid)`;
}


/** What policies and claims share: finding and locking a policy, its fund's purposes, its pool and what comes out of it. */
export function createPolicyAccess(deps: { today(): string }) {
  const posting = (actor: string) => ({ actor, today: deps.today() });

  async function findPolicy(executor: Executor, id: string): Promise<PolicyRow> {
    const [found] = await executor.select().from(insurancePolicies).where(eq(insurancePolicies.id, id));
    if (!found) throw notFound('Insurance policy', id);
    return found;
  }

  /** The policy, locked: premium payments to it run one at a time, so two at once cannot both fit the agreed premium. */
  async function lockPolicy(tx: Tx, id: string): Promise<PolicyRow> {
    const [found] = await tx.select().from(insurancePolicies).where(eq(insurancePolicies.id, id)).for('update');
    if (!found) throw notFound('Insurance policy', id);
    return found;
  }

  /** 专款专用 for claims: the fund must declare insurance payouts among its purposes. */
  async function assertFundPaysInsurance(executor: Executor, fundId: string) {
    const [fund] = await executor.select({ code: funds.code, allowedCategories: funds.allowedCategories }).from(funds).where(eq(funds.id, fundId));
    if (!fund) throw notFound('Fund', fundId);
    assertCategoryAllowed(fund, 'insurance');
  }

  const policyName = (policy: PolicyRow) => policy.policyNumber ?? policy.id;

  const poolOf = (executor: Executor, policy: PolicyRow) => roleAccount(executor, policy.fundId, 'insurance_pool', { policyId: policy.id });

  /**
   * Posts a refund or carry-forward out of a pool, refusing to take more than the pool holds. The pool,
   * unlike the bank, may go below zero (claims beyond the premium, 少补), so the ledger does not refuse
   * it; a refund or carry-forward, though, moves only a surplus. The balance the posting leaves, under
   * the locks postTransaction took, decides; a refusal rolls the posting back with the whole request.
   */
  async function postOutOfPool(tx: Tx, policy: PolicyRow, pool: string, input: PostingInput, amount: Money, what: string, actor: string) {
    const posted = await postTransaction(tx, input, posting(actor));
    const left = new Money(posted.lines.find((l) => l.accountId === pool)!.balanceAfter);
    if (left.isNegative()) {
      const held = left.plus(amount);
      throw new DomainError(
        'insufficient_funds',
        `The premium pool of policy ${policyName(policy)} holds ${formatMoney(held)}; ${what} of ${formatMoney(amount)} is more than it holds.`,
        { policyId: policy.id, poolBalance: formatMoney(held), shortfall: formatMoney(left.negated()) },
      );
    }
    return posted;
  }

  return { posting, findPolicy, lockPolicy, assertFundPaysInsurance, policyName, poolOf, postOutOfPool };
}

export type PolicyAccess = ReturnType<typeof createPolicyAccess>;
