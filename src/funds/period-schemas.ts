import { z } from 'zod';
import { cursor, limit } from '../http/pagination.js';
import { id, keyName, money, text } from '../http/schemas.js';
import { accountTypes } from '../ledger/accounts.js';
import { PERIOD_PATTERN } from '../ledger/dates.js';
import { checkNames, findingProblems } from '../ledger/verify.js';

export const period = z
  .string()
  .regex(PERIOD_PATTERN, { error: 'a period is a month written YYYY-MM' })
  .meta({ description: 'Accounting period: a calendar month', examples: ['2026-10'] });

export const periodParams = z.object({ fundId: id, period });

export const listPeriodsQuery = z.strictObject({ limit, cursor });

export const reopenBody = z.strictObject({
  reason: text(500).meta({ description: 'Why the closed month must take postings again; kept on the period and in the event feed' }),
});

export const periodView = z
  .object({
    fundId: z.string(),
    period: z.string(),
    status: z.enum(['closed', 'open']),
    hasPostings: z.boolean().meta({ description: 'Some line of the fund is dated in this month' }),
    closedAt: z.string().nullable().meta({ description: 'When it was last closed' }),
    closedBy: z.string().nullable(),
    closedByName: keyName('closed it last'),
    reopenedAt: z.string().nullable().meta({ description: 'When it was last reopened' }),
    reopenedBy: z.string().nullable(),
    reopenedByName: keyName('reopened it last'),
    reopenReason: z.string().nullable(),
    closeReason: z
      .string()
      .nullable()
      .meta({ description: "Why it was closed though its bank reconciliation did not agree or had no statement (the closer's reason)" }),
  })
  .meta({ id: 'AccountingPeriod' });

export const closeBody = z
  .strictObject({
    reason: text(500)
      .optional()
      .meta({ description: 'Required when the month’s bank reconciliation does not agree or has no statement: why it is closed anyway' }),
  })
  // Sent without a body as before: a reconciled month needs none.
  .nullish();

export const periodWithBalances = periodView
  .extend({
    balances: z
      .array(
        z.object({
          accountId: z.string(),
          code: z.string(),
          name: z.string(),
          type: z.enum(accountTypes),
          debitTotal: money.meta({ description: 'All debits up to the end of the month' }),
          creditTotal: money.meta({ description: 'All credits up to the end of the month' }),
          balance: money.meta({ description: 'Closing balance, positive on the normal side' }),
          balanceSide: z.enum(['debit', 'credit']),
        }),
      )
      .meta({ description: "The close's snapshot: every account at the end of the month; empty while the month is open" }),
    totals: z.object({ debitTotal: money, creditTotal: money }),
  })
  .meta({ id: 'AccountingPeriodWithBalances' });

const hash = z.string().regex(/^[0-9a-fA-F]{64}$/, { error: 'a hash is 64 hexadecimal characters' });

export const verifyQuery = z
  .strictObject({
    at: z.coerce
      .number({ error: 'at must be a whole number' })
      .int({ error: 'at must be a whole number' })
      .min(1, { error: 'at must be at least 1' })
      .optional()
      .meta({ description: 'Position of a link recorded earlier (the "transactions" of a previous verification); only with hash' }),
    hash: hash.optional().meta({ description: 'The hash recorded for that position (the "headHash" of a previous verification); only with at' }),
  })
  .refine((q) => (q.at === undefined) === (q.hash === undefined), { error: 'give both at and hash, or neither', path: ['hash'] });

const chainBreak = z.object({
  transactionId: z.string(),
  number: z.number().int().nullable().meta({ description: 'Voucher number; null when the transaction is gone' }),
  position: z.number().int().nullable().meta({ description: "The link's position on the chain; null for a transaction with no link" }),
  reason: z.string(),
});

const verificationCheck = z
  .object({
    name: z.enum(checkNames).meta({
      description:
        'chain: the hash chain; voucher_numbers: the fund numbers its vouchers 1, 2, 3… with none missing; balances: stored figures equal the lines; ' +
        "lines: every line is on a voucher and an account of the fund; records: every business record's vouchers are there",
    }),
    result: z.enum(['passed', 'failed']),
    description: z.string().meta({ description: 'What the check holds the books to: what passed means' }),
    summary: z.string().meta({ description: 'What it found, in a sentence (for voucher_numbers, how the ledger-wide numbers between the fund\'s vouchers are accounted for)' }),
    findings: z
      .array(
        z.object({
          problem: z.enum(findingProblems),
          message: z.string(),
          detail: z.record(z.string(), z.unknown()).meta({ description: 'The ids and figures concerned' }),
        }),
      )
      .meta({ description: 'The first 100 findings' }),
    findingCount: z.number().int().meta({ description: 'All findings, shown or not' }),
  })
  .meta({ id: 'VerificationCheck' });

export const verification = z
  .object({
    fundId: z.string(),
    status: z.enum(['intact', 'broken']).meta({ description: 'intact when every one of checks passed' }),
    transactions: z.number().int().meta({ description: "Links on the fund's chain that were checked (all of them when intact)" }),
    headHash: z.string().nullable().meta({ description: 'SHA-256 of the last link checked; null when the fund has none' }),
    firstBroken: chainBreak.nullable().meta({ description: 'The first link that does not hold, or the first transaction not on the chain' }),
    unlinkedTransactions: z.number().int().meta({ description: 'Transactions with lines in the fund but no link on its chain' }),
    anchor: z
      .object({ position: z.number().int(), hash: z.string(), matches: z.boolean() })
      .nullable()
      .meta({ description: 'The link given by at and hash: does the chain still pass through it?' }),
    balanceMismatches: z
      .array(z.object({ invariant: z.string(), detail: z.record(z.string(), z.unknown()) }))
      .meta({ description: 'Stored figures (balances, totals, per-day totals, running balances, period snapshots) that differ from the lines' }),
    checks: z
      .array(verificationCheck)
      .meta({ description: "Every check made, in this order: chain, voucher_numbers, balances, lines, records; status is intact when each passed" }),
  })
  .meta({ id: 'FundVerification' });
