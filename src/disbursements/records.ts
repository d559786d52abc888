import { eq } from 'drizzle-orm';
import { withKeyNames } from '../auth/key-names.js';
import type { Executor, Tx } from '../db/client.js';
import { disbursementBatches, disbursements } from '../db/schema.js';
import { notFound } from '../errors.js';
import type { Category } from '../funds/chart.js';

export type Row = typeof disbursements.$inferSelect;
export type BatchRow = typeof disbursementBatches.$inferSelect;

export const iso = (d: Date | null) => (d ? d.toISOString() : null);

export const toDisbursement = (row: Row, householdCode: string) => ({
  id: row.id,
  fundId: row.fundId,
  householdId: row.householdId,
  householdCode,
  villageId: row.villageId,
  category: row.category as Category,
  amount: row.amount,
  date: row.date,
  status: row.status,
  batchId: row.batchId,
  requestedBy: row.requestedBy,
  approvedBy: row.approvedBy,
  approvedAt: iso(row.approvedAt),
  paidBy: row.paidBy,
  paidAt: iso(row.paidAt),
  bankReference: row.bankReference,
  failedBy: row.failedBy,
  failedAt: iso(row.failedAt),
  failureReason: row.failureReason,
  approvalTransactionId: row.approvalTransactionId,
  paymentTransactionId: row.paymentTransactionId,
  failureTransactionId: row.failureTransactionId,
  createdAt: row.createdAt.toISOString(),
});

/** The keys that acted on a disbursement: each answered with its name beside its id. */
export const DISBURSEMENT_ACTORS = ['requestedBy', 'approvedBy', 'paidBy', 'failedBy'] as const;

/** Disbursement rows as answered, their actors named (one query for all of them). */
export const disbursementViews = (executor: Executor, found: { row: Row; householdCode: string }[]) =>
  withKeyNames(executor, found.map((f) => toDisbursement(f.row, f.householdCode)), DISBURSEMENT_ACTORS);

/** Locks a batch's row: the batch before its lines, the order every batch operation takes them in. */
export async function lockBatch(tx: Tx, id: string): Promise<BatchRow> {
  const [row] = await tx.select().from(disbursementBatches).where(eq(disbursementBatches.id, id)).for('update');
  if (!row) throw notFound('Disbursement batch', id);
  return row;
}
