import { withKeyName, withKeyNames } from '../auth/key-names.js';
import { and, asc, eq, getTableColumns, gte, lte, sql } from 'drizzle-orm';
import { assertChecker } from '../auth/maker-checker.js';
import { fundInReach } from '../auth/reach.js';
import type { Reach } from '../auth/roles.js';
import { type Db, type Executor, type Tx } from '../db/client.js';
import { households, insuranceClaims, insurancePolicies, transactions } from '../db/schema.js';
import { DomainError, notFound } from '../errors.js';
import { recordEvent } from '../events/outbox.js';
import { expenseRole } from '../funds/chart.js';
import { roleAccount } from '../funds/chart-accounts.js';
import { assertNotFuture } from '../ledger/dates.js';
import { formatMoney, parseAmount } from '../ledger/money.js';
import { postTransaction } from '../ledger/posting.js';
import { afterPosition, iso, type PolicyAccess } from './access.js';
import type { ClaimInput, ClaimRow, ClaimStatus } from './service.js';

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

const CLAIM_ACTORS = ['filedBy', 'approvedBy'] as const;

/** Households' claims on a policy: filed, approved (another key), paid out of the policy's pool, or rejected. */
export function createInsuranceClaims(db: Db, deps: { today(): string }, access: PolicyAccess) {
  const { posting, findPolicy, assertFundPaysInsurance, poolOf } = access;

  async function lockClaim(tx: Tx, id: string): Promise<ClaimRow> {
    const [found] = await tx.select().from(insuranceClaims).where(eq(insuranceClaims.id, id)).for('update');
    if (!found) throw notFound('Insurance claim', id);
    return found;
  }

  async function claimView(executor: Executor, id: string) {
    const [found] = await selectClaims(executor).where(eq(insuranceClaims.id, id));
    if (!found) throw notFound('Insurance claim', id);
    return withKeyName(executor, toClaim(found), CLAIM_ACTORS);
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
      fundId?: string;
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
            filter.fundId ? eq(insurancePolicies.fundId, filter.fundId) : undefined,
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
      return withKeyNames(db, found.map(toClaim), CLAIM_ACTORS);
    },
  };
}
