import { z } from 'zod';
import { trialBalance } from '../funds/schemas.js';
import { calendarDate, id, money, type ProblemCode, problems } from '../http/schemas.js';
import { accountTypes } from '../ledger/accounts.js';
import { PERIOD_PATTERN } from '../ledger/dates.js';
import { exportFormats } from './export.js';
import { statementKinds } from './service.js';

export const formats = ['json', 'csv', 'pdf'] as const;
export type Format = (typeof formats)[number];

const format = z
  .enum(formats)
  .default('json')
  .meta({ description: 'json (default), csv (UTF-8 with BOM) or pdf; all three carry the same figures and digest' });

const from = calendarDate.optional().meta({ description: 'First day of the period; 1 January of `to`’s year when omitted' });
const to = calendarDate.optional().meta({ description: 'Last day of the period; today when omitted' });
const asOf = calendarDate.optional().meta({ description: 'End of this day; today when omitted' });

export const periodQuery = z.strictObject({ from, to, format });
export const asOfQuery = z.strictObject({ asOf, format });
export const formatQuery = z.strictObject({ format });
export const exportQuery = z.strictObject({
  format: z.enum(exportFormats).default('ledger').meta({ description: 'ledger (hledger, ledger-cli; default) or beancount' }),
  asOf,
});

export const fundParams = z.object({ fundId: id });
export const accountParams = z.object({ accountId: id });
export const householdParams = z.object({ householdId: id });
export const villageParams = z.object({ villageId: id });
export const policyParams = z.object({ policyId: id });

const digest = z
  .string()
  .regex(/^[0-9a-fA-F]{64}$/, { error: 'a digest is 64 hexadecimal characters (SHA-256)' })
  .meta({ description: 'SHA-256 of the statement’s canonical data, as printed in the footer', examples: ['9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08'] });

/** What every statement carries besides its figures. */
export const provenance = {
  digest: z.string().meta({ description: 'SHA-256 over the canonical JSON of the statement without generatedAt and generatedBy' }),
  generatedAt: z.string().meta({ description: 'When it was generated (ISO 8601)' }),
  generatedBy: z.object({ id: z.string(), name: z.string() }).meta({ description: 'The API key that asked for it' }),
};
const period = z.object({ from: z.string(), to: z.string() });
/** 制单 and 审核 of a voucher line, by the names of the keys that acted (the ids are not printed). */
const preparedByName = (who: string) =>
  z.string().nullable().meta({ description: `制单: the name of the API key that ${who}; null when the key is unknown` });
const approvedByName = (what: string) =>
  z.string().nullable().meta({ description: `审核: the name of the API key that approved ${what}; null when none did` });
const fundRef = z.object({ id: z.string(), code: z.string(), name: z.string() });
const villageRef = z.object({ id: z.string(), code: z.string(), name: z.string(), township: z.string(), county: z.string() });

export const fundStatement = z
  .object({
    kind: z.literal('fund'),
    fund: fundRef.extend({ organisation: z.string() }),
    period,
    openingBalance: money.meta({ description: 'The fund’s cash (bank + bank_reserved) at the end of the day before the period' }),
    income: z.object({
      dividends: money,
      donations: money,
      fiscalTransfers: money,
      insuranceRefunds: money,
      other: money.meta({ description: 'Cash in against any account outside these sources' }),
      total: money,
    }),
    outgoings: z.object({
      byCategory: z.array(z.object({ category: z.string(), name: z.string(), amount: money.meta({ description: 'Paid, net of bank returns' }) })),
      insurancePremiums: money,
      other: money,
      total: money,
    }),
    byVillage: z.array(
      z.object({ villageId: z.string().nullable(), villageCode: z.string().nullable(), villageName: z.string(), amount: money }),
    ).meta({ description: 'The category disbursements by village; a null village holds what no disbursement explains' }),
    reserved: money.meta({ description: 'Approved, not yet paid (bank_reserved) at the end of the period' }),
    available: money.meta({ description: 'Free to approve (bank) at the end of the period' }),
    closingBalance: money,
    reconciles: z.boolean().meta({ description: 'openingBalance + income.total − outgoings.total = closingBalance' }),
    ...provenance,
  })
  .meta({ id: 'FundStatement', description: 'Fund statement (基金收支报表): the fund’s cash over a period, by source and use' });

export const ledgerStatement = z
  .object({
    kind: z.literal('ledger'),
    account: z.object({ id: z.string(), code: z.string(), name: z.string(), type: z.enum(accountTypes), normalSide: z.enum(['debit', 'credit']) }),
    fund: fundRef,
    period,
    openingBalance: money,
    lines: z.array(
      z.object({
        date: z.string(),
        voucherNumber: z.number().int(),
        transactionId: z.string(),
        lineNo: z.number().int(),
        description: z.string(),
        memo: z.string().nullable(),
        debit: money,
        credit: money,
        balance: money.meta({ description: 'After this line, positive on the normal side' }),
        preparedByName: preparedByName('posted the voucher'),
      }),
    ),
    totals: z.object({ debit: money, credit: money }),
    closingBalance: money,
    ...provenance,
  })
  .meta({ id: 'LedgerStatement', description: 'Account ledger (明细账): the lines of a period by date and voucher, with running balance' });

