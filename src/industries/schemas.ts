import { z } from 'zod';
import { cursor, limit } from '../http/pagination.js';
import { amount, calendarDate, id, money, text, keyName } from '../http/schemas.js';
import { SHARE_PATTERN, WEIGHT_PATTERN } from './allocation.js';

const share = z
  .string({ error: 'a share is a decimal string' })
  .regex(SHARE_PATTERN, { error: 'a share is a decimal string from "0" to "1" with at most 8 decimals, e.g. "0.40"' });

const weight = z
  .string({ error: 'a weight is a decimal string' })
  .regex(WEIGHT_PATTERN, { error: 'a weight is a positive decimal string with at most 4 decimals, e.g. "1" or "2.5"' })
  .regex(/[1-9]/, { error: 'a weight must be greater than zero' });

const radiatingVillagesIn = z
  .array(
    z.strictObject({
      villageId: id,
      weight: weight.optional().meta({ description: 'Relative weight among the radiating villages; "1" when omitted, so omitted weights split equally' }),
    }),
  )
  .max(500)
  .meta({ description: "The villages that share the radiating share (辐射村), each at most once and never the project village" });

const ruleFields = {
  projectVillageShare: share.meta({ description: "The project village's share (项目所在村), e.g. \"0.40\"", examples: ['0.40'] }),
  radiatingShare: share
    .optional()
    .meta({ description: "The radiating villages' share; when given, the two shares must sum to exactly 1 (else invalid_rule); 1 − projectVillageShare when omitted", examples: ['0.60'] }),
  radiatingVillages: radiatingVillagesIn,
};

export const createIndustryBody = z.strictObject({
  fundId: id.meta({ description: 'The fund that invested (a fund opened with the prevention chart); its dividends are booked there' }),
  name: text(200).meta({ examples: ['某县肉牛养殖有限公司（东西部协作资金入股）'] }),
  projectVillageId: id.meta({ description: 'The village where the industry sits (项目所在村)' }),
  ...ruleFields,
  effectiveFrom: calendarDate
    .optional()
    .meta({ description: 'When rule version 1 takes effect; "1900-01-01" when omitted, so every dividend of the industry is covered by it' }),
});

export const createRuleBody = z.strictObject({
  effectiveFrom: calendarDate.meta({
    description: "First day the new version is in force; later than every earlier version's and than the last recorded dividend's date",
  }),
  ...ruleFields,
});

export const rule = z
  .object({
    id: z.string(),
    industryId: z.string(),
    version: z.number().int().meta({ description: '1, 2, 3… in the order the versions were added' }),
    effectiveFrom: z.string(),
    projectVillageShare: z.string().meta({ description: 'With 8 decimals', examples: ['0.40000000'] }),
    radiatingShare: z.string().meta({ description: 'With 8 decimals', examples: ['0.60000000'] }),
    radiatingVillages: z.array(z.object({ villageId: z.string(), weight: z.string().meta({ description: 'With 4 decimals', examples: ['1.0000'] }) })),
    createdBy: z.string(),
    createdByName: keyName('made this rule version'),
    createdAt: z.string(),
  })
  .meta({ id: 'DistributionRule', description: 'A version of an industry’s income distribution rule; in force from effectiveFrom until the next version’s' });

export const industry = z
  .object({
    id: z.string(),
    fundId: z.string(),
    name: z.string(),
    projectVillageId: z.string(),
    rules: z.array(rule).meta({ description: 'Every version, oldest first' }),
    createdBy: z.string(),
    createdByName: keyName('registered it'),
    createdAt: z.string(),
  })
  .meta({ id: 'Industry', description: 'An assisted industry (资产收益项目) whose income a fund shares among villages' });

export const listIndustriesQuery = z.strictObject({ fundId: id.optional(), limit, cursor });

export const recordDividendBody = z.strictObject({
  date: calendarDate.meta({ description: 'Accounting date the dividend was received; not after today, not before rule version 1 takes effect' }),
  amount,
  reference: text(200).optional().meta({ description: "The enterprise's payment or bank reference", examples: ['2026年度分红-农商行回单0412'] }),
});

export const allocation = z
  .object({ villageId: z.string(), role: z.enum(['project', 'radiating']), amount: money })
  .meta({ id: 'DividendAllocation' });

export const dividend = z
  .object({
    dividendId: z.string(),
    industryId: z.string(),
    fundId: z.string(),
    date: z.string(),
    amount: money,
    reference: z.string().nullable(),
    transactionId: z.string().meta({ description: 'The voucher that booked the dividend and its split' }),
    ruleId: z.string(),
    ruleVersion: z.number().int().meta({ description: 'The rule version in force on the date, used for the split' }),
    allocations: z
      .array(allocation)
      .meta({ description: 'Each village’s part, exact to the fen and summing to the amount: the project village first, then the radiating villages by code' }),
    createdBy: z.string(),
    createdByName: keyName('recorded it'),
    createdAt: z.string(),
    status: z.enum(['recorded', 'voided']).meta({ description: 'voided (作废): its voucher, allocations included, reversed by voidTransactionId' }),
    voidTransactionId: z.string().nullable().meta({ description: 'The linked reversal of the dividend’s voucher, once voided' }),
    voidedBy: z.string().nullable(),
    voidedByName: keyName('voided it'),
    voidedAt: z.string().nullable(),
    voidReason: z.string().nullable(),
  })
  .meta({ id: 'Dividend' });

export const dividendParams = z.object({ industryId: id, dividendId: id });

export const voidDividendBody = z.strictObject({
  reason: text(400).meta({ description: 'Why it is voided, kept on the dividend and in the reversal voucher', examples: ['金额录错，应为 132,000.00'] }),
});

export const previewDividendQuery = z.strictObject({
  date: calendarDate.meta({ description: 'Accounting date the dividend would be received on: the rule in force that day splits it' }),
  amount,
});

export const dividendPreview = z
  .object({
    industryId: z.string(),
    fundId: z.string(),
    date: z.string(),
    amount: money,
    ruleId: z.string(),
    ruleVersion: z.number().int(),
    allocations: z
      .array(allocation.extend({ villageCode: z.string(), villageName: z.string() }))
      .meta({ description: 'Exactly the parts POST …/dividends would book for the same date and amount, in the same order' }),
  })
  .meta({ id: 'DividendPreview' });

export const listDividendsQuery = z.strictObject({ from: calendarDate.optional(), to: calendarDate.optional(), limit, cursor });

export const villageAllocationsQuery = z.strictObject({
  asOf: calendarDate.optional().meta({ description: 'End of this day (by accounting date); the current figures when omitted' }),
});

export const villageAllocations = z
  .object({
    villageId: z.string(),
    asOf: z.string().meta({ description: 'The day asked for, or today when omitted' }),
    funds: z.array(
      z.object({
        fundId: z.string(),
        fundCode: z.string(),
        accountId: z.string(),
        allocated: money.meta({ description: 'Income allocated to the village: the credits of its allocation account' }),
        spent: money.meta({ description: 'Spent from the allocation: the debits' }),
        remaining: money.meta({ description: 'Still earmarked for the village: the balance' }),
      }),
    ),
  })
  .meta({ id: 'VillageAllocations' });

export const industryParams = z.object({ industryId: id });
export const villageParams = z.object({ villageId: id });
