import { withKeyName } from '../auth/key-names.js';
import { sql } from 'drizzle-orm';
import { rows, type Tx } from '../db/client.js';
import { DomainError } from '../errors.js';
import type { PostingOrder } from '../ledger/group.js';
import type { LockedAccount, PostingInput } from '../ledger/posting.js';
import { type ReversalInput, reverseTransaction } from '../ledger/reversal.js';

/**
 * Hand-posted vouchers (POST /v1/transactions) and their reversals. The accounts of the standard chart
 * other than the bank account carry state that business records keep too — reservations, village
 * allocations, premium pools, income by source, payments by category — so only their operations move
 * them, and a voucher an operation posted is corrected through that operation (e.g. failing the
 * disbursement), never by a bare reversal that would leave its record saying otherwise.
 */
export function createTransactionService(options: { today(): string }) {
  const context = (actor: string) => ({ actor, today: options.today() });

  // Checked by postTransaction under the account locks, in the statement that takes them.
  function assertPostedDirectly(accounts: readonly LockedAccount[]) {
    const reviewed = [...new Set(accounts.filter((a) => a.fund_review).map((a) => a.fund_id))];
    if (reviewed.length) {
      throw new DomainError(
        'review_required',
        `Fund ${reviewed.join(', ')} requires review of hand-posted vouchers (manualVouchersNeedReview): draft it with POST /v1/vouchers, ` +
          'and another key with the approver role approves and posts it.',
        { fundIds: reviewed, draftAt: '/v1/vouchers' },
      );
    }
    assertManualAccounts(accounts);
  }

  function assertManualAccounts(accounts: readonly LockedAccount[]) {
    const found = accounts.filter((a) => a.role !== null && a.role !== 'bank');
    if (found.length) {
      throw new DomainError(
        'reserved_for_operations',
        `${found.map((a) => `Account ${a.code} (${a.role})`).join(', ')} is moved only by its operation (dividends, income, disbursements, insurance); ` +
          'post adjustments to accounts of your own, or against the bank account.',
        { accounts: found.map((a) => ({ accountId: a.id, role: a.role })) },
      );
    }
  }

  async function assertNotOperationVoucher(tx: Tx, transactionId: string) {
    const [owner] = await rows<{ kind: string; id: string }>(
      tx,
      sql`select 'disbursement' as kind, id::text from disbursements
           where ${transactionId} in (approval_transaction_id, payment_transaction_id, failure_transaction_id)
          union all select 'disbursement batch', id::text from disbursement_batches
           where ${transactionId} in (approval_transaction_id, payment_transaction_id)
          union all select 'dividend', id::text from dividends where transaction_id = ${transactionId}
          union all select 'income receipt', id::text from income_receipts where transaction_id = ${transactionId}
          union all select 'insurance movement', id::text from insurance_movements where transaction_id = ${transactionId}
          union all select 'insurance claim', id::text from insurance_claims where transaction_id = ${transactionId}
          limit 1`,
    );
    if (owner) {
      throw new DomainError(
        'reserved_for_operations',
        `Transaction ${transactionId} was posted by ${owner.kind} ${owner.id}: correct it through that ${owner.kind}, so its record and the books agree.`,
        { ownerKind: owner.kind, ownerId: owner.id },
      );
    }
  }

  /** A reversal is a hand voucher too: in a fund that requires review it is drafted (POST /v1/vouchers/reversals). */
  async function assertReversedDirectly(tx: Tx, transactionId: string) {
    const reviewed = await rows<{ fund_id: string }>(
      tx,
      sql`select distinct f.id as fund_id from transaction_lines l join funds f on f.id = l.fund_id
           where l.transaction_id = ${transactionId} and f.manual_vouchers_need_review order by f.id`,
    );
    if (reviewed.length) {
      const fundIds = reviewed.map((r) => r.fund_id);
      throw new DomainError(
        'review_required',
        `Fund ${fundIds.join(', ')} requires review of hand-posted vouchers (manualVouchersNeedReview): draft the reversal with ` +
          'POST /v1/vouchers/reversals, and another key with the approver role approves and posts it.',
        { fundIds, draftAt: '/v1/vouchers/reversals' },
      );
    }
  }

  return {
    assertManualAccounts,
    assertNotOperationVoucher,

    /** A hand-posted voucher, decided and written with its posting group (src/ledger/group.ts). */
    post(input: PostingInput, actor: { id: string; name: string }): PostingOrder {
      return {
        posting: input,
        context: context(actor.id),
        options: { checkAccounts: assertPostedDirectly },
        present: (posted) => ({ ...posted, createdByName: actor.name }),
      };
    },

    async reverse(tx: Tx, transactionId: string, input: ReversalInput, actor: string) {
      await assertNotOperationVoucher(tx, transactionId);
      await assertReversedDirectly(tx, transactionId);
      return withKeyName(tx, await reverseTransaction(tx, transactionId, input, context(actor)), ['createdBy'] as const);
    },
  };
}
