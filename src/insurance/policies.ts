import { withKeyName, withKeyNames } from '../auth/key-names.js';
import { and, asc, eq, sql } from 'drizzle-orm';
import { fundInReach } from '../auth/reach.js';
import type { Reach } from '../auth/roles.js';
import { type Db, type Executor, rows, type Tx } from '../db/client.js';
import { accounts, funds, insuranceMovements, insurancePolicies } from '../db/schema.js';
import { DomainError, notFound } from '../errors.js';
import { recordEvent } from '../events/outbox.js';
import { insurancePoolAccount } from '../funds/chart.js';
import { openChartAccount, roleAccount } from '../funds/chart-accounts.js';
import { formatMoney, Money, parseAmount } from '../ledger/money.js';
import { postTransaction } from '../ledger/posting.js';
import { afterPosition, money, type PolicyAccess, toMovement } from './access.js';
import {
  type CarryForwardInput, claimStatuses, type ClaimStatus, type MovementInput, type MovementKind, type PolicyInput, type PolicyRow, type PremiumInput,
} from './service.js';


/** Policies and their premium pools: premiums paid in, surpluses refunded or carried into the next policy. */
export function createInsurancePolicies(db: Db, deps: { today(): string }, access: PolicyAccess) {
  const { posting, findPolicy, lockPolicy, policyName, poolOf, postOutOfPool } = access;

  /** The ledger's refusal of a premium the bank cannot pay (it may not go below zero), restated in the premium's words. */
  function inPremiumWords(error: unknown, bank: string, amount: Money) {
    if (!(error instanceof DomainError) || error.code !== 'insufficient_funds') return error;
    const short = ((error.details?.accounts ?? []) as { accountId: string; balance: string; shortfall: string }[]).find((a) => a.accountId === bank);
    if (!short) return error;
    return new DomainError(
      'insufficient_funds',
      `The fund's bank account holds ${short.balance}; the premium of ${formatMoney(amount)} needs ${short.shortfall} more.`,
      error.details,
    );
  }

  /** Premiums, claims, refunds, carry-forwards and the pool balance of each policy (at least one), in four grouped queries. */
  async function figures(executor: Executor, policyIds: string[]) {
    const ids = sql.join(
      policyIds.map((id) => sql`${id}::uuid`),
      sql`, `,
    );
    // One after the other: inside a transaction they share one connection.
    const moved = await rows<{ policy_id: string; kind: MovementKind; total: string }>(
      executor,
      sql`select policy_id, kind, sum(amount)::text as total from insurance_movements where policy_id in (${ids}) group by policy_id, kind`,
    );
    const claimed = await rows<{ policy_id: string; status: ClaimStatus; n: number; claimed: string; approved: string }>(
      executor,
      sql`select policy_id, status, count(*)::int as n, sum(amount_claimed)::text as claimed,
                 coalesce(sum(amount_approved), 0)::text as approved
            from insurance_claims where policy_id in (${ids}) group by policy_id, status`,
    );
    const householdsPaid = await rows<{ policy_id: string; n: number }>(
      executor,
      sql`select policy_id, count(distinct household_id)::int as n
            from insurance_claims where status = 'paid' and policy_id in (${ids}) group by policy_id`,
    );
    const pools = await rows<{ policy_id: string; id: string; balance: string }>(
      executor,
      sql`select policy_id, id, balance::text as balance from accounts where role = 'insurance_pool' and policy_id in (${ids})`,
    );
    return new Map(
      policyIds.map((policyId) => {
        const movement = (kind: MovementKind) => money(moved.find((m) => m.policy_id === policyId && m.kind === kind)?.total);
        const byStatus = (status: ClaimStatus) => {
          const c = claimed.find((x) => x.policy_id === policyId && x.status === status);
          return { count: c?.n ?? 0, amountClaimed: money(c?.claimed), amountApproved: money(c?.approved) };
        };
        const claims = Object.fromEntries(claimStatuses.map((s) => [s, byStatus(s)])) as Record<ClaimStatus, ReturnType<typeof byStatus>>;
        const pool = pools.find((p) => p.policy_id === policyId);
        return [
          policyId,
          {
            poolAccountId: pool?.id ?? null,
            figures: {
              premiumPaid: movement('premium'),
              claims,
              householdsPaid: householdsPaid.find((h) => h.policy_id === policyId)?.n ?? 0,
              paidOut: claims.paid.amountApproved,
              refunded: movement('refund'),
              carriedForwardIn: movement('carried_forward_in'),
              carriedForwardOut: movement('carried_forward_out'),
              poolBalance: money(pool?.balance),
            },
          },
        ];
      }),
    );
  }

  async function policyViews(executor: Executor, found: PolicyRow[]) {
    if (!found.length) return [];
    const byPolicy = await figures(
      executor,
      found.map((p) => p.id),
    );
    return withKeyNames(
      executor,
      found.map((p) => ({ ...p, createdAt: p.createdAt.toISOString(), ...byPolicy.get(p.id)! })),
      ['createdBy'] as const,
    );
  }

  async function recordMovement(
    tx: Tx,
    policyId: string,
    kind: MovementKind,
    input: MovementInput & { counterpartPolicyId?: string },
    transactionId: string,
    actor: string,
  ) {
    const [created] = await tx
      .insert(insuranceMovements)
      .values({
        policyId,
        kind,
        date: input.date,
        amount: input.amount,
        reference: input.reference ?? null,
        counterpartPolicyId: input.counterpartPolicyId ?? null,
        transactionId,
        createdBy: actor,
      })
      .returning();
    return withKeyName(tx, toMovement(created!), ['createdBy'] as const);
  }

  return {
    async createPolicy(tx: Tx, input: PolicyInput, actor: string) {
      const [fund] = await tx.select().from(funds).where(eq(funds.id, input.fundId));
      if (!fund) throw notFound('Fund', input.fundId);
      if (fund.status !== 'active') throw new DomainError('fund_closed', `Fund ${fund.code} is closed and takes no new policy.`);
      // The premium will be paid from the fund's bank account: a fund without the standard chart is refused now.
      await roleAccount(tx, fund.id, 'bank');
      const [policy] = await tx
        .insert(insurancePolicies)
        .values({
          fundId: input.fundId,
          insurer: input.insurer,
          policyNumber: input.policyNumber ?? null,
          premium: input.premium,
          coverFrom: input.coverFrom,
          coverTo: input.coverTo,
          coveredPopulation: input.coveredPopulation,
          coveredCount: input.coveredCount ?? null,
          createdBy: actor,
        })
        // A concurrent request with the same number waits here and then finds it taken.
        .onConflictDoNothing()
        .returning();
      if (!policy) {
        throw new DomainError('already_exists', `Fund ${fund.code} already has a policy numbered ${input.policyNumber}.`, { field: 'policyNumber' });
      }
      const pool = insurancePoolAccount(policy);
      const [taken] = await tx
        .select({ id: accounts.id })
        .from(accounts)
        .where(and(eq(accounts.fundId, fund.id), eq(accounts.code, pool.code)));
      if (taken) {
        throw new DomainError('already_exists', `Fund ${fund.code} already has account ${pool.code}: policy number ${input.policyNumber} is taken in this fund.`, {
          field: 'policyNumber',
        });
      }
      await openChartAccount(tx, fund.id, pool, { policyId: policy!.id });
      await recordEvent(tx, {
        type: 'insurance.policy_created',
        fundId: fund.id,
        subjectId: policy!.id,
        payload: { policyId: policy!.id, insurer: input.insurer, policyNumber: policy!.policyNumber, premium: policy!.premium, actor },
      });
      return (await policyViews(tx, [policy!]))[0]!;
    },

    async getPolicy(id: string) {
      return (await policyViews(db, [await findPolicy(db, id)]))[0]!;
    },

    async listPolicies(filter: { fundId?: string; after?: string; limit: number; reach: Reach | null }) {
      const found = await db
        .select()
        .from(insurancePolicies)
        .where(
          and(
            filter.fundId ? eq(insurancePolicies.fundId, filter.fundId) : undefined,
            fundInReach(filter.reach, insurancePolicies.fundId),
            afterPosition(filter.after, insurancePolicies.coverFrom, insurancePolicies.id),
          ),
        )
        .orderBy(asc(insurancePolicies.coverFrom), asc(insurancePolicies.id))
        .limit(filter.limit);
      return policyViews(db, found);
    },

    /**
     * Dr the policy's pool, Cr the fund's bank. The premium agreed is paid once: a payment that would take
     * the total paid past it is refused (a second click, a slip sent twice) unless it says it is a top-up
     * (少补: the county tops up a pool that claims exceeded).
     */
    async payPremium(tx: Tx, policyId: string, input: PremiumInput, actor: string) {
      const policy = await lockPolicy(tx, policyId);
      const amount = parseAmount(input.amount);
      const [paid] = await rows<{ total: string }>(
        tx,
        sql`select coalesce(sum(amount), 0)::text as total from insurance_movements where policy_id = ${policy.id} and kind = 'premium'`,
      );
      const alreadyPaid = new Money(paid!.total);
      if (!input.topUp && alreadyPaid.plus(amount).gt(policy.premium)) {
        throw new DomainError(
          'invalid_state',
          `Policy ${policyName(policy)} has an agreed premium of ${formatMoney(new Money(policy.premium))}, of which ${formatMoney(alreadyPaid)} is already paid; ` +
            `this payment of ${formatMoney(amount)} would take the total to ${formatMoney(alreadyPaid.plus(amount))}. ` +
            'If the county is topping up a pool that claims exceeded (少补), send "topUp": true.',
          { premium: formatMoney(new Money(policy.premium)), premiumPaid: formatMoney(alreadyPaid), amount: formatMoney(amount) },
        );
      }
      const pool = await poolOf(tx, policy);
      const bank = await roleAccount(tx, policy.fundId, 'bank');
      const posted = await postTransaction(
        tx,
        {
          date: input.date,
          description: `防贫保保费—${policy.insurer}${policy.policyNumber ? ` ${policy.policyNumber}` : ''}${input.topUp ? '（补缴）' : ''}`,
          reference: input.reference ?? null,
          lines: [
            { accountId: pool, direction: 'debit', amount: input.amount },
            { accountId: bank, direction: 'credit', amount: input.amount },
          ],
        },
        posting(actor),
      ).catch((error: unknown) => {
        throw inPremiumWords(error, bank, amount);
      });
      const movement = await recordMovement(tx, policy.id, 'premium', input, posted.id, actor);
      await recordEvent(tx, {
        type: 'insurance.premium_paid',
        fundId: policy.fundId,
        subjectId: policy.id,
        payload: { policyId: policy.id, movementId: movement.id, date: input.date, amount: movement.amount, topUp: input.topUp ?? false, transactionId: posted.id },
      });
      return movement;
    },

    /** Surplus returned by the insurer (多退): Dr the fund's bank, Cr the pool; never more than the pool holds. */
    async recordRefund(tx: Tx, policyId: string, input: MovementInput, actor: string) {
      const policy = await findPolicy(tx, policyId);
      const amount = parseAmount(input.amount);
      const pool = await poolOf(tx, policy);
      const bank = await roleAccount(tx, policy.fundId, 'bank');
      const posted = await postOutOfPool(
        tx,
        policy,
        pool,
        {
          date: input.date,
          description: `防贫保结余退回—${policy.insurer}${policy.policyNumber ? ` ${policy.policyNumber}` : ''}`,
          reference: input.reference ?? null,
          lines: [
            { accountId: bank, direction: 'debit', amount: input.amount },
            { accountId: pool, direction: 'credit', amount: input.amount },
          ],
        },
        amount,
        'a refund',
        actor,
      );
      const movement = await recordMovement(tx, policy.id, 'refund', input, posted.id, actor);
      await recordEvent(tx, {
        type: 'insurance.refunded',
        fundId: policy.fundId,
        subjectId: policy.id,
        payload: { policyId: policy.id, movementId: movement.id, date: input.date, amount: movement.amount, transactionId: posted.id },
      });
      return movement;
    },

    /** Surplus kept by the insurer for the next policy (余额结转): Dr the new pool, Cr the old one, in one fund. */
    async carryForward(tx: Tx, policyId: string, input: CarryForwardInput, actor: string) {
      const from = await findPolicy(tx, policyId);
      const to = await findPolicy(tx, input.toPolicyId);
      if (to.id === from.id) throw new DomainError('validation_failed', 'toPolicyId: a balance is carried forward to another policy, not the same one.');
      if (to.fundId !== from.fundId) {
        throw new DomainError('validation_failed', `toPolicyId: policy ${to.id} belongs to another fund; a balance is carried forward within one fund only.`, {
          field: 'toPolicyId',
        });
      }
      const amount = parseAmount(input.amount);
      const fromPool = await poolOf(tx, from);
      const toPool = await poolOf(tx, to);
      const posted = await postOutOfPool(
        tx,
        from,
        fromPool,
        {
          date: input.date,
          description: `防贫保余额结转—${policyName(from)} → ${policyName(to)}`,
          reference: input.reference ?? null,
          lines: [
            { accountId: toPool, direction: 'debit', amount: input.amount },
            { accountId: fromPool, direction: 'credit', amount: input.amount },
          ],
        },
        amount,
        'a carry-forward',
        actor,
      );
      const outgoing = await recordMovement(tx, from.id, 'carried_forward_out', { ...input, counterpartPolicyId: to.id }, posted.id, actor);
      const incoming = await recordMovement(tx, to.id, 'carried_forward_in', { ...input, counterpartPolicyId: from.id }, posted.id, actor);
      await recordEvent(tx, {
        type: 'insurance.carried_forward',
        fundId: from.fundId,
        subjectId: from.id,
        payload: { policyId: from.id, toPolicyId: to.id, date: input.date, amount: outgoing.amount, transactionId: posted.id },
      });
      return { transactionId: posted.id, outgoing, incoming };
    },

    /** A claim on the policy; the whole population is insured, so the household need not be monitored. */
  };
}