export const trialBalanceStatement = trialBalance
  .extend({ kind: z.literal('trial-balance'), fund: fundRef, ...provenance })
  .meta({ id: 'TrialBalanceStatement', description: 'Trial balance (试算平衡表) of a fund at the end of a day' });

const categoryTotal = z.object({ category: z.string(), name: z.string(), count: z.number().int(), amount: money });

export const householdStatement = z
  .object({
    kind: z.literal('household'),
    household: z.object({
      id: z.string(),
      code: z.string(),
      headName: z.string(),
      idNumberMasked: z.string(),
      memberCount: z.number().int(),
      village: z.object({ id: z.string(), code: z.string(), name: z.string() }),
    }),
    period,
    funds: z.array(fundRef.extend({ categories: z.array(categoryTotal), total: money })),
    items: z.array(
      z.object({
        date: z.string(),
        fundCode: z.string(),
        category: z.string(),
        name: z.string(),
        kind: z.enum(['disbursement', 'insurance_claim']),
        amount: money,
        reference: z.string().nullable(),
        preparedByName: preparedByName('requested the payment or filed the claim'),
        approvedByName: approvedByName('it'),
      }),
    ),
    total: money,
    ...provenance,
  })
  .meta({ id: 'HouseholdStatement', description: 'Everything one household received in a period, by fund and category' });

export const villageStatement = z
  .object({
    kind: z.literal('village'),
    village: villageRef,
    period,
    funds: z.array(
      z.object({
        fundId: z.string(),
        fundCode: z.string(),
        fundName: z.string(),
        accountId: z.string(),
        opening: money,
        allocated: money,
        spent: money,
        remaining: money,
      }),
    ),
    totals: z.object({ opening: money, allocated: money, spent: money, remaining: money }),
    dividends: z.array(
      z.object({
        dividendId: z.string(),
        date: z.string(),
        fundCode: z.string(),
        industry: z.string(),
        dividendAmount: money,
        ruleVersion: z.number().int(),
        ruleEffectiveFrom: z.string(),
        projectVillageShare: z.string(),
        radiatingShare: z.string(),
        role: z.enum(['project', 'radiating']),
        weight: z.string().nullable(),
        amount: money,
        voidOf: z.string().nullable().meta({ description: 'A void (作废) of the dividend of this date, its amounts negative; null for a split' }),
      }),
    ),
    spending: z
      .array(
        z.object({
          date: z.string(),
          voucherNumber: z.number().int(),
          fundCode: z.string(),
          kind: z.enum(['disbursement', 'batch', 'other']).meta({ description: 'The approval of a disbursement or of a batch, or another voucher' }),
          category: z.string().nullable(),
          description: z.string().meta({ description: 'The household paid (code and head), the batch’s description, or the voucher’s' }),
          amount: money,
          preparedByName: preparedByName('requested the payment or batch (for another voucher, posted it)'),
          approvedByName: approvedByName('the payment or batch'),
        }),
      )
      .meta({ description: 'Each use of the allocation in the period (approvals reserve from it), dividend voids aside: they add up to the funds’ spent' }),
    ...provenance,
  })
  .meta({
    id: 'VillageStatement',
    description: 'Village allocation statement: allocated, spent, remaining per fund, each dividend split with its rule version, and each use of the allocation',
  });

export const noticeStatement = z
  .object({
    kind: z.literal('notice'),
    village: villageRef,
    period,
    rows: z.array(
      z.object({
        no: z.number().int(),
        name: z.string().meta({ description: 'Head of household, masked: 张*明' }),
        memberCount: z.number().int(),
        fundCode: z.string(),
        fundName: z.string(),
        category: z.string(),
        categoryName: z.string(),
        date: z.string(),
        amount: money,
      }),
    ),
    totalsByCategory: z.array(categoryTotal),
    householdCount: z.number().int(),
    total: money,
    ...provenance,
  })
  .meta({ id: 'NoticeStatement', description: 'Village public notice (公示表): payments of a period, names masked, no ID number, phone or health detail' });

