import { and, asc, eq, getTableColumns, gte, lte, sql, type SQL } from 'drizzle-orm';
import { assertChecker } from '../auth/maker-checker.js';
import { fundInReach } from '../auth/reach.js';
import type { Reach } from '../auth/roles.js';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import { type Db, type Executor, rows, type Tx } from '../db/client.js';
import { accounts, funds, households, insuranceClaims, insuranceMovements, insurancePolicies, transactions } from '../db/schema.js';
import { DomainError, notFound } from '../errors.js';
import { recordEvent } from '../events/outbox.js';
import { assertCategoryAllowed } from '../funds/categories.js';
import { expenseRole, insurancePoolAccount } from '../funds/chart.js';
import { openChartAccount, roleAccount } from '../funds/chart-accounts.js';
import { assertNotFuture, isCalendarDate } from '../ledger/dates.js';
import { formatMoney, Money, parseAmount } from '../ledger/money.js';
import { type PostingInput, postTransaction } from '../ledger/posting.js';

export const claimCauses = ['illness', 'accident', 'disaster', 'schooling'] as const;
export type ClaimCause = (typeof claimCauses)[number];
export const claimStatuses = ['filed', 'approved', 'paid', 'rejected'] as const;
export type ClaimStatus = (typeof claimStatuses)[number];
export const movementKinds = ['premium', 'refund', 'carried_forward_out', 'carried_forward_in'] as const;
type MovementKind = (typeof movementKinds)[number];

export interface PolicyInput {
  fundId: string;
  insurer: string;
  policyNumber?: string;
  premium: string;
  coverFrom: string;
  coverTo: string;
  coveredPopulation: string;
  coveredCount?: number;
}

export interface MovementInput {
  date: string;
  amount: string;
  reference?: string;
}

export interface PremiumInput extends MovementInput {
  topUp?: boolean;
}

export interface CarryForwardInput extends MovementInput {
  toPolicyId: string;
}

export interface ClaimInput {
  policyId: string;
  householdId: string;
  cause: ClaimCause;
  date: string;
  amountClaimed: string;
}

type PolicyRow = typeof insurancePolicies.$inferSelect;
type MovementRow = typeof insuranceMovements.$inferSelect;
type ClaimRow = typeof insuranceClaims.$inferSelect;

const iso = (d: Date | null) => d?.toISOString() ?? null;
const money = (value: string | null | undefined) => formatMoney(new Money(value ?? 0));

const toMovement = (m: MovementRow) => ({ ...m, createdAt: m.createdAt.toISOString() });

/** Lists of claims and policies are ordered by a date, then id; their cursor is "date|id". */
export const datePosition = (date: string, id: string) => `${date}|${id}`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function afterPosition(position: string | undefined, dateColumn: AnyPgColumn, idColumn: AnyPgColumn): SQL | undefined {
  if (position === undefined) return undefined;
  const [date, id] = position.split('|');
  if (!date || !isCalendarDate(date) || !id || !UUID.test(id)) {
    throw new DomainError('validation_failed', 'cursor: not a cursor this service issued; use nextCursor from a previous page.');
  }
  return sql`(${dateColumn}, ${idColumn}) > (${date}::date, ${id}::uuid)`;
}

const claimColumns = { ...getTableColumns(insuranceClaims), fundId: insurancePolicies.fundId, paidOn: transactions.date };

function selectClaims(executor: Executor) {
  return executor
    .select(claimColumns)
    .from(insuranceClaims)
    .innerJoin(insurancePolicies, eq(insurancePolicies.id, insuranceClaims.policyId))
    .leftJoin(transactions, eq(transactions.id, insuranceClaims.transactionId));
}

const toClaim = (c: Awaited<ReturnType<ReturnType<typeof selectClaims>['execute']>>[number]) => ({
  ...c,
  approvedAt: iso(c.approvedAt),
  paidAt: iso(c.paidAt),
  createdAt: c.createdAt.toISOString(),
});

/**
 * Poverty-prevention insurance (防贫保): the fund pays premiums into a pool held by the insurer, claims
 * paid to households come out of it, and what is left is refunded or carried into the next policy
 * (多退少补、余额结转). The pool is an account of the fund, so every figure per policy is in the ledger.
 */
