import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { rows, type Tx } from '../db/client.js';
import { recordEvents } from '../events/outbox.js';
import { DomainError } from '../errors.js';
import { type AccountType, type Direction, signedEffect } from './accounts.js';
import { enlist } from './commit.js';
import { assertNotFuture, isCalendarDate } from './dates.js';
import { formatMoney, Money, parseAmount, sum } from './money.js';
import type { PostedTransaction } from './queries.js';

/** Explicit limits, checked before any lock is taken. */
export const LIMITS = {
  // A monthly batch pays every household of a township on one voucher.
  // Under PostgreSQL's 65,535 bind parameters for the one multi-row insert of lines (9 per line).
  linesPerTransaction: 6_000,
  descriptionLength: 500,
  referenceLength: 200,
  memoLength: 500,
} as const;

export interface LineInput {
  accountId: string;
  direction: Direction;
  amount: string;
  memo?: string | null;
}

export interface PostingInput {
  date: string;
  description: string;
  reference?: string | null;
  lines: LineInput[];
}

export interface PostingContext {
  /** Who posts: an API key id, kept on the transaction. */
  actor: string;
  /** Today's accounting date in the ledger's time zone. */
  today: string;
}

export interface LockedAccount {
  id: string;
  code: string;
  /** The account's role in the standard chart (bank, dividend_income, …), null for an account of the fund's own. */
  role: string | null;
  fund_id: string;
  type: AccountType;
  no_overdraft: boolean;
  balance: string;
  debit_total: string;
  credit_total: string;
  fund_status: string;
}

/**
 * Posts one balanced transaction inside the caller's ledger transaction (inLedgerTransaction,
 * commit.ts), so a business record and its money commit together or not at all. Invariants kept:
 *  - debits equal credits within every fund the transaction touches;
 *  - each touched account's stored balance and totals move by exactly its lines, and each line stores
 *    the balance after it;
 *  - no no-overdraft account ends below zero (also a CHECK in the database);
 *  - nothing is dated in a fund's closed accounting period (period_closed, checked before the commit);
 *  - the transaction is linked onto the hash chain of every fund it touches (chain.ts, before the commit);
 *  - locks are taken in one order — account rows by ascending id here, the touched funds' chain heads
 *    by ascending fund id at the end of the ledger transaction — so concurrent postings never deadlock.
 *    Some operations lock their accounts before calling here (to refuse with figures first); a head
 *    serialises the postings of its fund only.
 */
