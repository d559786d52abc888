import { sql } from 'drizzle-orm';
import { boolean, check, date, index, integer, numeric, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { funds, transactions } from './schema.js';

// Bank reconciliation (银行对账): the bank's own statements of a fund's account, their lines, and the
// matches between those lines and the ledger's movements of money in the bank. None of it is the books:
// a match never changes the ledger.

const money = (name: string) => numeric(name, { precision: 15, scale: 2 });
const balance = (name: string) => numeric(name, { precision: 20, scale: 2 });

/** One imported statement file: the account, period and balances it declares, and what it added. */
export const bankStatements = pgTable('bank_statements', {
  id: uuid('id').primaryKey().defaultRandom(),
  fundId: uuid('fund_id')
    .notNull()
    .references(() => funds.id),
  accountNumber: text('account_number').notNull(),
  periodFrom: date('period_from').notNull(),
  periodTo: date('period_to').notNull(),
  openingBalance: balance('opening_balance').notNull(),
  closingBalance: balance('closing_balance').notNull(),
  lineCount: integer('line_count').notNull(),
  newLines: integer('new_lines').notNull(),
  /** SHA-256 of the file as sent (of the canonical JSON for a JSON statement). */
  sha256: text('sha256').notNull(),
  importedBy: text('imported_by').notNull(),
  importedAt: timestamp('imported_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * A line of the bank's statement, once per fund however many statements bring it: `identity` is its bank
 * reference, or without one its date, direction, amount and balance after. `position` orders the lines
 * of a day as the bank listed them (the statement's import order, then its line order).
 */
export const bankStatementLines = pgTable(
  'bank_statement_lines',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    fundId: uuid('fund_id')
      .notNull()
      .references(() => funds.id),
    statementId: uuid('statement_id')
      .notNull()
      .references(() => bankStatements.id),
    lineNo: integer('line_no').notNull(),
    position: integer('position').generatedAlwaysAsIdentity().notNull(),
    identity: text('identity').notNull(),
    date: date('date').notNull(),
    direction: text('direction', { enum: ['in', 'out'] }).notNull(),
    amount: money('amount').notNull(),
    balanceAfter: balance('balance_after').notNull(),
    counterpartyName: text('counterparty_name'),
    counterpartyAccount: text('counterparty_account'),
    bankReference: text('bank_reference'),
    memo: text('memo'),
  },
  (t) => [
    uniqueIndex('bank_statement_lines_identity_key').on(t.fundId, t.identity),
    index('bank_statement_lines_fund_date_idx').on(t.fundId, t.date),
    check('bank_statement_lines_amount_check', sql`${t.amount} > 0`),
    check('bank_statement_lines_direction_check', sql`${t.direction} in ('in', 'out')`),
  ],
);

/** A match of bank lines to ledger movements whose sums are equal; undone, it stays with who and when. */
export const bankMatches = pgTable('bank_matches', {
  id: uuid('id').primaryKey().defaultRandom(),
  fundId: uuid('fund_id')
    .notNull()
    .references(() => funds.id),
  /** reference: the bank reference equals the voucher's; amount: the one candidate within the window; manual: by hand. */
  method: text('method', { enum: ['reference', 'amount', 'manual'] }).notNull(),
  createdBy: text('created_by').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  undoneBy: text('undone_by'),
  undoneAt: timestamp('undone_at', { withTimezone: true }),
});

/** The bank lines of a match; a line is in at most one match that stands. */
export const bankMatchLines = pgTable(
  'bank_match_lines',
  {
    matchId: uuid('match_id')
      .notNull()
      .references(() => bankMatches.id),
    lineId: uuid('line_id')
      .notNull()
      .references(() => bankStatementLines.id),
    active: boolean('active').notNull().default(true),
  },
  (t) => [uniqueIndex('bank_match_lines_active_key').on(t.lineId).where(sql`${t.active}`), index('bank_match_lines_match_idx').on(t.matchId)],
);

/** The ledger side of a match: vouchers, each by its net movement of the fund's bank money. */
export const bankMatchEntries = pgTable(
  'bank_match_entries',
  {
    matchId: uuid('match_id')
      .notNull()
      .references(() => bankMatches.id),
    transactionId: uuid('transaction_id')
      .notNull()
      .references(() => transactions.id),
    active: boolean('active').notNull().default(true),
  },
  (t) => [
    uniqueIndex('bank_match_entries_active_key').on(t.transactionId).where(sql`${t.active}`),
    index('bank_match_entries_match_idx').on(t.matchId),
  ],
);

/**
 * The months whose reconciliation agreed when last checked (after an import or a match): the change feed
 * says when a month reconciles, and when a later change undoes that.
 */
export const bankReconciledMonths = pgTable(
  'bank_reconciled_months',
  {
    fundId: uuid('fund_id')
      .notNull()
      .references(() => funds.id),
    period: text('period').notNull(),
    reconciledAt: timestamp('reconciled_at', { withTimezone: true }).notNull().defaultNow(),
    reconciledBy: text('reconciled_by').notNull(),
  },
  (t) => [primaryKey({ columns: [t.fundId, t.period] })],
);
