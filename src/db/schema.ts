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
const NO_ID = sql.raw(`'00000000-0000-0000-0000-000000000000'`);
const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();

export const funds = pgTable('funds', {
  id: uuid('id').primaryKey().defaultRandom(),
  code: text('code').notNull().unique(),
  name: text('name').notNull(),
  organisation: text('organisation').notNull(),
  purpose: text('purpose').notNull(),
  status: text('status', { enum: ['active', 'closed'] }).notNull().default('active'),
  /** The chart the fund was opened with, if any ("prevention"). */
  template: text('template'),
  /** Disbursement categories the fund may pay (专款专用). */
  allowedCategories: jsonb('allowed_categories').$type<string[]>().notNull().default([]),
  /** Per household, per calendar year and category: the most it may receive, as decimal strings. */
  yearlyCaps: jsonb('yearly_caps').$type<Record<string, string>>().notNull().default({}),
  /** The township that keeps the fund (村账乡管); none for a county fund. Decides which scoped keys see it. */
  township: text('township'),
  /** The fund's own bank account (专户): a bank statement imported for the fund must be of this account. */
  bankAccountNumber: text('bank_account_number'),
  bankName: text('bank_name'),
  /** Hand-posted vouchers are drafted and reviewed by another key (POST /v1/vouchers), never posted directly. */
  manualVouchersNeedReview: boolean('manual_vouchers_need_review').notNull().default(false),
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
    /** What the account is for in a standard chart, so operations find it without the caller naming it. */
    role: text('role'),
    /** For a village's earmarked allocation: the village. */
    villageId: uuid('village_id').references((): any => villages.id),
    /** For an insurance policy's premium pool: the policy. */
    policyId: uuid('policy_id').references((): any => insurancePolicies.id),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('accounts_fund_code_key').on(t.fundId, t.code),
    // One account per role in a fund, or per role and village / policy for sub-accounts.
    uniqueIndex('accounts_fund_role_key')
      .on(t.fundId, t.role, sql`coalesce(${t.villageId}, ${NO_ID}::uuid)`, sql`coalesce(${t.policyId}, ${NO_ID}::uuid)`)
      .where(sql`${t.role} is not null`),
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
    // References, checked once per statement for all its lines by the trigger transaction_lines_references
    // (drizzle/0012): the voucher exists, the account exists and is of the line's fund. A foreign key
    // checks each line on its own, which was half the time of a posting group's write.
    transactionId: uuid('transaction_id').notNull(),
    lineNo: integer('line_no').notNull(),
    accountId: uuid('account_id').notNull(),
    fundId: uuid('fund_id').notNull(),
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
  role: text('role', { enum: ['admin', 'officer', 'approver', 'auditor', 'reader'] }).notNull(),
  tokenHash: text('token_hash').notNull().unique(),
  /** What an officer, approver or reader key may reach; null for admin and auditor keys, which reach everything. */
  scopes: jsonb('scopes').$type<{ townships: string[]; funds: string[]; all: boolean }>(),
  createdBy: text('created_by'),
  createdAt: createdAt(),
  revokedAt: timestamp('revoked_at', { withTimezone: true }),
  /** After this moment the key is refused, like a revoked one. */
  expiresAt: timestamp('expires_at', { withTimezone: true }),
  /** Updated at most once a minute, so that reading it costs a request nothing. */
  lastUsedAt: timestamp('last_used_at', { withTimezone: true }),
}, (t) => [check('api_keys_scopes_check', sql`(${t.scopes} is null) = (${t.role} in ('admin', 'auditor'))`)]);

