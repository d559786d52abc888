import { sql } from 'drizzle-orm';
import {
  bigint,
  boolean,
  check,
  date,
  index,
  integer,
  jsonb,
  numeric,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

// A single amount is at most 9,999,999,999,999.99; balances and totals sum many of them.
const amount = (name: string) => numeric(name, { precision: 15, scale: 2 });
const total = (name: string) => numeric(name, { precision: 20, scale: 2 });
const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();

export const funds = pgTable('funds', {
  id: uuid('id').primaryKey().defaultRandom(),
  code: text('code').notNull().unique(),
  name: text('name').notNull(),
  organisation: text('organisation').notNull(),
  purpose: text('purpose').notNull(),
  status: text('status', { enum: ['active', 'closed'] }).notNull().default('active'),
  createdAt: createdAt(),
});

export const accounts = pgTable(
  'accounts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    fundId: uuid('fund_id')
      .notNull()
      .references(() => funds.id),
    code: text('code').notNull(),
    name: text('name').notNull(),
    type: text('type', { enum: ['asset', 'liability', 'equity', 'income', 'expense'] }).notNull(),
    noOverdraft: boolean('no_overdraft').notNull(),
    // Kept current in the same database transaction as the lines, positive on the normal side.
    balance: total('balance').notNull().default('0'),
    debitTotal: total('debit_total').notNull().default('0'),
    creditTotal: total('credit_total').notNull().default('0'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('accounts_fund_code_key').on(t.fundId, t.code),
    check('accounts_type_check', sql`${t.type} in ('asset', 'liability', 'equity', 'income', 'expense')`),
    // The last line of defence for the no-overdraft rule: whatever path writes, the database refuses.
    check('accounts_no_overdraft_check', sql`not ${t.noOverdraft} or ${t.balance} >= 0`),
  ],
);

export const transactions = pgTable(
  'transactions',
  {
    id: uuid('id').primaryKey(),
    // Posting order, used for cursors and as the voucher number.
    seq: bigint('seq', { mode: 'number' }).generatedAlwaysAsIdentity().notNull().unique(),
    date: date('date').notNull(),
    description: text('description').notNull(),
    reference: text('reference'),
    // A reversal points at its original; the original finds its reversal through the unique index,
    // so posted rows never need an update and a transaction can be reversed only once.
    reversesTransactionId: uuid('reverses_transaction_id').references((): any => transactions.id),
    reversalReason: text('reversal_reason'),
    createdBy: text('created_by').notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('transactions_reverses_key').on(t.reversesTransactionId), index('transactions_date_idx').on(t.date)],
);

export const transactionLines = pgTable(
  'transaction_lines',
  {
    // Posting order. Lines of one account are inserted while its row is locked, so per account this
    // order is also commit order: the running balance and entry cursors rely on it.
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    transactionId: uuid('transaction_id')
      .notNull()
      .references(() => transactions.id),
    lineNo: integer('line_no').notNull(),
    accountId: uuid('account_id')
      .notNull()
      .references(() => accounts.id),
    fundId: uuid('fund_id')
      .notNull()
      .references(() => funds.id),
    direction: text('direction', { enum: ['debit', 'credit'] }).notNull(),
    amount: amount('amount').notNull(),
    memo: text('memo'),
    date: date('date').notNull(),
    balanceAfter: total('balance_after').notNull(),
  },
  (t) => [
    uniqueIndex('transaction_lines_tx_line_key').on(t.transactionId, t.lineNo),
    index('transaction_lines_account_idx').on(t.accountId, t.id),
    index('transaction_lines_fund_tx_idx').on(t.fundId, t.transactionId),
    check('transaction_lines_amount_check', sql`${t.amount} > 0`),
    check('transaction_lines_direction_check', sql`${t.direction} in ('debit', 'credit')`),
  ],
);

// Per account and accounting date, that day's debit and credit sums. Balance as of a date is the sum
// of these rows up to it: bounded by the number of days, never by the number of lines.
export const accountDailyTotals = pgTable(
  'account_daily_totals',
  {
    accountId: uuid('account_id')
      .notNull()
      .references(() => accounts.id),
    date: date('date').notNull(),
    debitTotal: total('debit_total').notNull(),
    creditTotal: total('credit_total').notNull(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.date] })],
);

export const apiKeys = pgTable('api_keys', {
  id: uuid('id').primaryKey().defaultRandom(),
  name: text('name').notNull(),
  role: text('role', { enum: ['admin', 'officer', 'auditor', 'reader'] }).notNull(),
  tokenHash: text('token_hash').notNull().unique(),
  createdBy: text('created_by'),
  createdAt: createdAt(),
  revokedAt: timestamp('revoked_at', { withTimezone: true }),
});

export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    // Keys are per caller: two systems may pick the same key without colliding.
    owner: text('owner').notNull(),
    key: text('key').notNull(),
    requestHash: text('request_hash').notNull(),
    responseStatus: integer('response_status'),
    responseBody: jsonb('response_body'),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.owner, t.key] })],
);
