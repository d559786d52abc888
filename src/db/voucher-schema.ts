import { sql } from 'drizzle-orm';
import { check, customType, date, index, integer, jsonb, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { funds, transactions } from './schema.js';

// Vouchers as Chinese bookkeeping keeps them: numbered within their fund and month, drafted by one key
// and reviewed by another (制单 → 审核 → 记账), with their source documents (原始凭证) attached.

/**
 * A voucher's number within a fund and month (记-2026-11-0007): given when it is linked onto the fund's
 * chain, under the chain head's lock, from the head's month counter, so a month's numbers run 1, 2, 3…
 * without gaps (a posting rolled back takes its number with it). A voucher touching two funds has a
 * number in each.
 */
export const voucherNumbers = pgTable(
  'voucher_numbers',
  {
    // References checked once per statement by the trigger voucher_numbers_references (drizzle/0017), as
    // the journal's are: a foreign key would take a key-share lock on the fund's row for every voucher of
    // every posting group, all of them on the same few rows.
    fundId: uuid('fund_id').notNull(),
    /** YYYY-MM of the voucher's accounting date. */
    period: text('period').notNull(),
    number: integer('number').notNull(),
    transactionId: uuid('transaction_id').notNull(),
  },
  (t) => [primaryKey({ columns: [t.fundId, t.period, t.number] }), uniqueIndex('voucher_numbers_transaction_fund_idx').on(t.transactionId, t.fundId)],
);

export interface DraftLine {
  accountId: string;
  direction: 'debit' | 'credit';
  amount: string;
  memo?: string | null;
}

/**
 * A hand-entered voucher waiting for review: not in the books (no balance, statement or chain reads this
 * table). Approved, it is posted through the ledger core and keeps the transaction's id.
 */
export const voucherDrafts = pgTable(
  'voucher_drafts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** The funds of the draft's accounts (a voucher may touch two), for the queue and the scope of keys. */
    fundIds: uuid('fund_ids').array().notNull(),
    status: text('status', { enum: ['draft', 'posted', 'rejected', 'withdrawn'] }).notNull().default('draft'),
    date: date('date').notNull(),
    description: text('description').notNull(),
    reference: text('reference'),
    lines: jsonb('lines').$type<DraftLine[]>().notNull(),
    /** Source documents declared by the preparer (paper ones too); the printed 附件 count follows what is attached when anything is. */
    attachments: integer('attachments').notNull().default(0),
    /** Bumped by every edit: an approval names the version it read (If-Match style), so nobody approves what they did not see. */
    version: integer('version').notNull().default(1),
    preparedBy: text('prepared_by').notNull(),
    preparedAt: timestamp('prepared_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    reviewedBy: text('reviewed_by'),
    reviewedAt: timestamp('reviewed_at', { withTimezone: true }),
    /** Why it was rejected or withdrawn. */
    reason: text('reason'),
    /** A reversal drafted for review (红字冲销): the voucher it reverses and why; its lines are that voucher's, mirrored. */
    reversesTransactionId: uuid('reverses_transaction_id').references(() => transactions.id),
    reversalReason: text('reversal_reason'),
    transactionId: uuid('transaction_id')
      .unique()
      .references(() => transactions.id),
  },
  (t) => [
    index('voucher_drafts_status_idx').on(t.status, t.preparedAt),
    check('voucher_drafts_posted_has_transaction', sql`(${t.status} = 'posted') = (${t.transactionId} is not null)`),
  ],
);

const bytea = customType<{ data: Uint8Array; driverData: Uint8Array }>({ dataType: () => 'bytea' });

/**
 * A source document (原始凭证): a PDF, JPEG or PNG attached to a voucher, its draft or the business record
 * behind it. Kept in the database with the books it supports (one backup, one transaction); never deleted —
 * a wrong one is withdrawn with a reason.
 */
export const attachments = pgTable(
  'attachments',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    /** What it is attached to: a transaction (a receipt's too), a voucher draft, a disbursement or a batch of them, a dividend, an insurance claim. */
    subjectKind: text('subject_kind', { enum: ['transaction', 'voucher', 'disbursement', 'batch', 'dividend', 'claim'] }).notNull(),
    subjectId: uuid('subject_id').notNull(),
    fundId: uuid('fund_id')
      .notNull()
      .references(() => funds.id),
    fileName: text('file_name').notNull(),
    /** Decided from the file's first bytes, never from its name or the Content-Type sent. */
    mediaType: text('media_type', { enum: ['application/pdf', 'image/jpeg', 'image/png'] }).notNull(),
    size: integer('size').notNull(),
    sha256: text('sha256').notNull(),
    content: bytea('content').notNull(),
    description: text('description'),
    addedBy: text('added_by').notNull(),
    addedAt: timestamp('added_at', { withTimezone: true }).notNull().defaultNow(),
    withdrawnBy: text('withdrawn_by'),
    withdrawnAt: timestamp('withdrawn_at', { withTimezone: true }),
    withdrawalReason: text('withdrawal_reason'),
  },
  (t) => [index('attachments_subject_idx').on(t.subjectKind, t.subjectId)],
);