/** Environment admin tokens (LEDGER_ADMIN_TOKEN) an admin has switched off, by hash: refused even while still set. */
export const disabledEnvTokens = pgTable('disabled_env_tokens', {
  tokenHash: text('token_hash').primaryKey(),
  disabledBy: text('disabled_by').notNull(),
  disabledAt: timestamp('disabled_at', { withTimezone: true }).notNull().defaultNow(),
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

export const villages = pgTable('villages', {
  id: uuid('id').primaryKey().defaultRandom(),
  code: text('code').notNull().unique(),
  name: text('name').notNull(),
  township: text('township').notNull(),
  county: text('county').notNull(),
  createdAt: createdAt(),
});

export const households = pgTable(
  'households',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    code: text('code').notNull().unique(),
    headName: text('head_name').notNull(),
    // The ID number itself is never stored: a keyed hash finds a household by it, a masked copy shows it.
    idNumberHash: text('id_number_hash').notNull().unique(),
    idNumberMasked: text('id_number_masked').notNull(),
    villageId: uuid('village_id')
      .notNull()
      .references(() => villages.id),
    memberCount: integer('member_count').notNull(),
    createdAt: createdAt(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('households_village_idx').on(t.villageId), check('households_member_count_check', sql`${t.memberCount} > 0`)],
);

export const householdMonitoring = pgTable(
  'household_monitoring',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    householdId: uuid('household_id')
      .notNull()
      .references(() => households.id),
    category: text('category', { enum: ['unstable', 'marginal', 'sudden_hardship'] }).notNull(),
    riskCauses: jsonb('risk_causes').$type<string[]>().notNull(),
    since: date('since').notNull(),
    /** First day the household is no longer monitored (风险消除); null while monitored. */
    eliminatedOn: date('eliminated_on'),
    eliminationReason: text('elimination_reason'),
    createdBy: text('created_by').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    index('household_monitoring_household_idx').on(t.householdId, t.since),
    // At most one open period per household.
    uniqueIndex('household_monitoring_open_key')
      .on(t.householdId)
      .where(sql`${t.eliminatedOn} is null`),
    check('household_monitoring_period_check', sql`${t.eliminatedOn} is null or ${t.eliminatedOn} >= ${t.since}`),
  ],
);

export const industries = pgTable('industries', {
  id: uuid('id').primaryKey().defaultRandom(),
  fundId: uuid('fund_id')
    .notNull()
    .references(() => funds.id),
  name: text('name').notNull(),
  projectVillageId: uuid('project_village_id')
    .notNull()
    .references(() => villages.id),
  createdBy: text('created_by').notNull(),
  createdAt: createdAt(),
});

/** A version of an industry's income distribution rule; the one in force on a date has the latest effectiveFrom not after it. */
export const distributionRules = pgTable(
  'distribution_rules',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    industryId: uuid('industry_id')
      .notNull()
      .references(() => industries.id),
    version: integer('version').notNull(),
    effectiveFrom: date('effective_from').notNull(),
    projectVillageShare: numeric('project_village_share', { precision: 9, scale: 8 }).notNull(),
    radiatingShare: numeric('radiating_share', { precision: 9, scale: 8 }).notNull(),
    createdBy: text('created_by').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('distribution_rules_version_key').on(t.industryId, t.version),
    uniqueIndex('distribution_rules_effective_key').on(t.industryId, t.effectiveFrom),
    check('distribution_rules_shares_check', sql`${t.projectVillageShare} + ${t.radiatingShare} = 1`),
  ],
);

export const distributionRuleVillages = pgTable(
  'distribution_rule_villages',
  {
    ruleId: uuid('rule_id')
      .notNull()
      .references(() => distributionRules.id),
    villageId: uuid('village_id')
      .notNull()
      .references(() => villages.id),
    weight: numeric('weight', { precision: 12, scale: 4 }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.ruleId, t.villageId] }), check('distribution_rule_villages_weight_check', sql`${t.weight} > 0`)],
);

export const dividends = pgTable(
  'dividends',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    industryId: uuid('industry_id')
      .notNull()
      .references(() => industries.id),
    fundId: uuid('fund_id')
      .notNull()
      .references(() => funds.id),
    ruleId: uuid('rule_id')
      .notNull()
      .references(() => distributionRules.id),
    date: date('date').notNull(),
    amount: amount('amount').notNull(),
    reference: text('reference'),
    transactionId: uuid('transaction_id')
      .notNull()
      .references(() => transactions.id),
    createdBy: text('created_by').notNull(),
    createdAt: createdAt(),
    /** Voided (作废): the linked reversal of its voucher, its allocations with it; who, when and why. */
    voidTransactionId: uuid('void_transaction_id').references(() => transactions.id),
    voidedBy: text('voided_by'),
    voidedAt: timestamp('voided_at', { withTimezone: true }),
    voidReason: text('void_reason'),
  },
  (t) => [index('dividends_industry_idx').on(t.industryId, t.date)],
);

