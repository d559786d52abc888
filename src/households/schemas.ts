import { z } from 'zod';
import { cursor, limit } from '../http/pagination.js';
import { calendarDate, code, id, money, text } from '../http/schemas.js';
import { monitoringCategories } from './service.js';

export const village = z
  .object({ id: z.string(), code: z.string(), name: z.string(), township: z.string(), county: z.string(), createdAt: z.string() })
  .meta({ id: 'Village' });

export const createVillageBody = z.strictObject({
  code,
  name: text(100).meta({ examples: ['青山村'] }),
  township: text(100).meta({ examples: ['某乡'] }),
  county: text(100).meta({ examples: ['某县'] }),
});

// The code stays: imports, distribution rules and printed statements name the village by it.
export const updateVillageBody = z
  .strictObject({ name: text(100).optional(), township: text(100).optional(), county: text(100).optional() })
  .refine((b) => Object.keys(b).length > 0, { error: 'name at least one field to change: name, township or county' })
  .meta({ minProperties: 1 });

export const listVillagesQuery = z.strictObject({ township: z.string().max(100).optional(), county: z.string().max(100).optional(), limit, cursor });

export const monitoringPeriod = z
  .object({
    id: z.string(),
    category: z.enum(monitoringCategories),
    riskCauses: z.array(z.string()),
    since: z.string(),
    eliminatedOn: z.string().nullable().meta({ description: 'First day no longer monitored (风险消除)' }),
    eliminationReason: z.string().nullable(),
  })
  .meta({ id: 'MonitoringPeriod' });

export const household = z
  .object({
    id: z.string(),
    code: z.string(),
    headName: z.string(),
    idNumberMasked: z.string().meta({ description: 'The ID number is never returned in full', examples: ['5107**********1234'] }),
    villageId: z.string(),
    memberCount: z.number().int(),
    monitoredToday: z.boolean(),
    monitoring: z.array(monitoringPeriod),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .meta({ id: 'Household' });

export const createHouseholdBody = z.strictObject({
  code,
  headName: text(100),
  idNumber: z.string().meta({ description: '居民身份证号码, 18 characters with a valid check digit; stored only as a keyed hash' }),
  villageId: id,
  memberCount: z.number().int().min(1).max(100),
});

export const listHouseholdsQuery = z.strictObject({
  villageId: id.optional(),
  category: z.enum(monitoringCategories).optional(),
  monitoredOn: calendarDate.optional().meta({ description: 'Only households monitored on this day' }),
  q: z
    .string()
    .trim()
    .min(1)
    .max(50)
    .optional()
    .meta({
      description:
        "Search: households whose code contains it (any case), or whose head's name contains it — the name only for keys that see names (not readers, who would otherwise learn a masked name by guessing)",
      examples: ['张', 'H-0012'],
    }),
  limit,
  cursor,
});

export const includeBody = z.strictObject({
  category: z.enum(monitoringCategories),
  riskCauses: z.array(z.string().max(50)).min(1).max(10),
  since: calendarDate,
});

export const eliminateBody = z.strictObject({ date: calendarDate.meta({ description: 'First day no longer monitored' }), reason: text(500) });

export const villageParams = z.object({ villageId: id });
export const householdParams = z.object({ householdId: id });

export const benefitsQuery = z.strictObject({ from: calendarDate.optional(), to: calendarDate.optional() });

export const benefits = z
  .object({
    householdId: z.string(),
    from: z.string().nullable(),
    to: z.string().nullable(),
    coverage: z.enum(['all_funds', 'funds_in_reach']).meta({
      description:
        'all_funds: every fund of the ledger is counted (admin and auditor keys); funds_in_reach: only the funds this key reaches ' +
        '(its townships and funds) — benefits from other funds are left out, and these totals are not the household\'s whole',
    }),
    items: z.array(
      z.object({
        kind: z.enum(['disbursement', 'insurance_claim']),
        id: z.string(),
        fundId: z.string(),
        category: z.string(),
        amount: money,
        date: z.string().meta({ description: 'Accounting date of the payment' }),
        transactionId: z.string(),
        reference: z.string().nullable().meta({ description: "Bank or insurer's payout reference" }),
      }),
    ),
    totalsByCategory: z.array(z.object({ category: z.string(), count: z.number().int(), amount: money })),
    total: money,
  })
  .meta({ id: 'HouseholdBenefits' });
