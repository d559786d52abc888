import type { Tx } from '../db/client.js';
import { DomainError, notFound } from '../errors.js';
import { assertNotFuture, isCalendarDate } from './dates.js';
import { type PostingContext, type PostingInput, postTransaction } from './posting.js';
import { getTransaction, type PostedTransaction } from './queries.js';

export interface ReversalInput {
  reason: string;
  /** Accounting date of the reversal; today when omitted. */
  date?: string;
}

/**
 * Posts the mirror of a transaction — every line's direction swapped — linked to it. A transaction is
 * reversed at most once and a reversal is never itself reversed: a wrong reversal is corrected by
 * posting the transaction again.
 */
export async function reverseTransaction(
  tx: Tx,
  transactionId: string,
  input: ReversalInput,
  ctx: PostingContext,
): Promise<PostedTransaction> {
  return postTransaction(tx, await planReversal(tx, transactionId, input, ctx), ctx, { reversal: { of: transactionId, reason: input.reason } });
}

/** The mirror a reversal of `transactionId` would post, checked as reverseTransaction checks it: for a reversal drafted for review too. */
export async function planReversal(tx: Tx, transactionId: string, input: ReversalInput, ctx: PostingContext): Promise<PostingInput> {
  const original = await getTransaction(tx, transactionId);
  if (!original) throw notFound('Transaction', transactionId);
  if (original.reversesTransactionId) {
    throw new DomainError(
      'reversal_not_reversible',
      `Transaction ${transactionId} is itself a reversal (of ${original.reversesTransactionId}) and cannot be reversed.`,
    );
  }
  if (original.reversedByTransactionId) {
    throw new DomainError('already_reversed', `Transaction ${transactionId} was already reversed by ${original.reversedByTransactionId}.`, {
      reversedByTransactionId: original.reversedByTransactionId,
    });
  }
  const date = input.date ?? ctx.today;
  if (!isCalendarDate(date)) throw new DomainError('validation_failed', `date: ${date} is not a calendar date (YYYY-MM-DD).`);
  assertNotFuture(date, ctx.today);
  if (date < original.date) {
    throw new DomainError('validation_failed', `date: a reversal cannot be dated before the original (${original.date}).`);
  }
  if (!input.reason?.trim()) throw new DomainError('validation_failed', 'reason: must not be empty.');

  return {
    date,
    description: `冲销 Reversal of #${original.number}: ${original.description}`.slice(0, 500),
    reference: original.reference,
    lines: original.lines.map((l) => ({
      accountId: l.accountId,
      direction: l.direction === 'debit' ? 'credit' : 'debit',
      amount: l.amount,
      memo: l.memo,
    })),
  };
}
