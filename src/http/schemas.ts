import { z } from 'zod';
import { type ErrorCode, errorCodes } from '../errors.js';
import { AMOUNT_PATTERN, AMOUNT_RULE } from '../ledger/money.js';
import { httpErrorCodes, problemTitles } from './errors.js';

/** Money at the API: a decimal string, never a JSON number. Zero is refused as a pattern, so the document states it too. */
export const amount = z
  .string({ error: AMOUNT_RULE })
  .regex(AMOUNT_PATTERN, { error: AMOUNT_RULE })
  .regex(/[1-9]/, { error: 'an amount must be greater than zero' })
  .meta({ description: 'Decimal string, > 0, at most 2 decimals', examples: ['1234.56'] });

/** A stored money figure as returned: may be zero or negative (e.g. a contra balance). */
export const money = z.string().meta({ description: 'Decimal string with 2 decimals', examples: ['1234.56'] });

/**
 * isCalendarDate (src/ledger/dates.ts) as a pattern, so that the document says which days exist: each month's
 * length, and 29 February only in leap years. test/openapi.test.ts checks the two agree on every day of 0000–9999.
 */
export const CALENDAR_DATE =
  /^(?:\d{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\d|30)|02-(?:0[1-9]|1\d|2[0-8]))|(?:\d{2}(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)-02-29)$/;

/** Beside each field that holds the id of the API key that acted (requestedBy …): that key's name, as people know it. */
export const keyName = (who: string) =>
  z
    .string()
    .nullable()
    .optional()
    .meta({
      description:
        `The name of the API key that ${who}; null when none did. Absent only from an answer replayed for an ` +
        'Idempotency-Key first used before names were given',
    });

export const calendarDate = z
  .string({ error: 'a date is a string YYYY-MM-DD' })
  .regex(CALENDAR_DATE, { error: 'must be a calendar date written YYYY-MM-DD' })
  .meta({ format: 'date', examples: ['2026-11-30'] });

export const id = z.uuid({ error: 'must be a UUID' });

/** A short human text: trimmed of nothing, but not blank and without control characters. Patterns, so the document states them. */
export const text = (max: number) =>
  z
    .string()
    .max(max, { error: `at most ${max} characters` })
    .regex(/\S/, { error: 'must not be blank' })
    .regex(/^[^\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]*$/, { error: 'must not contain control characters' });

export const code = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, { error: 'a code is 1–64 letters, digits, ".", "_" or "-", starting with a letter or digit' });

export const IDEMPOTENCY_KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

/** The header of every write that src/http/idempotency.ts makes retry-safe. */
export const idempotencyHeaders = z.object({
  'idempotency-key': z
    .string()
    .regex(IDEMPOTENCY_KEY_PATTERN, { error: 'Idempotency-Key: 1–255 visible ASCII characters' })
    .optional()
    .meta({
      description:
        'Retry-safe key, 1–255 visible ASCII characters, kept per API key: the same key and body return the original answer ' +
        '(Idempotent-Replayed: true) and write nothing; the same key with another request is 409 idempotency_conflict',
    }),
});

/* ---------------------------------------------------------------------------------------------------------------
 * Problem answers. Each code has one schema: RFC 9457's members, `code` and `status` as constants, and the extension
 * members that code carries (src/errors.ts callers' details). Extension members not listed are allowed, as RFC 9457
 * lets a client ignore what it does not know; the listed ones are typed.
 * ------------------------------------------------------------------------------------------------------------- */

export type ProblemCode = ErrorCode | keyof typeof httpErrorCodes;

export const problemStatus: Record<ProblemCode, number> = { ...errorCodes, ...httpErrorCodes };

const moneyFigure = z.string().meta({ description: 'Decimal string with 2 decimals' });
const field = z.string().optional().meta({ description: 'The request field concerned' });

const validationIssue = z
  .object({
    in: z.string().meta({ description: 'body, querystring, params or headers' }),
    path: z.string().meta({ description: 'JSON pointer into that part; "/" for the whole' }),
    message: z.string(),
  })
  .meta({ description: 'One rule a request part broke' });

const itemIssue = z
  .object({
    index: z.number().int().meta({ description: 'Position of the item in the request' }),
    householdId: z.string(),
    disbursementId: z.string().optional(),
    code: z.string().meta({ description: 'The code the item alone would have been refused with' }),
    message: z.string(),
  })
  .meta({ description: 'One item of a batch that cannot be done' });

