import { z } from 'zod';
import { categories } from '../funds/chart.js';
import { cursor, limit, MAX_PAGE } from '../http/pagination.js';
import { amount, calendarDate, id, keyName, money, text } from '../http/schemas.js';

export const disbursementStatuses = ['requested', 'approved', 'paid', 'failed'] as const;

/** The most households one batch pays: with one line each plus the bank line, one voucher holds them. */
export const MAX_BATCH_ITEMS = 5000;

const benefitDay =
  'The day the benefit is for; not after today, and may be earlier (a payment for a past month). The household must be monitored ' +
  'on it, and also on the day the approval and the payment are posted (today at each step): a household that has left monitoring ' +
  'is paid nothing more. Yearly caps count the calendar year of this date.';

export const disbursement = z
  .object({
    id: z.string(),
    fundId: z.string(),
    householdId: z.string(),
    householdCode: z.string(),
    villageId: z.string().nullable().meta({ description: "Paid from this village's allocation, when set" }),
    category: z.enum(categories),
    amount: money,
    date: z.string().meta({ description: benefitDay }),
    status: z.enum(disbursementStatuses),
    batchId: z.string().nullable(),
    requestedBy: z.string(),
    requestedByName: keyName('requested it'),
    approvedBy: z.string().nullable(),
    approvedByName: keyName('approved it'),
    approvedAt: z.string().nullable(),
    paidBy: z.string().nullable().meta({ description: 'The API key that recorded the payment' }),
    paidByName: keyName('recorded the payment'),
    paidAt: z.string().nullable(),
    bankReference: z.string().nullable(),
    failedBy: z.string().nullable().meta({ description: 'The API key that failed it (unknown for a request failed before approval, before this was recorded)' }),
    failedByName: keyName('failed it'),
    failedAt: z.string().nullable(),
    failureReason: z.string().nullable(),
    approvalTransactionId: z.string().nullable().meta({ description: 'The reservation: Dr bank_reserved / Cr bank (for a batch item, the batch voucher)' }),
    paymentTransactionId: z.string().nullable().meta({ description: 'The payment: Dr expense / Cr bank_reserved (for a batch item, the batch voucher)' }),
    failureTransactionId: z
      .string()
      .nullable()
      .meta({ description: 'The release of the reservation (failed while approved) or the return of the money (failed after payment)' }),
    createdAt: z.string(),
  })
  .meta({ id: 'Disbursement' });

const categoryRule =
  'One of the categories the fund allows (专款专用), except insurance: insurance payouts are recorded as claims against a policy ' +
  '(POST /v1/insurance-claims), refused here with category_not_allowed.';

export const createDisbursementBody = z.strictObject({
  fundId: id,
  householdId: id,
  category: z.enum(categories).meta({ description: categoryRule }),
  amount,
  date: calendarDate.meta({ description: benefitDay }),
  villageId: id.optional().meta({ description: "Pay from this village's allocation; the household must live in the village" }),
});

export const payBody = z.strictObject({
  bankReference: text(200).meta({ description: 'The bank slip or one-card (一卡通) batch number', examples: ['YKT-2026-11-0042'] }),
});

export const failBody = z.strictObject({
  reason: text(500).meta({ examples: ['一卡通账户已销户，银行退回'] }),
});

export const disbursementParams = z.object({ disbursementId: id });

export const listDisbursementsQuery = z.strictObject({
  fundId: id.optional(),
  householdId: id.optional(),
  villageId: id.optional().meta({ description: "Only payments from this village's allocation" }),
  category: z.enum(categories).optional(),
  status: z.enum(disbursementStatuses).optional(),
  from: calendarDate.optional().meta({ description: 'Payment dates from this day' }),
  to: calendarDate.optional().meta({ description: 'Payment dates up to this day' }),
  limit,
  cursor,
});

export const createBatchBody = z.strictObject({
  fundId: id,
  category: z.enum(categories).default('living_allowance').meta({ description: categoryRule }),
  date: calendarDate.meta({ description: benefitDay }),
  villageId: id.optional().meta({ description: "Pay every item from this village's allocation" }),
  description: text(400).optional().meta({ examples: ['2026年11月生活补助'] }),
  items: z
    .array(z.strictObject({ householdId: id, amount }))
    .min(1, { error: 'a batch pays at least one household' })
    .max(MAX_BATCH_ITEMS, { error: `a batch pays at most ${MAX_BATCH_ITEMS} households` })
    .meta({
      description:
        'One line per household, each household once. Every item is checked; if any is refused the whole batch is refused ' +
        'with a 400 validation_failed problem whose `errors` lists each bad item as {index, householdId, code, message}, ' +
        'code being the reason (unknown_household, not_monitored, village_mismatch, over_cap, validation_failed for a repeated household).',
    }),
});

export const batchParams = z.object({ batchId: id });

export const listBatchesQuery = z.strictObject({
  fundId: id.optional(),
  status: z.enum(disbursementStatuses).optional(),
  from: calendarDate.optional().meta({ description: 'Batches dated from this day' }),
  to: calendarDate.optional().meta({ description: 'Batches dated up to this day' }),
  limit,
  cursor,
});

export const batchItemsQuery = z.strictObject({
  limit: limit.unwrap().default(MAX_PAGE).meta({ description: `Lines per page, 1–${MAX_PAGE} (default ${MAX_PAGE})` }),
  cursor,
});

const statusTotal = z.object({ count: z.number().int(), amount: money });

export const batch = z
  .object({
    id: z.string(),
    fundId: z.string(),
    category: z.enum(categories),
    date: z.string(),
    villageId: z.string().nullable(),
    description: z.string(),
    status: z.enum(['requested', 'approved', 'paid', 'failed']).meta({
      description: 'failed when every line failed before the batch was paid; a paid batch stays paid, its returned lines failed in byStatus',
    }),
    requestedBy: z.string(),
    requestedByName: keyName('requested it'),
    approvedBy: z.string().nullable(),
    approvedByName: keyName('approved it'),
    approvedAt: z.string().nullable(),
    paidBy: z.string().nullable().meta({ description: 'The API key that recorded the payment' }),
    paidByName: keyName('recorded the payment'),
    paidAt: z.string().nullable(),
    bankReference: z.string().nullable(),
    approvalTransactionId: z.string().nullable(),
    paymentTransactionId: z.string().nullable(),
    createdAt: z.string(),
    total: money.meta({ description: 'Sum of every item as requested' }),
    byStatus: z
      .object({ requested: statusTotal, approved: statusTotal, paid: statusTotal, failed: statusTotal })
      .meta({ description: 'Items and their amounts by current status' }),
  })
  .meta({ id: 'DisbursementBatch' });

export const batchWithItems = batch
  .extend({
    items: z.array(disbursement).meta({ description: 'Lines in household-code order: one page of them, or all of them when the batch is created' }),
    nextCursor: z.string().nullable().meta({ description: 'Pass as cursor for the next page of lines; null on the last page' }),
  })
  .meta({ id: 'DisbursementBatchWithItems' });
