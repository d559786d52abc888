import { z } from 'zod';
import { accountTypes } from '../ledger/accounts.js';
import { amount, calendarDate, code, id, money, text } from '../http/schemas.js';
import { categories, templates } from './chart.js';
import { cursor, limit } from '../http/pagination.js';

export const fund = z
  .object({
    id: z.string(),
    code: z.string(),
    name: z.string(),
    organisation: z.string(),
    purpose: z.string(),
    status: z.enum(['active', 'closed']),
    template: z.enum(templates).nullable(),
    allowedCategories: z.array(z.enum(categories)),
    yearlyCaps: z.partialRecord(z.enum(categories), money),
    township: z.string().nullable().meta({ description: 'The township keeping the fund; null for a county fund' }),
    bankAccountNumber: z.string().nullable().meta({ description: "The fund's own bank account (专户); bank statements imported for the fund are of it" }),
    bankName: z.string().nullable(),
    manualVouchersNeedReview: z.boolean().meta({
      description: 'When true, hand-posted vouchers are drafted (POST /v1/vouchers) and posted when another key approves them; POST /v1/transactions is refused',
    }),
    createdAt: z.string(),
  })
  .meta({ id: 'Fund' });

const bankAccountNumber = z
  .string()
  .trim()
  .transform((v) => v.replace(/[\s-]/g, ''))
  .pipe(z.string().regex(/^[0-9A-Za-z]{6,40}$/, { error: 'a bank account number is 6 to 40 digits or letters (spaces and dashes are dropped)' }))
  .meta({ description: "The fund's own bank account (专户) number; spaces and dashes are dropped", examples: ['6228 4800 1234 5678 901'] });
const bankName = text(200).meta({ examples: ['某农商银行某支行'] });

const manualVouchersNeedReview = z.boolean().meta({
  description: 'Hand-posted vouchers need review by another key (制单 → 审核 → 记账, 会计基础工作规范): drafted with POST /v1/vouchers, never posted directly. Default false.',
});

const township = text(100).meta({
  description: 'The township keeping the fund (村账乡管): its scoped keys reach the fund. Leave out for a county fund.',
  examples: ['某乡'],
});

const allowedCategories = z
  .array(z.enum(categories))
  .max(categories.length)
  .refine((list) => new Set(list).size === list.length, { error: 'each category once' })
  .meta({ description: 'Disbursement categories the fund may pay (专款专用), each once', uniqueItems: true });

const yearlyCaps = z
  .partialRecord(z.enum(categories), amount)
  .meta({ description: 'Per household and calendar year, the most each category may pay', examples: [{ medical_subsidy: '5000.00' }] });

export const createFundBody = z
  .strictObject({
    code,
    name: text(200).meta({ examples: ['某乡防止返贫专项基金'] }),
    organisation: text(200).meta({ description: 'Owning county or township', examples: ['某县某乡人民政府'] }),
    purpose: text(1000),
    template: z.enum(templates).optional().meta({ description: 'Open the standard chart of accounts (see README)' }),
    allowedCategories: allowedCategories.optional(),
    yearlyCaps: yearlyCaps.optional(),
    township: township.optional(),
    bankAccountNumber: bankAccountNumber.optional(),
    bankName: bankName.optional(),
    manualVouchersNeedReview: manualVouchersNeedReview.optional(),
  })
  .refine((f) => !f.template || f.allowedCategories, {
    error: 'a fund opened from a template declares allowedCategories, the payments it may make',
    path: ['allowedCategories'],
  })
  // The refinement above, as the document can state it.
  .meta({ dependentRequired: { template: ['allowedCategories'] } });

export const updateFundBody = z
  .strictObject({
    name: text(200).optional(),
    purpose: text(1000).optional(),
    allowedCategories: allowedCategories.optional(),
    yearlyCaps: yearlyCaps.optional(),
    township: township.nullable().optional().meta({ description: 'Move the fund to another township, or null to make it a county fund' }),
    bankAccountNumber: bankAccountNumber.nullable().optional(),
    bankName: bankName.nullable().optional(),
    manualVouchersNeedReview: manualVouchersNeedReview.optional(),
  })
  .refine((f) => Object.keys(f).length > 0, { error: 'name at least one field to change' })
  .meta({ minProperties: 1 });

export const account = z
  .object({
    id: z.string(),
    fundId: z.string(),
    code: z.string(),
    name: z.string(),
    type: z.enum(accountTypes),
    normalSide: z.enum(['debit', 'credit']),
    noOverdraft: z.boolean(),
    balance: money.meta({ description: 'Current balance, positive on the normal side' }),
    debitTotal: money,
    creditTotal: money,
    role: z.string().nullable().meta({ description: 'Role in a standard chart, e.g. "bank" or "expense:medical_subsidy"' }),
    villageId: z.string().nullable().meta({ description: "For a village's allocation account" }),
    policyId: z.string().nullable().meta({ description: "For an insurance policy's premium pool" }),
    createdAt: z.string(),
  })
  .meta({ id: 'Account' });

export const createAccountBody = z.strictObject({
  code,
  name: text(200),
  type: z.enum(accountTypes),
  noOverdraft: z.boolean().optional().meta({ description: 'Refuse postings that take the balance below zero; default true for asset accounts' }),
});

export const fundParams = z.object({ fundId: id });
export const accountParams = z.object({ accountId: id });
export const listQuery = z.strictObject({ limit, cursor });

export const asOfQuery = z.strictObject({
  asOf: calendarDate.optional().meta({ description: 'End of this day; today when omitted' }),
});

export const balance = z
  .object({ accountId: z.string(), asOf: z.string(), balance: money, debitTotal: money, creditTotal: money })
  .meta({ id: 'Balance' });

export const entriesQuery = z.strictObject({ from: calendarDate.optional(), to: calendarDate.optional(), limit, cursor });

export const entry = z
  .object({
    lineId: z.number().int(),
    transactionId: z.string(),
    transactionNumber: z.number().int(),
    lineNo: z.number().int(),
    date: z.string(),
    description: z.string(),
    direction: z.enum(['debit', 'credit']),
    amount: money,
    memo: z.string().nullable(),
    balanceAfter: money.meta({ description: "The account's balance after this line, in posting order" }),
  })
  .meta({ id: 'Entry' });

export const trialBalance = z
  .object({
    fundId: z.string(),
    asOf: z.string(),
    accounts: z.array(
      z.object({
        accountId: z.string(),
        code: z.string(),
        name: z.string(),
        type: z.enum(accountTypes),
        debitTotal: money,
        creditTotal: money,
        balance: money,
        balanceSide: z.enum(['debit', 'credit']),
      }),
    ),
    totals: z.object({ debitTotal: money, creditTotal: money, debitBalances: money, creditBalances: money }),
    balanced: z.boolean(),
  })
  .meta({ id: 'TrialBalance' });