export const insuranceStatement = z
  .object({
    kind: z.literal('insurance'),
    policy: z.object({
      id: z.string(),
      insurer: z.string(),
      policyNumber: z.string().nullable(),
      premium: money,
      coverFrom: z.string(),
      coverTo: z.string(),
      coveredPopulation: z.string(),
      coveredCount: z.number().int().nullable(),
    }),
    fund: fundRef,
    premiumPaid: money,
    claims: z.array(z.object({ status: z.enum(['filed', 'approved', 'paid', 'rejected']), count: z.number().int(), amountClaimed: money, amountApproved: money })),
    householdsPaid: z.number().int(),
    paidOut: money,
    payouts: z.array(
      z.object({
        date: z.string(),
        householdCode: z.string(),
        amount: money,
        reference: z.string().nullable(),
        preparedByName: preparedByName('filed the claim'),
        approvedByName: approvedByName('the claim'),
      }),
    ),
    refunded: money,
    carriedForwardIn: money,
    carriedForwardOut: money,
    surplus: money.meta({ description: 'premiumPaid + carriedForwardIn − paidOut − refunded − carriedForwardOut; negative: owed to the insurer' }),
    poolBalance: money,
    ...provenance,
  })
  .meta({ id: 'InsuranceStatement', description: 'Insurance statement (防贫保): premium paid, claims by status, payouts, surplus' });

/**
 * A statement route's answers: the JSON statement, or the same statement as CSV or PDF, chosen by
 * `format`; errors are problem+json whatever the format.
 */
export const statementResponses = (schema: z.ZodType, ...codes: ProblemCode[]) => ({
  200: {
    description: 'The statement: JSON by default, text/csv for format=csv, application/pdf for format=pdf',
    content: {
      'application/json': { schema },
      'text/csv': { schema: z.string().meta({ description: 'UTF-8 with a byte-order mark: header fields and digest, then each table' }) },
      'application/pdf': { schema: z.string().meta({ format: 'binary', description: 'A4, with the statement kind, fund, period, page X of Y and the digest on every page' }) },
    },
    // As src/statements/reply.ts sends them, for CSV and PDF only (the JSON carries its digest in the body).
    headers: {
      'Content-Disposition': { description: 'format=csv: attachment, format=pdf: inline; with the file name', type: 'string' },
      'X-Statement-Digest': { description: "format=csv and format=pdf: the statement's digest, as printed on it", type: 'string', pattern: '^[0-9a-f]{64}$' },
    },
  },
  ...problems(...codes),
});

const periodParams = { from: calendarDate.optional(), to: calendarDate.optional() };

export const verifyBody = z
  .discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('fund'), params: z.strictObject({ fundId: id, ...periodParams }), digest }),
    z.strictObject({ kind: z.literal('ledger'), params: z.strictObject({ accountId: id, ...periodParams }), digest }),
    z.strictObject({ kind: z.literal('trial-balance'), params: z.strictObject({ fundId: id, asOf: calendarDate.optional() }), digest }),
    z.strictObject({ kind: z.literal('household'), params: z.strictObject({ householdId: id, ...periodParams }), digest }),
    z.strictObject({ kind: z.literal('village'), params: z.strictObject({ villageId: id, ...periodParams }), digest }),
    z.strictObject({ kind: z.literal('notice'), params: z.strictObject({ villageId: id, ...periodParams }), digest }),
    z.strictObject({ kind: z.literal('insurance'), params: z.strictObject({ policyId: id }), digest }),
    z.strictObject({ kind: z.literal('general-ledger'), params: z.strictObject({ fundId: id, year: z.number().int().min(1900).max(9999) }), digest }),
    z.strictObject({ kind: z.literal('voucher'), params: z.strictObject({ transactionId: id }), digest }),
    z.strictObject({
      kind: z.literal('bank-reconciliation'),
      params: z.strictObject({ fundId: id, period: z.string().regex(PERIOD_PATTERN), staleDays: z.number().int().min(1).max(3650).optional() }),
      digest,
    }),
  ])
  .meta({ description: 'The statement kind, the parameters it was asked with (as printed: pass from and to explicitly), and the digest printed on it' });

export const verifyResult = z
  .object({
    kind: z.enum(statementKinds),
    valid: z.boolean().meta({ description: 'True when the ledger still yields this digest for these parameters' }),
    digest: z.string().meta({ description: 'The digest the ledger yields now' }),
  })
  .meta({ id: 'StatementVerification' });

export const yearQuery = z.strictObject({
  year: z.coerce.number().int().min(1900).max(9999).meta({ description: 'The calendar year; this year when omitted' }).optional(),
  format,
});

const side = z.enum(['借', '贷', '平']).meta({ description: '借 debit, 贷 credit, 平 nil: the side the balance stands on' });
export const generalLedgerStatement = z
  .object({
    kind: z.literal('general-ledger'),
    fund: fundRef,
    year: z.number().int(),
    accounts: z.array(
      z.object({
        accountId: z.string(),
        code: z.string(),
        name: z.string(),
        type: z.enum(accountTypes),
        opening: z.object({ balance: money, side }).meta({ description: '上年结转: the balance brought forward from before the year' }),
        months: z.array(
          z.object({ month: z.string(), debit: money, credit: money, balance: money, side, yearDebit: money, yearCredit: money }),
        ),
      }),
    ),
    totals: z.array(z.object({ month: z.string(), debit: money, credit: money })),
    ...provenance,
  })
  .meta({ id: 'GeneralLedger', description: '总账: per account, the balance brought forward, each month’s debits, credits and balance, and the year to date' });
