import { z } from 'zod';
import { cursor, limit } from '../http/pagination.js';
import { amount, calendarDate, id, keyName, money, text } from '../http/schemas.js';
import { PERIOD_PATTERN } from '../ledger/dates.js';

export const fundParams = z.object({ fundId: id });
export const lineParams = z.object({ lineId: id });
export const reconciliationParams = z.object({
  fundId: id,
  period: z.string().regex(PERIOD_PATTERN, { error: 'a period is a month written YYYY-MM' }).meta({ examples: ['2026-03'] }),
});

const signedMoney = z
  .string()
  .regex(/^-?(0|[1-9]\d{0,17})(\.\d{1,2})?$/, { error: 'a balance is a decimal string with at most 2 decimals, e.g. "1234.50" or "-20.00"' })
  .meta({ description: 'Decimal string, may be zero or negative', examples: ['132000.00'] });

const statementLineIn = z.strictObject({
  date: calendarDate,
  direction: z.enum(['in', 'out']).meta({ description: 'in: money into the account (贷方/收入); out: money out of it (借方/支出)' }),
  amount,
  balanceAfter: signedMoney.meta({ description: 'The account balance after the line, as the bank prints it (余额)' }),
  counterpartyName: text(200).optional(),
  counterpartyAccount: text(64).optional(),
  bankReference: text(100).optional().meta({ description: "The bank's reference of the line (流水号/凭证号)" }),
  memo: text(500).optional(),
});

export const statementJson = z
  .strictObject({
    accountNumber: z.string().min(1).max(64),
    bankName: text(200).optional(),
    from: calendarDate,
    to: calendarDate,
    openingBalance: signedMoney,
    closingBalance: signedMoney,
    lines: z.array(statementLineIn).max(100_000),
  })
  .meta({ id: 'BankStatementIn', description: 'A bank statement as JSON: the same facts as the CSV, lines oldest first' });

const csvStatement = z.string().meta({
  description:
    'The CSV the bank exports (UTF-8 or GB18030): the statement’s facts first (账号, 开户行, 起始日期, 截止日期, 期初余额, 期末余额), then ' +
    'the table with Chinese headers — 交易日期, 收入金额/贷方发生额, 支出金额/借方发生额 (or a signed 交易金额), 余额, 对方户名, 对方账号, ' +
    '流水号/交易流水号/凭证号, 摘要/用途. See GET /v1/bank-statements/template and src/bank/statement-file.ts.',
});

export const importBody = z.union([csvStatement, statementJson]);

const matching = z
  .object({
    byReference: z.number().int().meta({ description: 'Matches made by a shared reference' }),
    byAmount: z.number().int().meta({ description: 'Matches made by amount and direction within the window, one candidate each way' }),
    matchedLines: z.number().int(),
    unmatchedLines: z.number().int().meta({ description: "The fund's bank lines no match holds, after this run" }),
    unmatchedEntries: z.number().int().meta({ description: "The fund's vouchers moving bank money that no match holds, after this run" }),
  })
  .meta({ id: 'BankMatching' });

export const importAnswer = z
  .object({
    statementId: z.string(),
    fundId: z.string(),
    accountNumber: z.string(),
    from: z.string(),
    to: z.string(),
    openingBalance: money,
    closingBalance: money,
    lines: z.number().int(),
    newLines: z.number().int().meta({ description: 'Lines not imported before' }),
    knownLines: z.number().int().meta({ description: 'Lines an earlier statement already brought (same bank reference, or same date, direction, amount and balance)' }),
    matching,
  })
  .meta({ id: 'BankStatementImport' });

export const autoMatchAnswer = matching;

export const match = z
  .object({
    matchId: z.string(),
    method: z.enum(['reference', 'amount', 'manual']),
    lineIds: z.array(z.string()),
    transactionIds: z.array(z.string()),
    createdBy: z.string(),
    createdByName: keyName('made the match'),
    createdAt: z.string(),
  })
  .meta({ id: 'BankMatch' });

export const undoneMatch = match.extend({ undoneBy: z.string(), undoneByName: keyName('undid the match') }).meta({ id: 'BankMatchUndone' });

export const matchBody = z.strictObject({
  transactionIds: z.array(id).min(1).max(500).meta({ description: 'The vouchers (transactions) the line is matched with' }),
  otherLineIds: z.array(id).max(500).optional().meta({ description: 'More bank lines of the same fund matched together with this one' }),
});

export const statementLine = z
  .object({
    id: z.string(),
    statementId: z.string().meta({ description: 'The statement that first brought the line' }),
    lineNo: z.number().int().meta({ description: 'Its line in that file (its place in the JSON lines)' }),
    date: z.string(),
    direction: z.enum(['in', 'out']),
    amount: money,
    balanceAfter: money,
    counterpartyName: z.string().nullable(),
    counterpartyAccount: z.string().nullable(),
    bankReference: z.string().nullable(),
    memo: z.string().nullable(),
    status: z.enum(['matched', 'unmatched']),
    match: z.object({ matchId: z.string(), method: z.string(), transactionIds: z.array(z.string()) }).nullable(),
  })
  .meta({ id: 'BankStatementLine' });

export const listLinesQuery = z.strictObject({
  status: z.enum(['matched', 'unmatched']).optional(),
  from: calendarDate.optional(),
  to: calendarDate.optional(),
  limit,
  cursor,
});

export const reconciliationQuery = z.strictObject({
  format: z.enum(['json', 'csv', 'pdf']).default('json'),
  staleDays: z.coerce
    .number()
    .int()
    .min(1)
    .max(3650)
    .optional()
    .meta({ description: 'Items outstanding longer than this many days are flagged stale (default 30)' }),
});

const item = { date: z.string(), amount: money, ageDays: z.number().int(), stale: z.boolean() };
const bankItems = z.object({
  items: z.array(z.object({ lineId: z.string(), ...item, bankReference: z.string().nullable(), counterpartyName: z.string().nullable(), memo: z.string().nullable() })),
  total: money,
});
const bookItems = z.object({
  items: z.array(z.object({ transactionId: z.string(), number: z.number().int(), ...item, description: z.string(), references: z.array(z.string()) })),
  total: money,
});

export const reconciliation = z
  .object({
    fund: z.object({ id: z.string(), code: z.string(), name: z.string(), bankAccountNumber: z.string().nullable(), bankName: z.string().nullable() }),
    period: z.string(),
    asOf: z.string().meta({ description: "The period's last day: the 调节表 is as of its end" }),
    staleDays: z.number().int(),
    statementCovered: z.boolean().meta({ description: 'Whether an imported statement covers asOf' }),
    since: z.string().nullable().meta({ description: 'The first day of the first imported statement; vouchers before it are not listed' }),
    opening: z.object({ bookBalance: money, bankBalance: money, agrees: z.boolean() }).nullable(),
    bookBalance: money.meta({ description: "The ledger's money in the bank (bank + bank_reserved) at the end of asOf" }),
    bankBalance: money.nullable().meta({ description: "The bank's balance at the end of asOf; null before any statement begins" }),
    bankInNotBooked: bankItems.meta({ description: '银行已收、单位未收' }),
    bankOutNotBooked: bankItems.meta({ description: '银行已付、单位未付' }),
    bookInNotBanked: bookItems.meta({ description: '单位已收、银行未收' }),
    bookOutNotBanked: bookItems.meta({ description: '单位已付、银行未付' }),
    adjustedBookBalance: money,
    adjustedBankBalance: money.nullable(),
    agrees: z.boolean(),
    reasons: z.array(z.string()).meta({ description: 'Why it does not agree; empty when it does' }),
    staleItems: z.number().int(),
  });
