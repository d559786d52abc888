import { z } from 'zod';
import { cursor, limit } from '../http/pagination.js';
import { calendarDate, id, keyName, money, text } from '../http/schemas.js';
import { PERIOD_PATTERN } from '../ledger/dates.js';
import { provenance } from '../statements/schemas.js';
import { createTransactionBody, voucherNumber } from '../transactions/schemas.js';

export const MAX_ATTACHMENT_COUNT = 999;

const attachmentsCount = z
  .number()
  .int()
  .min(0)
  .max(MAX_ATTACHMENT_COUNT)
  .optional()
  .meta({
    description: 'How many source documents (原始凭证) support it, paper ones too; printed as 附件 N 张 until files are attached, then the files count',
  });

export const draftBody = createTransactionBody.extend({ attachments: attachmentsCount });

export const voucherParams = z.object({ voucherId: id });

export const reasonBody = z.strictObject({ reason: text(500).meta({ examples: ['科目用错，应记入其他应付款'] }) });

export const approveBody = z
  .strictObject({
    version: z.number().int().min(1).optional().meta({
      description: 'The version of the draft the reviewer read: refused (voucher_changed) if the preparer changed it since',
    }),
  })
  .meta({ description: 'May be left out, or empty' });

export const reversalDraftBody = z.strictObject({
  transactionId: id.meta({ description: 'The posted voucher to reverse' }),
  reason: text(500).meta({ examples: ['金额录入错误'] }),
  date: calendarDate.optional().meta({ description: 'Accounting date of the reversal; today when omitted; not before the voucher' }),
});

export const draftStatuses = ['draft', 'posted', 'rejected', 'withdrawn'] as const;

export const listDraftsQuery = z.strictObject({
  status: z.enum(draftStatuses).optional().meta({ description: 'draft: the queue waiting for review' }),
  fundId: id.optional(),
  limit,
  cursor,
});

export const voucherDraft = z
  .object({
    id: z.string(),
    status: z.enum(draftStatuses).meta({ description: 'draft (waiting for review) → posted | rejected (the preparer may correct it) | withdrawn' }),
    fundIds: z.array(z.string()),
    date: calendarDate,
    description: z.string(),
    reference: z.string().nullable(),
    lines: z.array(z.object({ accountId: z.string(), direction: z.enum(['debit', 'credit']), amount: money, memo: z.string().nullable() })),
    attachments: z.number().int().meta({ description: 'Source documents declared by the preparer' }),
    version: z.number().int().meta({ description: 'Goes up with every change of the preparer’s' }),
    preparedBy: z.string(),
    preparedByName: keyName('prepared it (制单)'),
    preparedAt: z.string(),
    updatedAt: z.string(),
    reviewedBy: z.string().nullable(),
    reviewedByName: keyName('approved or rejected it (审核)'),
    reviewedAt: z.string().nullable(),
    reason: z.string().nullable().meta({ description: 'Why it was rejected or withdrawn' }),
    transactionId: z.string().nullable().meta({ description: 'The posted transaction, once approved' }),
    reverses: z
      .object({ transactionId: z.string(), reason: z.string() })
      .nullable()
      .meta({ description: 'A reversal (红字冲销) drafted for review: the voucher it reverses and why' }),
    voucherNumbers: z.array(voucherNumber).meta({ description: 'Once posted: its number within each fund and month' }),
  })
  .meta({ id: 'VoucherDraft' });

const printedAmount = money.meta({ description: 'As printed: empty on the other side; negative (printed red) on a 红字冲销 reversal' });

export const voucherStatement = z
  .object({
    kind: z.literal('voucher'),
    transactionId: z.string(),
    number: z.number().int().meta({ description: 'The global voucher number (总号)' }),
    date: calendarDate,
    description: z.string(),
    reference: z.string().nullable(),
    reversal: z
      .object({ transactionId: z.string(), labels: z.array(z.string()), reason: z.string() })
      .nullable()
      .meta({ description: '红字冲销: the voucher it reverses (its numbers in its funds) and why' }),
    parts: z.array(
      z.object({
        fund: z.object({ id: z.string(), code: z.string(), name: z.string() }),
        label: z.string().meta({ examples: ['记-2026-11-0007'] }),
        lines: z.array(z.object({ summary: z.string(), accountCode: z.string(), accountName: z.string(), debit: printedAmount, credit: printedAmount })),
        debitTotal: money,
        creditTotal: money,
        totalInCapitals: z.string().meta({ examples: ['壹拾捌万捌仟元整'] }),
      }),
    ).meta({ description: 'One voucher form per fund the transaction touches' }),
    attachments: z.number().int().meta({ description: '附件 N 张: the files attached and not withdrawn, or, when none, the count its draft declared' }),
    preparedByName: z.string().nullable().meta({ description: '制单' }),
    reviewedByName: z.string().nullable().meta({ description: '审核' }),
    postedByName: z.string().nullable().meta({ description: '记账' }),
    ...provenance,
  })
  .meta({ id: 'VoucherPrint', description: '记账凭证 as printed' });

export const bindingQuery = z.strictObject({
  period: z.string().regex(PERIOD_PATTERN, { error: 'period is a month, YYYY-MM' }).meta({ examples: ['2026-11'] }),
  format: z.literal('pdf').default('pdf').meta({ description: 'pdf (the only format: a print for binding)' }),
});