export function createInsuranceService(db: Db, deps: { today(): string }) {
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

  const poolOf = (executor: Executor, policy: PolicyRow) => roleAccount(executor, policy.fundId, 'insurance_pool', { policyId: policy.id });

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
    return found.map((p) => ({ ...p, createdAt: p.createdAt.toISOString(), ...byPolicy.get(p.id)! }));
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
    return toMovement(created!);
  }

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

  async function lockClaim(tx: Tx, id: string): Promise<ClaimRow> {
    const [found] = await tx.select().from(insuranceClaims).where(eq(insuranceClaims.id, id)).for('update');
    if (!found) throw notFound('Insurance claim', id);
    return found;
  }

  async function claimView(executor: Executor, id: string) {
    const [found] = await selectClaims(executor).where(eq(insuranceClaims.id, id));
    if (!found) throw notFound('Insurance claim', id);
    return toClaim(found);
  }

  /** Refuses a transition from a state that does not allow it, with the code that says why. */
  function assertClaimIs(claim: ClaimRow, allowed: ClaimStatus[], action: 'approved' | 'paid' | 'rejected') {
    if (allowed.includes(claim.status)) return;
    const code = claim.status === 'paid' ? 'already_paid' : claim.status === 'filed' && action === 'paid' ? 'not_approved' : 'invalid_state';
    throw new DomainError(code, `Claim ${claim.id} is ${claim.status}; it can be ${action} only when ${allowed.join(' or ')}.`, {
      claimStatus: claim.status,
    });
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
    async fileClaim(tx: Tx, input: ClaimInput, actor: string) {
      const policy = await findPolicy(tx, input.policyId);
      const [household] = await tx.select({ id: households.id }).from(households).where(eq(households.id, input.householdId));
      if (!household) throw new DomainError('unknown_household', `No household with id ${input.householdId}.`, { householdId: input.householdId });
      assertNotFuture(input.date, deps.today());
      if (input.date < policy.coverFrom || input.date > policy.coverTo) {
        throw new DomainError(
          'validation_failed',
          `date: ${input.date} is outside the cover of policy ${policy.policyNumber ?? policy.id} (${policy.coverFrom} to ${policy.coverTo}).`,
          { field: 'date', coverFrom: policy.coverFrom, coverTo: policy.coverTo },
        );
      }
      await assertFundPaysInsurance(tx, policy.fundId);
      const [claim] = await tx
        .insert(insuranceClaims)
        .values({ ...input, status: 'filed', filedBy: actor })
        .returning({ id: insuranceClaims.id });
      const view = await claimView(tx, claim!.id);
      await recordEvent(tx, {
        type: 'claim.filed',
        fundId: policy.fundId,
        subjectId: view.id,
        payload: { claimId: view.id, policyId: policy.id, householdId: input.householdId, amountClaimed: view.amountClaimed, actor },
      });
      return view;
    },

    /** Maker–checker: the approver is not the officer who filed the claim. */
    async approveClaim(tx: Tx, claimId: string, input: { amountApproved: string }, actor: string) {
      const claim = await lockClaim(tx, claimId);
      assertClaimIs(claim, ['filed'], 'approved');
      assertChecker(`Claim ${claim.id}`, claim.filedBy, actor, 'approve');
      const approved = parseAmount(input.amountApproved, 'amountApproved');
      if (approved.gt(claim.amountClaimed)) {
        throw new DomainError(
          'validation_failed',
          `amountApproved: ${formatMoney(approved)} is more than the ${claim.amountClaimed} claimed.`,
          { field: 'amountApproved', amountClaimed: claim.amountClaimed },
        );
      }
      await tx
        .update(insuranceClaims)
        .set({ status: 'approved', amountApproved: formatMoney(approved), approvedBy: actor, approvedAt: new Date() })
        .where(eq(insuranceClaims.id, claim.id));
      const view = await claimView(tx, claim.id);
      await recordEvent(tx, {
        type: 'claim.approved',
        fundId: view.fundId,
        subjectId: claim.id,
        payload: { claimId: claim.id, policyId: claim.policyId, householdId: claim.householdId, amountApproved: formatMoney(approved), actor },
      });
      return view;
    },

    /** The insurer paid the household: Dr insurance expense, Cr the policy's pool (which may go below zero: 少补). */
    async payClaim(tx: Tx, claimId: string, input: { payoutReference: string; date?: string }, actor: string) {
      const claim = await lockClaim(tx, claimId);
      assertClaimIs(claim, ['approved'], 'paid');
      assertChecker(`Claim ${claim.id}`, claim.filedBy, actor, 'pay');
      const date = input.date ?? deps.today();
      if (date < claim.date) {
        throw new DomainError('validation_failed', `date: a claim of ${claim.date} cannot be paid on ${date}, before it was filed.`, { field: 'date' });
      }
      const policy = await findPolicy(tx, claim.policyId);
      await assertFundPaysInsurance(tx, policy.fundId);
      const expense = await roleAccount(tx, policy.fundId, expenseRole('insurance'));
      const pool = await poolOf(tx, policy);
      const [household] = await tx.select({ code: households.code }).from(households).where(eq(households.id, claim.householdId));
      const posted = await postTransaction(
        tx,
        {
          date,
          description: `防贫保理赔—${household!.code}`,
          reference: input.payoutReference,
          lines: [
            { accountId: expense, direction: 'debit', amount: claim.amountApproved! },
            { accountId: pool, direction: 'credit', amount: claim.amountApproved! },
          ],
        },
        posting(actor),
      );
      await tx
        .update(insuranceClaims)
        .set({ status: 'paid', paidAt: new Date(), payoutReference: input.payoutReference, transactionId: posted.id })
        .where(eq(insuranceClaims.id, claim.id));
      const view = await claimView(tx, claim.id);
      await recordEvent(tx, {
        type: 'claim.paid',
        fundId: policy.fundId,
        subjectId: claim.id,
        payload: { claimId: claim.id, policyId: policy.id, householdId: claim.householdId, amount: claim.amountApproved!, date, transactionId: posted.id, actor },
      });
      return view;
    },

    async rejectClaim(tx: Tx, claimId: string, input: { reason: string }, actor: string) {
      const claim = await lockClaim(tx, claimId);
      assertClaimIs(claim, ['filed', 'approved'], 'rejected');
      assertChecker(`Claim ${claim.id}`, claim.filedBy, actor, 'reject');
      await tx.update(insuranceClaims).set({ status: 'rejected', rejectedReason: input.reason }).where(eq(insuranceClaims.id, claim.id));
      const view = await claimView(tx, claim.id);
      await recordEvent(tx, {
        type: 'claim.rejected',
        fundId: view.fundId,
        subjectId: claim.id,
        payload: { claimId: claim.id, policyId: claim.policyId, householdId: claim.householdId, reason: input.reason, actor },
      });
      return view;
    },

    getClaim: (id: string) => claimView(db, id),

    async listClaims(filter: {
      policyId?: string;
      householdId?: string;
      status?: ClaimStatus;
      from?: string;
      to?: string;
      after?: string;
      limit: number;
      reach: Reach | null;
    }) {
      const found = await selectClaims(db)
        .where(
          and(
            filter.policyId ? eq(insuranceClaims.policyId, filter.policyId) : undefined,
            filter.reach ? sql`${insuranceClaims.policyId} in (select id from insurance_policies where ${fundInReach(filter.reach, sql`fund_id`)})` : undefined,
            filter.householdId ? eq(insuranceClaims.householdId, filter.householdId) : undefined,
            filter.status ? eq(insuranceClaims.status, filter.status) : undefined,
            filter.from ? gte(insuranceClaims.date, filter.from) : undefined,
            filter.to ? lte(insuranceClaims.date, filter.to) : undefined,
            afterPosition(filter.after, insuranceClaims.date, insuranceClaims.id),
          ),
        )
        .orderBy(asc(insuranceClaims.date), asc(insuranceClaims.id))
        .limit(filter.limit);
      return found.map(toClaim);
    },
  };
}

export type InsuranceService = ReturnType<typeof createInsuranceService>;
