import { z } from 'zod';
import { cursor, limit } from '../http/pagination.js';
import { amount, calendarDate, money, text, keyName } from '../http/schemas.js';

/** Money received that is not a dividend. */
export const incomeSources = ['donation', 'fiscal_transfer'] as const;
export type IncomeSource = (typeof incomeSources)[number];

export const createIncomeBody = z.strictObject({
  source: z.enum(incomeSources).meta({ description: 'donation (捐赠) or fiscal_transfer (财政转移)' }),
  payer: text(200).meta({ description: 'Who paid the money in', examples: ['某银行某县支行'] }),
  date: calendarDate.meta({ description: 'Accounting date the money reached the fund; not after today' }),
  amount,
  reference: text(200).optional().meta({ description: 'Bank slip or transfer document number' }),
});

export const listIncomeQuery = z.strictObject({
  from: calendarDate.optional(),
  to: calendarDate.optional(),
  source: z.enum(incomeSources).optional(),
  limit,
  cursor,
});

export const incomeReceipt = z
  .object({
    id: z.string(),
    fundId: z.string(),
    source: z.enum(incomeSources),
    payer: z.string(),
    date: z.string(),
    amount: money,
    reference: z.string().nullable(),
    transactionId: z.string(),
    transactionNumber: z.number().int().meta({ description: 'Voucher number (凭证号) of the posting' }),
    createdBy: z.string(),
    createdByName: keyName('recorded it'),
    createdAt: z.string(),
  })
  .meta({ id: 'IncomeReceipt' });