export async function postTransaction(
  tx: Tx,
  input: PostingInput,
  ctx: PostingContext,
  options: {
    reversal?: { of: string; reason: string };
    /** A rule of the caller's about the accounts, checked under their locks before anything is written. */
    checkAccounts?: (accounts: readonly LockedAccount[]) => void;
  } = {},
): Promise<PostedTransaction> {
  const { reversal } = options;
  const lines = validate(input, ctx);
  const accountIds = [...new Set(lines.map((l) => l.accountId))].sort();

  const locked = await rows<LockedAccount>(
    tx,
    sql`select a.id, a.code, a.role, a.fund_id, a.type, a.no_overdraft, a.balance, a.debit_total, a.credit_total, f.status as fund_status
        from accounts a join funds f on f.id = a.fund_id
        where a.id in (${sql.join(
          accountIds.map((id) => sql`${id}::uuid`),
          sql`, `,
        )})
        order by a.id
        for update of a`,
  );
  const byId = new Map(locked.map((a) => [a.id, a]));
  const missing = accountIds.filter((id) => !byId.has(id));
  if (missing.length) {
    throw new DomainError('unknown_account', `No account with id ${missing.join(', ')}.`, { accountIds: missing });
  }
  options.checkAccounts?.(locked);
  const closed = locked.find((a) => a.fund_status !== 'active');
  if (closed) throw new DomainError('fund_closed', `Fund ${closed.fund_id} is closed and takes no postings.`);

  assertBalancedPerFund(lines, byId);

  const fundIds = [...new Set(locked.map((a) => a.fund_id))];

  if (reversal) {
    // Checked under the account locks, which every reversal of the same transaction also takes.
    const existing = await rows<{ id: string }>(
      tx,
      sql`select id from transactions where reverses_transaction_id = ${reversal.of}`,
    );
    if (existing[0]) {
      throw new DomainError('already_reversed', `Transaction ${reversal.of} was already reversed by ${existing[0].id}.`, {
        reversedByTransactionId: existing[0].id,
      });
    }
  }

  const state = new Map(
    locked.map((a) => [
      a.id,
      { type: a.type, balance: new Money(a.balance), debit: new Money(a.debit_total), credit: new Money(a.credit_total) },
    ]),
  );
  const lineRows = lines.map((line, index) => {
    const account = state.get(line.accountId)!;
    account.balance = account.balance.plus(signedEffect(account.type, line.direction, line.amount));
    if (line.direction === 'debit') account.debit = account.debit.plus(line.amount);
    else account.credit = account.credit.plus(line.amount);
    return { line, index, balanceAfter: account.balance };
  });

  const overdrawn = locked.filter((a) => a.no_overdraft && state.get(a.id)!.balance.isNegative());
  if (overdrawn.length) {
    throw new DomainError(
      'insufficient_funds',
      overdrawn
        .map((a) => `Account ${a.id} has ${formatMoney(new Money(a.balance))}; this transaction would leave ${formatMoney(state.get(a.id)!.balance)}.`)
        .join(' '),
      {
        accounts: overdrawn.map((a) => ({
          accountId: a.id,
          balance: formatMoney(new Money(a.balance)),
          shortfall: formatMoney(state.get(a.id)!.balance.negated()),
        })),
      },
    );
  }

  const id = randomUUID();
  const funds = lineRows.map(({ line }) => byId.get(line.accountId)!.fund_id);
  const touched = locked.map((a) => ({ id: a.id, before: a, after: state.get(a.id)! }));
  // One statement, a fixed number of parameters however many lines (arrays, unnested): the voucher,
  // its lines with their running balances, the accounts' balances and the day's totals.
  const [written] = await rows<{ seq: string | number; created_at: string }>(
    tx,
    sql`with voucher as (
          insert into transactions (id, date, description, reference, reverses_transaction_id, reversal_reason, created_by)
          values (${id}::uuid, ${input.date}::date, ${input.description}, ${input.reference ?? null}, ${reversal?.of ?? null}::uuid,
                  ${reversal?.reason ?? null}, ${ctx.actor})
          returning seq, created_at),
        lines as (
          insert into transaction_lines (transaction_id, line_no, account_id, fund_id, direction, amount, memo, date, balance_after)
          select ${id}::uuid, v.line_no, v.account_id, v.fund_id, v.direction, v.amount, v.memo, ${input.date}::date, v.balance_after
            from unnest(${sql.param(lineRows.map((r) => r.index + 1))}::int[], ${sql.param(lineRows.map((r) => r.line.accountId))}::uuid[],
                        ${sql.param(funds)}::uuid[], ${sql.param(lineRows.map((r) => r.line.direction))}::text[],
                        ${sql.param(lineRows.map((r) => formatMoney(r.line.amount)))}::numeric[],
                        ${sql.param(lineRows.map((r) => r.line.memo ?? null))}::text[],
                        ${sql.param(lineRows.map((r) => formatMoney(r.balanceAfter)))}::numeric[])
                 with ordinality as v(line_no, account_id, fund_id, direction, amount, memo, balance_after, n)
           order by v.n),
        balances as (
          update accounts a set balance = v.balance, debit_total = v.debit_total, credit_total = v.credit_total
            from unnest(${sql.param(touched.map((t) => t.id))}::uuid[], ${sql.param(touched.map((t) => formatMoney(t.after.balance)))}::numeric[],
                        ${sql.param(touched.map((t) => formatMoney(t.after.debit)))}::numeric[],
                        ${sql.param(touched.map((t) => formatMoney(t.after.credit)))}::numeric[]) as v(id, balance, debit_total, credit_total)
           where a.id = v.id),
        days as (
          insert into account_daily_totals as d (account_id, date, debit_total, credit_total)
          select v.id, ${input.date}::date, v.debit, v.credit
            from unnest(${sql.param(touched.map((t) => t.id))}::uuid[],
                        ${sql.param(touched.map((t) => formatMoney(t.after.debit.minus(t.before.debit_total))))}::numeric[],
                        ${sql.param(touched.map((t) => formatMoney(t.after.credit.minus(t.before.credit_total))))}::numeric[]) as v(id, debit, credit)
          on conflict (account_id, date) do update
            set debit_total = d.debit_total + excluded.debit_total, credit_total = d.credit_total + excluded.credit_total)
        select seq, to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as created_at from voucher`,
  );

  // The answer is what was written, not read back: every field is known here.
  const posted: PostedTransaction = {
    id,
    number: Number(written!.seq),
    date: input.date,
    description: input.description,
    reference: input.reference ?? null,
    reversesTransactionId: reversal?.of ?? null,
    reversedByTransactionId: null,
    reversalReason: reversal?.reason ?? null,
    createdBy: ctx.actor,
    createdAt: written!.created_at,
    lines: lineRows.map(({ line, index, balanceAfter }) => ({
      lineNo: index + 1,
      accountId: line.accountId,
      fundId: byId.get(line.accountId)!.fund_id,
      direction: line.direction,
      amount: formatMoney(line.amount),
      memo: line.memo ?? null,
      balanceAfter: formatMoney(balanceAfter),
    })),
  };
  await recordEvents(
    tx,
    fundIds.map((fundId) => ({
      type: 'transaction.posted',
      fundId,
      subjectId: id,
      payload: { transactionId: id, number: posted.number, date: posted.date, reversesTransactionId: posted.reversesTransactionId },
    })),
  );
  // Linked onto the funds' chains, after the period check, at the end of the ledger transaction (commit.ts).
  enlist(tx, posted);
  return posted;
}