/** The extension members of each code; absent from this map, a code carries only the RFC 9457 members. */
const extensions: Partial<Record<ProblemCode, z.ZodRawShape>> = {
  validation_failed: {
    errors: z.array(z.union([validationIssue, itemIssue])).optional().meta({ description: 'Every rule broken (request validation), or every batch item refused' }),
    field,
    firstEffectiveFrom: z.string().nullable().optional(),
    coverFrom: z.string().optional(),
    coverTo: z.string().optional(),
    amountClaimed: moneyFigure.optional(),
  },
  forbidden: {
    role: z.string().optional().meta({ description: "The key's role" }),
    required: z.string().optional().meta({ description: 'The permission the operation needs' }),
    field,
  },
  already_exists: { field },
  already_reversed: { reversedByTransactionId: z.string().optional() },
  unknown_account: { accountIds: z.array(z.string()) },
  unbalanced_transaction: {
    funds: z.array(z.object({ fundId: z.string(), debit: moneyFigure, credit: moneyFigure })).meta({ description: 'Each fund whose debits and credits differ, with both totals' }),
  },
  insufficient_funds: {
    accounts: z
      .array(z.object({ accountId: z.string(), balance: moneyFigure, shortfall: moneyFigure, name: z.string().optional() }))
      .optional()
      .meta({ description: 'Each no-overdraft account that would go below zero: its balance and how much is missing' }),
    villageId: z.string().optional(),
    available: moneyFigure.optional(),
    shortfall: moneyFigure.optional(),
    policyId: z.string().optional(),
    poolBalance: moneyFigure.optional(),
  },
  date_in_future: { date: z.string(), today: z.string() },
  unknown_village: { villageIds: z.array(z.string()).optional(), villageId: z.string().optional(), field },
  unknown_household: { householdIds: z.array(z.string()).optional(), householdId: z.string().optional() },
  not_monitored: { householdId: z.string(), date: z.string(), benefitDate: z.string().optional() },
  already_monitored: { since: z.string() },
  category_not_allowed: { category: z.string(), allowedCategories: z.array(z.string()) },
  over_cap: {
    householdId: z.string(),
    category: z.string(),
    year: z.number().int(),
    cap: moneyFigure,
    used: moneyFigure,
    remaining: moneyFigure,
    amount: moneyFigure,
  },
  village_mismatch: { householdId: z.string(), householdVillageId: z.string(), villageId: z.string() },
  invalid_rule: {
    projectVillageShare: z.string().optional(),
    radiatingShare: z.string().optional(),
    villageId: z.string().optional(),
    effectiveFrom: z.string().optional(),
    latestEffectiveFrom: z.string().optional(),
    latestVersion: z.number().int().optional(),
    lastDividendDate: z.string().optional(),
  },
  chart_account_missing: { role: z.string() },
  not_approved: { claimStatus: z.string().optional() },
  already_paid: { paymentTransactionId: z.string().nullable().optional(), claimStatus: z.string().optional() },
  invalid_state: {
    currentStatus: z.string().optional(),
    claimStatus: z.string().optional(),
    batchId: z.string().optional(),
    period: z.string().optional(),
    openPeriod: z.string().optional(),
    latestClosed: z.string().optional(),
    premium: moneyFigure.optional(),
    premiumPaid: moneyFigure.optional(),
    amount: moneyFigure.optional(),
  },
  import_failed: {
    errors: z
      .array(z.object({ line: z.number().int(), column: z.string().nullable(), code: z.string(), message: z.string() }))
      .meta({ description: 'Each problem by line and column (the first 1,000)' }),
    errorCount: z.number().int(),
  },
  reserved_for_operations: {
    accounts: z.array(z.object({ accountId: z.string(), role: z.string() })).optional(),
    ownerKind: z.string().optional(),
    ownerId: z.string().optional(),
  },
  rate_limited: { retryAfter: z.number().int().meta({ description: 'Seconds to wait before retrying, as in the Retry-After header' }) },
  period_closed: {
    date: z.string(),
    funds: z.array(z.object({ fundId: z.string(), closedThrough: z.string(), openFrom: z.string() })),
  },
  period_not_ended: { period: z.string(), today: z.string() },
  not_reconciled: { period: z.string(), reasons: z.array(z.string()) },
  bank_account_missing: { fundId: z.string() },
  approver_is_preparer: { preparedBy: z.string() },
  review_required: {
    fundIds: z.array(z.string()),
    draftAt: z.enum(['/v1/vouchers', '/v1/vouchers/reversals']).meta({ description: 'Where to draft the voucher (or the reversal) instead, for another key to review and post' }),
  },
  voucher_changed: { version: z.number().int().meta({ description: 'The draft’s version now' }) },
  attachment_type_not_allowed: { allowed: z.array(z.string()) },
  attachment_too_large: { limit: z.number().int().meta({ description: 'The largest file accepted, in bytes (LEDGER_ATTACHMENT_MAX_BYTES)' }) },
};