export const dividendAllocations = pgTable(
  'dividend_allocations',
  {
    dividendId: uuid('dividend_id')
      .notNull()
      .references(() => dividends.id),
    villageId: uuid('village_id')
      .notNull()
      .references(() => villages.id),
    amount: amount('amount').notNull(),
  },
  (t) => [primaryKey({ columns: [t.dividendId, t.villageId] }), index('dividend_allocations_village_idx').on(t.villageId)],
);

/** Money received that is not a dividend: bank donations, fiscal transfers. */
export const incomeReceipts = pgTable(
  'income_receipts',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    fundId: uuid('fund_id')
      .notNull()
      .references(() => funds.id),
    source: text('source', { enum: ['donation', 'fiscal_transfer'] }).notNull(),
    payer: text('payer').notNull(),
    date: date('date').notNull(),
    amount: amount('amount').notNull(),
    reference: text('reference'),
    transactionId: uuid('transaction_id')
      .notNull()
      .references(() => transactions.id),
    createdBy: text('created_by').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('income_receipts_fund_idx').on(t.fundId, t.date)],
);

export const disbursementBatches = pgTable('disbursement_batches', {
  id: uuid('id').primaryKey().defaultRandom(),
  fundId: uuid('fund_id')
    .notNull()
    .references(() => funds.id),
  category: text('category').notNull(),
  date: date('date').notNull(),
  villageId: uuid('village_id').references(() => villages.id),
  description: text('description').notNull(),
  status: text('status', { enum: ['requested', 'approved', 'paid', 'failed'] }).notNull(),
  requestedBy: text('requested_by').notNull(),
  approvedBy: text('approved_by'),
  approvedAt: timestamp('approved_at', { withTimezone: true }),
  paidBy: text('paid_by'),
  paidAt: timestamp('paid_at', { withTimezone: true }),
  bankReference: text('bank_reference'),
  approvalTransactionId: uuid('approval_transaction_id').references(() => transactions.id),
  paymentTransactionId: uuid('payment_transaction_id').references(() => transactions.id),
  createdAt: createdAt(),
});

export const disbursements = pgTable(
  'disbursements',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    fundId: uuid('fund_id')
      .notNull()
      .references(() => funds.id),
    householdId: uuid('household_id')
      .notNull()
      .references(() => households.id),
    /** Paid from this village's allocation, when set. */
    villageId: uuid('village_id').references(() => villages.id),
    category: text('category').notNull(),
    amount: amount('amount').notNull(),
    date: date('date').notNull(),
    status: text('status', { enum: ['requested', 'approved', 'paid', 'failed'] }).notNull(),
    batchId: uuid('batch_id').references(() => disbursementBatches.id),
    requestedBy: text('requested_by').notNull(),
    approvedBy: text('approved_by'),
    approvedAt: timestamp('approved_at', { withTimezone: true }),
    paidBy: text('paid_by'),
    paidAt: timestamp('paid_at', { withTimezone: true }),
    bankReference: text('bank_reference'),
    failedBy: text('failed_by'),
    failedAt: timestamp('failed_at', { withTimezone: true }),
    failureReason: text('failure_reason'),
    approvalTransactionId: uuid('approval_transaction_id').references(() => transactions.id),
    paymentTransactionId: uuid('payment_transaction_id').references(() => transactions.id),
    /** The release of the reservation, or the return of a paid amount, when it failed. */
    failureTransactionId: uuid('failure_transaction_id').references(() => transactions.id),
    createdAt: createdAt(),
  },
  (t) => [
    index('disbursements_household_idx').on(t.householdId, t.category, t.date),
    index('disbursements_fund_status_idx').on(t.fundId, t.status),
    index('disbursements_batch_idx').on(t.batchId),
  ],
);

