import { z } from 'zod';
import { cursor, limit } from '../http/pagination.js';
import { amount, calendarDate, id, money, text, keyName } from '../http/schemas.js';
import { LIMITS } from '../ledger/posting.js';

/** A hand-posted voucher; batches post more lines through their own operation. */
const MAX_API_LINES = 1000;

export const line = z.strictObject({
  accountId: id,
  direction: z.enum(['debit', 'credit'], { error: 'direction is "debit" or "credit"' }),
  amount,
  memo: text(LIMITS.memoLength).nullish(),
});

export const createTransactionBody = z.strictObject({
  date: calendarDate.meta({ description: 'Accounting date; not after today' }),
  description: text(LIMITS.descriptionLength),
  reference: text(LIMITS.referenceLength).nullish().meta({ description: 'External reference, e.g. a bank slip number' }),
  lines: z
    .array(line)
    .min(2, { error: 'a transaction has at least two lines' })
    .max(MAX_API_LINES, { error: `at most ${MAX_API_LINES} lines` }),
});

export const voucherNumber = z
  .object({
    fundId: z.string(),
    period: z.string().meta({ description: 'YYYY-MM of the voucher date' }),
    number: z.number().int().meta({ description: '1, 2, 3… within the fund and month, without gaps' }),
    label: z.string().meta({ description: 'As printed and filed', examples: ['记-2026-11-0007'] }),
  })
  .meta({ id: 'VoucherNumber' });

export const transaction = z
  .object({
    id: z.string(),
    number: z.number().int().meta({ description: 'Voucher number (凭证号), in posting order' }),
    date: z.string(),
    description: z.string(),
    reference: z.string().nullable(),
    reversesTransactionId: z.string().nullable(),
    reversedByTransactionId: z.string().nullable(),
    reversalReason: z.string().nullable(),
    createdBy: z.string(),
    createdByName: keyName("posted it"),
    createdAt: z.string(),
    lines: z.array(
      z.object({
        lineNo: z.number().int(),
        accountId: z.string(),
        fundId: z.string(),
        direction: z.enum(['debit', 'credit']),
        amount: money,
        memo: z.string().nullable(),
        balanceAfter: money,
      }),
    ),
    voucherNumbers: z.array(voucherNumber).meta({ description: 'Its number within each fund it touches and the month of its date (凭证号 记-YYYY-MM-NNNN)' }),
  })
  .meta({ id: 'Transaction' });

export const transactionParams = z.object({ transactionId: id });

export const listTransactionsQuery = z.strictObject({
  fundId: id.optional(),
  from: calendarDate.optional(),
  to: calendarDate.optional(),
  limit,
  cursor,
});

export const reversalBody = z.strictObject({
  reason: text(500),
  date: calendarDate.optional().meta({ description: 'Accounting date of the reversal; today when omitted' }),
});


export const noQuery = z.strictObject({});

export const postingGroups = z
  .object({
    groups: z.number().int().meta({ description: 'Database transactions (groups) committed by this process since it started' }),
    writes: z.number().int().meta({ description: 'Writes answered from those groups' }),
    sizes: z.record(z.string(), z.number().int()).meta({
      description: 'Groups by their number of writes: "1", "2-3", "4-7", "8-15", …',
      examples: [{ '1': 12, '8-15': 840, '16-31': 3 }],
    }),
    split: z.number().int().meta({ description: 'Groups that failed as a whole and whose writes went again one per group' }),
  })
  .meta({ id: 'PostingGroups' });