const pascal = (code: string) => code.replace(/(^|_)([a-z])/g, (_, __, c: string) => c.toUpperCase());

const problemSchemas = new Map<ProblemCode, z.ZodType>();
function problemSchema(code: ProblemCode): z.ZodType {
  let schema = problemSchemas.get(code);
  if (!schema) {
    schema = z
      .looseObject({
        type: z.literal(`urn:fund-ledger:problem:${code}`),
        title: z.string(),
        status: z.literal(problemStatus[code]),
        detail: z.string(),
        code: z.literal(code),
        instance: z.string().optional(),
        ...extensions[code],
      })
      .meta({ id: `${pascal(code)}Problem`, description: `${code}: ${problemTitles[code]}` });
    problemSchemas.set(code, schema);
  }
  return schema;
}

const statusDescriptions: Record<number, string> = {
  400: 'The request is not valid: a field, query, header, cursor or body is malformed',
  401: 'No API key, or an unknown, expired or revoked one',
  403: 'This key may not do this',
  404: "Not found, or outside the key's scope (the answer is the same)",
  409: 'Conflicts with the current state; the codes say how',
  413: 'The body is too large',
  415: 'The body is not of a media type this operation reads',
  422: 'Refused by a business rule; nothing was written',
  429: 'Too many requests; retry after Retry-After seconds',
  500: 'An unexpected fault, logged on the server',
  503: 'The database is unavailable or timed out; nothing was written, retry shortly',
};

/** What posting a voucher can refuse (src/ledger/posting.ts, src/ledger/commit.ts), whatever the operation posting it. */
export const postingCodes: ProblemCode[] = ['fund_closed', 'period_closed', 'insufficient_funds'];

/** Marks a response entry built by problems(), with the codes it stands for (the document's transform reads them). */
export const PROBLEM_CODES = Symbol('problem codes');

export interface ProblemResponse {
  description: string;
  content: { 'application/problem+json': { schema: z.ZodType } };
  headers?: Record<string, Record<string, unknown> & { description: string }>;
  [PROBLEM_CODES]: ProblemCode[];
}

/**
 * The problem answers for the codes an operation can send: one response per status, its body a union on `code`.
 * Routes list the codes of their own rules; those every /v1 operation can send (authentication, rate limit,
 * database, body and idempotency refusals) are added for each operation by src/http/operations.ts.
 */
export function problems(...codes: ProblemCode[]): Record<number, ProblemResponse> {
  const byStatus = new Map<number, ProblemCode[]>();
  for (const code of new Set(codes)) byStatus.set(problemStatus[code], [...(byStatus.get(problemStatus[code]) ?? []), code]);
  const entries = [...byStatus].sort(([a], [b]) => a - b).map(([status, group]) => {
    const sorted = [...group].sort();
    const schemas = sorted.map(problemSchema);
    const schema = schemas.length === 1 ? schemas[0]! : z.discriminatedUnion('code', schemas as [z.ZodObject, z.ZodObject, ...z.ZodObject[]]);
    const entry: ProblemResponse = {
      description: `${statusDescriptions[status] ?? 'Refused'} (${sorted.join(', ')})`,
      content: { 'application/problem+json': { schema } },
      [PROBLEM_CODES]: sorted,
    };
    if (status === 429) {
      entry.headers = { 'Retry-After': { description: 'Seconds until the limit resets', type: 'integer', minimum: 0 } };
    }
    return [status, entry] as const;
  });
  return Object.fromEntries(entries);
}