export const insurancePolicies = pgTable(
  'insurance_policies',
  {
  id: uuid('id').primaryKey().defaultRandom(),
  fundId: uuid('fund_id')
    .notNull()
    .references(() => funds.id),
  insurer: text('insurer').notNull(),
  policyNumber: text('policy_number'),
  premium: amount('premium').notNull(),
  coverFrom: date('cover_from').notNull(),
  coverTo: date('cover_to').notNull(),
  coveredPopulation: text('covered_population').notNull(),
  coveredCount: integer('covered_count'),
  createdBy: text('created_by').notNull(),
  createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('insurance_policies_number_key')
      .on(t.fundId, t.policyNumber)
      .where(sql`${t.policyNumber} is not null`),
  ],
);

/** Money moving in or out of a policy's premium pool: premiums, surplus refunds, balances carried forward. */
export const insuranceMovements = pgTable(
  'insurance_movements',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    policyId: uuid('policy_id')
      .notNull()
      .references(() => insurancePolicies.id),
    kind: text('kind', { enum: ['premium', 'refund', 'carried_forward_out', 'carried_forward_in'] }).notNull(),
    date: date('date').notNull(),
    amount: amount('amount').notNull(),
    reference: text('reference'),
    counterpartPolicyId: uuid('counterpart_policy_id').references(() => insurancePolicies.id),
    transactionId: uuid('transaction_id')
      .notNull()
      .references(() => transactions.id),
    createdBy: text('created_by').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('insurance_movements_policy_idx').on(t.policyId)],
);

export const insuranceClaims = pgTable(
  'insurance_claims',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    policyId: uuid('policy_id')
      .notNull()
      .references(() => insurancePolicies.id),
    householdId: uuid('household_id')
      .notNull()
      .references(() => households.id),
    cause: text('cause', { enum: ['illness', 'accident', 'disaster', 'schooling'] }).notNull(),
    date: date('date').notNull(),
    amountClaimed: amount('amount_claimed').notNull(),
    amountApproved: amount('amount_approved'),
    status: text('status', { enum: ['filed', 'approved', 'paid', 'rejected'] }).notNull(),
    filedBy: text('filed_by').notNull(),
    approvedBy: text('approved_by'),
    approvedAt: timestamp('approved_at', { withTimezone: true }),
    paidAt: timestamp('paid_at', { withTimezone: true }),
    payoutReference: text('payout_reference'),
    rejectedReason: text('rejected_reason'),
    transactionId: uuid('transaction_id').references(() => transactions.id),
    createdAt: createdAt(),
  },
  (t) => [index('insurance_claims_policy_idx').on(t.policyId, t.status), index('insurance_claims_household_idx').on(t.householdId)],
);

/**
 * The outbox other systems follow. Each row carries the id of the database transaction that wrote it;
 * readers only see rows of transactions older than every transaction still running, so a row can
 * never appear behind a reader's cursor.
 */
export const events = pgTable(
  'events',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    xid: bigint('xid', { mode: 'number' })
      .notNull()
      .default(sql`(pg_current_xact_id()::text)::bigint`),
    type: text('type').notNull(),
    fundId: uuid('fund_id'),
    subjectId: text('subject_id').notNull(),
    payload: jsonb('payload').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('events_order_idx').on(t.xid, t.id)],
);

/**
 * Who wrote what, when and with what outcome: one row per write request under /v1, succeeded or
 * refused. A success's row is inserted in the same database transaction as the change, so the two
 * commit or vanish together; a refusal's row is written after the rollback. Append-only: triggers
 * refuse UPDATE, DELETE and TRUNCATE. Never holds a body, a token or a query string: only ids.
 */
export const auditLog = pgTable(
  'audit_log',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    at: timestamp('at', { withTimezone: true }).notNull().defaultNow(),
    /** The API key's id, "env-admin", or null when the request was not authenticated. */
    actorId: text('actor_id'),
    actorRole: text('actor_role'),
    requestId: text('request_id').notNull(),
    clientAddress: text('client_address'),
    method: text('method').notNull(),
    /** The route pattern (/v1/disbursements/:disbursementId/approve); null when no route matched. */
    route: text('route'),
    path: text('path').notNull(),
    /** Route parameters and the ids in the answer, by name: {"disbursementId": "…", "id": "…"}. */
    targetIds: jsonb('target_ids').$type<Record<string, string>>().notNull().default({}),
    status: integer('status').notNull(),
    outcome: text('outcome', { enum: ['succeeded', 'refused'] }).notNull(),
    errorCode: text('error_code'),
    /** An idempotent replay: the stored answer was sent again and nothing new was written. */
    replayed: boolean('replayed').notNull().default(false),
  },
  (t) => [
    check('audit_log_outcome_check', sql`${t.outcome} in ('succeeded', 'refused')`),
    index('audit_log_actor_idx').on(t.actorId, t.id),
    index('audit_log_at_idx').on(t.at),
    // Finds every write naming an id, whatever the name it had: the array of the values, searched with @>.
    index('audit_log_target_values_idx').using('gin', sql`jsonb_path_query_array(${t.targetIds}, '$.*') jsonb_path_ops`),
  ],
);

