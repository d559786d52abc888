import { z } from 'zod';

/*
 * The change feed's events, one schema per type: the payload each recordEvent/recordEvents call writes. Payload
 * members not listed are allowed (a reader ignores what it does not know); the listed ones are typed.
 */

const s = z.string();
const amount = z.string().meta({ description: 'Decimal string with 2 decimals' });
const actor = z.string().meta({ description: 'The API key that made the change' });
const fromImport = { source: z.literal('import').optional().meta({ description: 'Present when a CSV import made the change' }) };
const batchLine = { batchId: z.string().nullable().optional().meta({ description: 'The batch, for a line of one' }) };

const payloads = {
  'transaction.posted': { transactionId: s, number: z.number().int(), date: s, reversesTransactionId: s.nullable() },
  'fund.created': { code: s },
  'fund.updated': { changed: z.array(s) },
  'income.recorded': { receiptId: s, source: s, payer: s.nullable().optional(), date: s, amount, transactionId: s },
  'industry.created': { industryId: s, name: s, projectVillageId: s, ruleId: s, actor },
  'industry.rule_added': { industryId: s, ruleId: s, version: z.number().int(), effectiveFrom: s, actor },
  'dividend.recorded': {
    dividendId: s,
    industryId: s,
    transactionId: s,
    ruleId: s,
    ruleVersion: z.number().int(),
    date: s,
    amount,
    allocations: z.array(z.object({ villageId: s, role: s, amount })),
    actor,
  },
  'dividend.voided': { dividendId: s, industryId: s, transactionId: s, voidedTransactionId: s, amount, reason: s, actor },
  'disbursement.requested': { disbursementId: s, householdId: s, villageId: s.nullable(), category: s, amount, date: s, actor, ...batchLine },
  'disbursement.approved': { disbursementId: s, householdId: s, amount, transactionId: s, actor, ...batchLine },
  'disbursement.paid': { disbursementId: s, householdId: s, amount, bankReference: s, transactionId: s, actor, ...batchLine },
  'disbursement.failed': { disbursementId: s, householdId: s, was: s, reason: s, transactionId: s.nullable(), actor, ...batchLine },
  'disbursement_batch.requested': { batchId: s, category: s, date: s, villageId: s.nullable(), items: z.number().int(), total: amount, actor },
  'disbursement_batch.approved': { batchId: s, items: z.number().int(), total: amount, transactionId: s, actor },
  'disbursement_batch.paid': { batchId: s, items: z.number().int(), total: amount, bankReference: s, transactionId: s, actor },
  'insurance.policy_created': { policyId: s, insurer: s, policyNumber: s.nullable(), premium: amount, actor },
  'insurance.premium_paid': { policyId: s, movementId: s, date: s, amount, topUp: z.boolean(), transactionId: s },
  'insurance.refunded': { policyId: s, movementId: s, date: s, amount, transactionId: s },
  'insurance.carried_forward': { policyId: s, toPolicyId: s, date: s, amount, transactionId: s },
  'claim.filed': { claimId: s, policyId: s, householdId: s, amountClaimed: amount, actor },
  'claim.approved': { claimId: s, policyId: s, householdId: s, amountApproved: amount, actor },
  'claim.paid': { claimId: s, policyId: s, householdId: s, amount, date: s, transactionId: s, actor },
  'claim.rejected': { claimId: s, policyId: s, householdId: s, reason: s, actor },
  'period.closed': { fundId: s, period: s, through: s, accounts: z.number().int(), debitTotal: amount, creditTotal: amount, actor },
  'bank_statement.imported': { statementId: s, from: s, to: s, lines: z.number().int(), newLines: z.number().int(), actor },
  'bank_reconciliation.reconciled': { fundId: s, period: s, bookBalance: amount, bankBalance: amount, actor },
  'bank_reconciliation.unreconciled': { fundId: s, period: s, reasons: z.array(s), actor },
  'period.reopened': { fundId: s, period: s, reason: s, actor, closedAt: s, closedBy: s },
  'household.created': { householdId: s, code: s, actor, ...fromImport },
  'household.updated': { householdId: s, code: s, changed: z.array(s), actor, ...fromImport },
  'household.included': { householdId: s, category: s, riskCauses: z.array(s), since: s, actor: actor.optional(), ...fromImport },
  'household.eliminated': { householdId: s, date: s, reason: s, actor, ...fromImport },
} satisfies Record<string, z.ZodRawShape>;

export type EventType = keyof typeof payloads;

/** What a writer records for an event of each type: the feed's schema, so that a payload the feed would refuse does not compile. */
export type EventPayloads = { [T in EventType]: z.input<z.ZodObject<(typeof payloads)[T]>> & Record<string, unknown> };

const pascal = (type: string) => type.replace(/(^|[._])([a-z])/g, (_, __, c: string) => c.toUpperCase());

const eventOf = (type: EventType) =>
  z
    .object({
      id: z.number().int(),
      type: z.literal(type),
      fundId: z.string().nullable(),
      subjectId: z.string(),
      payload: z.looseObject(payloads[type]),
      createdAt: z.string(),
    })
    .meta({ id: `${pascal(type)}Event` });

const [first, second, ...rest] = (Object.keys(payloads) as EventType[]).map(eventOf);

export const event = z.discriminatedUnion('type', [first!, second!, ...rest]).meta({ id: 'Event', description: 'A change, typed by its `type`' });

export type Event = z.output<typeof event>;
