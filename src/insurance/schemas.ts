import { z } from 'zod';
import { cursor, limit } from '../http/pagination.js';
import { amount, calendarDate, code, id, keyName, money, text } from '../http/schemas.js';
import { claimCauses, claimStatuses, movementKinds } from './service.js';

export const createPolicyBody = z
  .strictObject({
    fundId: id.meta({ description: 'The fund that pays the premium and the claims' }),
    insurer: text(200).meta({ examples: ['中国人民财产保险股份有限公司某县支公司'] }),
    policyNumber: code.optional().meta({ description: "The insurer's policy number; unique in the fund", examples: ['PICC-2026-0001'] }),
    premium: amount.meta({ description: 'The premium agreed for the cover period' }),
    coverFrom: calendarDate,
    coverTo: calendarDate.meta({ description: 'Last day of cover, on or after coverFrom' }),
    coveredPopulation: text(200).meta({ description: 'Who is insured', examples: ['全县农业人口'] }),
    coveredCount: z.number().int().min(1).max(100_000_000).optional().meta({ description: 'How many people are insured' }),
  })
  .refine((p) => p.coverTo >= p.coverFrom, { error: 'coverTo must be on or after coverFrom', path: ['coverTo'] })
  .meta({ description: 'A policy; coverTo is on or after coverFrom (JSON Schema cannot compare two fields: checked by the service)' });

const claimFigures = z.object({ count: z.number().int(), amountClaimed: money, amountApproved: money });

export const policy = z
  .object({
    id: z.string(),
    fundId: z.string(),
    insurer: z.string(),
    policyNumber: z.string().nullable(),
    premium: money,
    coverFrom: z.string(),
    coverTo: z.string(),
    coveredPopulation: z.string(),
    coveredCount: z.number().int().nullable(),
    poolAccountId: z.string().nullable().meta({ description: 'The premium pool account (held by the insurer) in the fund' }),
    figures: z.object({
      premiumPaid: money,
      claims: z.object(Object.fromEntries(claimStatuses.map((s) => [s, claimFigures])) as Record<(typeof claimStatuses)[number], typeof claimFigures>),
      householdsPaid: z.number().int().meta({ description: 'Distinct households with a paid claim' }),
      paidOut: money.meta({ description: 'Sum of paid claims' }),
      refunded: money.meta({ description: 'Surplus returned to the fund (多退)' }),
      carriedForwardIn: money,
      carriedForwardOut: money,
      poolBalance: money.meta({
        description: 'Premium left in the pool (surplus); negative when claims exceeded it and the county owes the insurer (少补)',
      }),
    }),
    createdBy: z.string(),
    createdByName: keyName('registered it'),
    createdAt: z.string(),
  })
  .meta({ id: 'InsurancePolicy' });

export const movement = z
  .object({
    id: z.string(),
    policyId: z.string(),
    kind: z.enum(movementKinds),
    date: z.string(),
    amount: money,
    reference: z.string().nullable(),
    counterpartPolicyId: z.string().nullable().meta({ description: 'For a carry-forward: the other policy' }),
    transactionId: z.string(),
    createdBy: z.string(),
    createdByName: keyName('recorded it'),
    createdAt: z.string(),
  })
  .meta({ id: 'InsuranceMovement' });

export const carryForward = z
  .object({ transactionId: z.string(), outgoing: movement, incoming: movement })
  .meta({ id: 'InsuranceCarryForward' });

export const claim = z
  .object({
    id: z.string(),
    policyId: z.string(),
    fundId: z.string(),
    householdId: z.string(),
    cause: z.enum(claimCauses),
    date: z.string().meta({ description: 'Date of the claim, within the cover period' }),
    amountClaimed: money,
    amountApproved: money.nullable(),
    status: z.enum(claimStatuses),
    filedBy: z.string(),
    filedByName: keyName('filed it'),
    approvedBy: z.string().nullable(),
    approvedByName: keyName('approved it'),
    approvedAt: z.string().nullable(),
    paidAt: z.string().nullable(),
    paidOn: z.string().nullable().meta({ description: 'Accounting date of the payout' }),
    payoutReference: z.string().nullable().meta({ description: "The insurer's payout reference" }),
    rejectedReason: z.string().nullable(),
    transactionId: z.string().nullable(),
    createdAt: z.string(),
  })
  .meta({ id: 'InsuranceClaim' });

export const premiumBody = z.strictObject({
  date: calendarDate.meta({ description: 'Accounting date of the payment; not after today' }),
  amount: amount.meta({ description: "With what is already paid, at most the policy's agreed premium unless topUp is true" }),
  reference: text(200).optional().meta({ description: 'Bank slip number' }),
  topUp: z
    .boolean()
    .optional()
    .meta({
      description:
        'True to pay beyond the agreed premium: the county tops up a pool that claims exceeded (多退少补). ' +
        'Without it, a payment that would take the total premium paid past the agreed premium is refused with 409 invalid_state.',
    }),
});

export const refundBody = z.strictObject({
  date: calendarDate,
  amount: amount.meta({ description: 'At most what the pool holds' }),
  reference: text(200).meta({ description: "The insurer's refund or bank slip number" }),
});

export const carryForwardBody = z.strictObject({
  toPolicyId: id.meta({ description: "The next policy, in the same fund, that keeps the balance" }),
  date: calendarDate,
  amount: amount.meta({ description: 'At most what the pool holds' }),
  reference: text(200).optional(),
});

export const fileClaimBody = z.strictObject({
  policyId: id,
  householdId: id,
  cause: z.enum(claimCauses),
  date: calendarDate.meta({ description: 'Date of the claim, within the cover period and not after today' }),
  amountClaimed: amount,
});

export const approveClaimBody = z.strictObject({ amountApproved: amount.meta({ description: 'At most the amount claimed' }) });

export const payClaimBody = z.strictObject({
  payoutReference: text(200).meta({ description: "The insurer's payout reference" }),
  date: calendarDate.optional().meta({ description: 'Accounting date of the payout; today when omitted' }),
});

export const rejectClaimBody = z.strictObject({ reason: text(500) });

export const listPoliciesQuery = z.strictObject({ fundId: id.optional(), limit, cursor });

export const listClaimsQuery = z.strictObject({
  fundId: id.optional().meta({ description: "The claims on every policy of this fund" }),
  policyId: id.optional(),
  householdId: id.optional(),
  status: z.enum(claimStatuses).optional(),
  from: calendarDate.optional().meta({ description: 'Claims dated on or after this day' }),
  to: calendarDate.optional().meta({ description: 'Claims dated on or before this day' }),
  limit,
  cursor,
});

export const policyParams = z.object({ policyId: id });
export const claimParams = z.object({ claimId: id });