interface ParsedLine {
  accountId: string;
  direction: Direction;
  amount: Money;
  memo?: string | null;
}

/** Checks everything that needs no database; the HTTP schemas check the same, this guards other callers. */
function validate(input: PostingInput, ctx: PostingContext): ParsedLine[] {
  const fail = (message: string) => new DomainError('validation_failed', message);
  if (!isCalendarDate(input.date)) throw fail(`date: ${input.date} is not a calendar date (YYYY-MM-DD).`);
  assertNotFuture(input.date, ctx.today);
  if (!input.description?.trim()) throw fail('description: must not be empty.');
  if (input.description.length > LIMITS.descriptionLength) throw fail(`description: at most ${LIMITS.descriptionLength} characters.`);
  if (input.reference && input.reference.length > LIMITS.referenceLength) throw fail(`reference: at most ${LIMITS.referenceLength} characters.`);
  if (!Array.isArray(input.lines) || input.lines.length < 2) throw fail('lines: a transaction has at least two lines.');
  if (input.lines.length > LIMITS.linesPerTransaction) throw fail(`lines: at most ${LIMITS.linesPerTransaction} lines.`);
  return input.lines.map((line, i) => {
    if (line.direction !== 'debit' && line.direction !== 'credit') throw fail(`lines[${i}].direction: must be "debit" or "credit".`);
    if (line.memo && line.memo.length > LIMITS.memoLength) throw fail(`lines[${i}].memo: at most ${LIMITS.memoLength} characters.`);
    return { ...line, amount: parseAmount(line.amount, `lines[${i}].amount`) };
  });
}

function assertBalancedPerFund(lines: ParsedLine[], accounts: Map<string, LockedAccount>): void {
  const funds = new Map<string, { debit: Money[]; credit: Money[] }>();
  for (const line of lines) {
    const fundId = accounts.get(line.accountId)!.fund_id;
    const sides = funds.get(fundId) ?? { debit: [], credit: [] };
    sides[line.direction].push(line.amount);
    funds.set(fundId, sides);
  }
  const unbalanced = [...funds].flatMap(([fundId, sides]) => {
    const debit = sum(sides.debit);
    const credit = sum(sides.credit);
    return debit.eq(credit) ? [] : [{ fundId, debit: formatMoney(debit), credit: formatMoney(credit) }];
  });
  if (unbalanced.length) {
    throw new DomainError(
      'unbalanced_transaction',
      unbalanced.map((u) => `In fund ${u.fundId} debits total ${u.debit} but credits total ${u.credit}.`).join(' ') +
        ' Debits must equal credits within each fund.',
      { funds: unbalanced },
    );
  }
}