/**
 * The head of a fund's hash chain: how many links it has and the hash of the last. Locked FOR UPDATE by
 * every posting into the fund (after its account locks) and by period closes, so a fund's postings take
 * their chain positions one at a time while postings of other funds go on in parallel. Created on a
 * fund's first posting (see src/ledger/chain.ts).
 */
export const fundChains = pgTable('fund_chains', {
  fundId: uuid('fund_id')
    .primaryKey()
    .references(() => funds.id),
  length: bigint('length', { mode: 'number' }).notNull(),
  headHash: text('head_hash').notNull(),
  /** The last voucher number given in each month ("2026-11": 7): read under the head's lock, so numbers never repeat or skip. */
  monthNumbers: jsonb('month_numbers').$type<Record<string, number>>().notNull().default({}),
});

/**
 * One link per transaction and fund it touches, in posting order: the SHA-256 of the transaction's
 * canonical content and of the previous link's hash. Append-only (triggers), like the journal.
 */
export const transactionChain = pgTable(
  'transaction_chain',
  {
    // References checked once per statement by the trigger transaction_chain_references (drizzle/0012).
    fundId: uuid('fund_id').notNull(),
    position: bigint('position', { mode: 'number' }).notNull(),
    transactionId: uuid('transaction_id').notNull(),
    previousHash: text('previous_hash').notNull(),
    hash: text('hash').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.fundId, t.position] }),
    uniqueIndex('transaction_chain_transaction_key').on(t.transactionId, t.fundId),
    check('transaction_chain_position_check', sql`${t.position} > 0`),
  ],
);

/**
 * A fund's closed months (会计期间). A row exists once a month has been closed; reopening keeps the row
 * with who reopened it and why. A month without a row is open.
 */
export const accountingPeriods = pgTable(
  'accounting_periods',
  {
    fundId: uuid('fund_id')
      .notNull()
      .references(() => funds.id),
    /** The month, YYYY-MM. */
    period: text('period').notNull(),
    status: text('status', { enum: ['closed', 'open'] }).notNull(),
    closedAt: timestamp('closed_at', { withTimezone: true }).notNull(),
    closedBy: text('closed_by').notNull(),
    reopenedAt: timestamp('reopened_at', { withTimezone: true }),
    reopenedBy: text('reopened_by'),
    reopenReason: text('reopen_reason'),
    /** Why the month was closed though its bank reconciliation did not agree (or had no statement). */
    closeReason: text('close_reason'),
  },
  (t) => [
    primaryKey({ columns: [t.fundId, t.period] }),
    check('accounting_periods_period_check', sql`${t.period} ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'`),
    check('accounting_periods_status_check', sql`${t.status} in ('closed', 'open')`),
  ],
);

/**
 * Every account's totals at the end of a closed month (the close's snapshot): cumulative debit and credit
 * totals and the balance. Balance-as-of reads start from the latest snapshot and add only the days after
 * it. Derived data: deleted when the month is reopened, written again when it closes again.
 */
export const periodBalances = pgTable(
  'period_balances',
  {
    accountId: uuid('account_id')
      .notNull()
      .references(() => accounts.id),
    period: text('period').notNull(),
    fundId: uuid('fund_id')
      .notNull()
      .references(() => funds.id),
    debitTotal: total('debit_total').notNull(),
    creditTotal: total('credit_total').notNull(),
    balance: total('balance').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.accountId, t.period] }),
    index('period_balances_fund_period_idx').on(t.fundId, t.period),
  ],
);

export * from './bank-schema.js';
export * from './voucher-schema.js';
