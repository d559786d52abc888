import { randomBytes } from 'node:crypto';
import { type SQL, sql } from 'drizzle-orm';
import { rows, type Tx } from '../db/client.js';
import { type EventInput, recordEvents } from '../events/outbox.js';
import { DomainError } from '../errors.js';
import { type AccountType, type Direction, signedEffect } from './accounts.js';
import { enlist } from './commit.js';
import { assertNotFuture, isCalendarDate } from './dates.js';
import { formatMoney, Money, parseAmount, sum } from './money.js';
import type { PostedTransaction } from './queries.js';

/**
 * A voucher's id: a UUID of version 7 (RFC 9562), its first 48 bits the millisecond, then 74 random bits. The
 * journal's indexes on voucher ids (a voucher's lines, a fund's lines) then grow at their end as the ledger
 * grows, instead of taking each insert to a random page that may no longer be in memory.
 */
export function voucherId(now: number = Date.now()): string {
  const bytes = randomBytes(16);
  bytes.writeUIntBE(now, 0, 6);
  bytes[6] = 0x70 | (bytes[6]! & 0x0f);
  bytes[8] = 0x80 | (bytes[8]! & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Explicit limits, checked before any lock is taken. */
export const LIMITS = {
  // A monthly batch pays every household of a township on one voucher.
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
  fund_status: string;
  /** The fund's manualVouchersNeedReview: hand-posted vouchers go through a draft and another key's review. */
  fund_review: boolean;
}

/** An account as a posting decides against it: its locked row and its running balance in this database transaction. */
export interface HeldAccount {
  row: LockedAccount;
  balance: Money;
}

export const holdAccounts = (locked: readonly LockedAccount[]): Map<string, HeldAccount> =>
  new Map(
    locked.map((a) => [a.id, { row: a, balance: new Money(a.balance) }]),
  );

/**
 * Account rows (with their fund's status) locked in ascending id order: the one lock order of the
 * ledger. A query, to run alone (lockAccounts) or as a WITH part of a larger statement; figures as text.
 */
export const lockedAccountsQuery = (accountIds: readonly string[]): SQL => sql`${accountsQuery(accountIds)} for update of a`;

/** The same rows unlocked: what a draft is checked against (it takes no lock until it posts). */
export const accountsQuery = (accountIds: readonly string[]): SQL =>
  sql`select a.id, a.code, a.role, a.fund_id, a.type, a.no_overdraft, a.balance::text as balance, f.status as fund_status,
             f.manual_vouchers_need_review as fund_review
        from accounts a join funds f on f.id = a.fund_id
       where a.id = any(${sql.param([...accountIds])}::uuid[])
       order by a.id`;

export async function lockAccounts(tx: Tx, accountIds: readonly string[]): Promise<LockedAccount[]> {
  if (!accountIds.length) return [];
  return rows<LockedAccount>(tx, lockedAccountsQuery(accountIds));
}

export interface PostingOptions {
  reversal?: { of: string; reason: string };
  /** A rule of the caller's about the accounts, checked under their locks before anything is written. */
  checkAccounts?: (accounts: readonly LockedAccount[]) => void;
}

/** A posting decided against locked accounts, not yet written: what writePostings needs. */
export interface DecidedPosting {
  id: string;
  input: PostingInput;
  actor: string;
  reversal?: { of: string; reason: string };
  /** balanceAfter: the account's balance after the line, formatted (the answer, the journal and the chain take it as text). */
  lines: { line: ParsedLine; lineNo: number; fundId: string; balanceAfter: string }[];
}

/** The account ids a posting would touch, sorted; throws what validation throws. */
export function accountsOf(input: PostingInput, ctx: PostingContext): string[] {
  return [...new Set(validate(input, ctx).map((l) => l.accountId))].sort();
}

/**
 * Decides one posting in memory against accounts this database transaction holds locked, in the order
 * of the checks a caller sees: validation, unknown accounts, the caller's rule, closed funds, balance per
 * fund, overdraft. Accepted, it moves the held figures (the next posting decides against them); refused,
 * it throws and moves nothing. Both postTransaction and a posting group (group.ts) decide here.
 */
export function decidePosting(
  input: PostingInput,
  ctx: PostingContext,
  held: Map<string, HeldAccount>,
  options: PostingOptions = {},
): DecidedPosting {
  const lines = validate(input, ctx);
  const accountIds = [...new Set(lines.map((l) => l.accountId))].sort();
  const missing = accountIds.filter((id) => !held.has(id));
  if (missing.length) {
    throw new DomainError('unknown_account', `No account with id ${missing.join(', ')}.`, { accountIds: missing });
  }
  const accounts = accountIds.map((id) => held.get(id)!);
  const byId = new Map(accounts.map((a) => [a.row.id, a.row]));
  options.checkAccounts?.(accounts.map((a) => a.row));
  const closed = accounts.find((a) => a.row.fund_status !== 'active');
  if (closed) throw new DomainError('fund_closed', `Fund ${closed.row.fund_id} is closed and takes no postings.`);
  assertBalancedPerFund(lines, byId);

  const running = new Map(accounts.map((a) => [a.row.id, { balance: a.balance }]));
  const decidedLines = lines.map((line, index) => {
    const account = running.get(line.accountId)!;
    const type = byId.get(line.accountId)!.type;
    account.balance = account.balance.plus(signedEffect(type, line.direction, line.amount));
    return { line, lineNo: index + 1, fundId: byId.get(line.accountId)!.fund_id, balanceAfter: formatMoney(account.balance) };
  });

  const overdrawn = accounts.filter((a) => a.row.no_overdraft && running.get(a.row.id)!.balance.isNegative());
  if (overdrawn.length) {
    throw new DomainError(
      'insufficient_funds',
      overdrawn
        .map((a) => `Account ${a.row.id} has ${formatMoney(a.balance)}; this transaction would leave ${formatMoney(running.get(a.row.id)!.balance)}.`)
        .join(' '),
      {
        accounts: overdrawn.map((a) => ({
          accountId: a.row.id,
          balance: formatMoney(a.balance),
          shortfall: formatMoney(running.get(a.row.id)!.balance.negated()),
        })),
      },
    );
  }

  for (const a of accounts) Object.assign(a, running.get(a.row.id)!);
  return { id: voucherId(), input, actor: ctx.actor, reversal: options.reversal, lines: decidedLines };
}

/**
 * The writing of decided postings, in the order decided, as the parts of ONE statement's WITH list however
 * many postings (a fixed number of parameters): `vouchers` (returning id, seq, created_at), their lines
 * with running balances, each account's figures and the day totals. With `numbers` (drawn in ascending
 * order, one per posting) the vouchers take them; else the ledger's sequence numbers them as they are
 * inserted.
 *
 * The accounts' figures and day totals are summed in the statement from the lines it writes: an account's
 * balance becomes its last line's balance after (decided under its lock), its totals grow by its lines,
 * so the journal and the balances cannot tell different stories.
 */
export function postingParts(decided: readonly DecidedPosting[], numbers?: readonly number[]): SQL[] {
  const voucherRows = sql`unnest(${sql.param(decided.map((d) => d.id))}::uuid[], ${sql.param(decided.map((d) => d.input.date))}::date[],
                        ${sql.param(decided.map((d) => d.input.description))}::text[], ${sql.param(decided.map((d) => d.input.reference ?? null))}::text[],
                        ${sql.param(decided.map((d) => d.reversal?.of ?? null))}::uuid[], ${sql.param(decided.map((d) => d.reversal?.reason ?? null))}::text[],
                        ${sql.param(decided.map((d) => d.actor))}::text[], ${sql.param(numbers ? [...numbers] : decided.map(() => null))}::bigint[])
                 with ordinality as v(id, date, description, reference, reverses, reason, created_by, seq, n)`;
  // One JSON parameter for all the lines rather than an array per column: the driver escapes every element
  // of an array, and a line has nine. `n` is decided order (the lines' ids, the last balance of an account).
  const lines: object[] = [];
  for (const d of decided) {
    for (const l of d.lines) {
      lines.push({
        n: lines.length,
        transaction_id: d.id,
        line_no: l.lineNo,
        account_id: l.line.accountId,
        fund_id: l.fundId,
        direction: l.line.direction,
        amount: l.line.amountText,
        memo: l.line.memo ?? null,
        date: d.input.date,
        balance_after: l.balanceAfter,
      });
    }
  }
  return [
    numbers
      ? sql`vouchers as (
          insert into transactions (id, seq, date, description, reference, reverses_transaction_id, reversal_reason, created_by)
          overriding system value
          select v.id, v.seq, v.date, v.description, v.reference, v.reverses, v.reason, v.created_by from ${voucherRows} order by v.n
          returning id, seq, created_at)`
      : sql`vouchers as (
          insert into transactions (id, date, description, reference, reverses_transaction_id, reversal_reason, created_by)
          select v.id, v.date, v.description, v.reference, v.reverses, v.reason, v.created_by from ${voucherRows} order by v.n
          returning id, seq, created_at)`,
    sql`new_lines as materialized (
          select * from jsonb_to_recordset(${JSON.stringify(lines)}::jsonb)
              as v(n int, transaction_id uuid, line_no int, account_id uuid, fund_id uuid, direction text, amount numeric, memo text, date date,
                   balance_after numeric))`,
    sql`lines as (
          insert into transaction_lines (transaction_id, line_no, account_id, fund_id, direction, amount, memo, date, balance_after)
          select transaction_id, line_no, account_id, fund_id, direction, amount, memo, date, balance_after from new_lines order by n)`,
    sql`balances as (
          update accounts a set balance = v.balance, debit_total = a.debit_total + v.debit, credit_total = a.credit_total + v.credit
            from (select account_id, (array_agg(balance_after order by n desc))[1] as balance,
                         coalesce(sum(amount) filter (where direction = 'debit'), 0) as debit,
                         coalesce(sum(amount) filter (where direction = 'credit'), 0) as credit
                    from new_lines group by account_id) v
           where a.id = v.account_id)`,
    sql`days as (
          insert into account_daily_totals as d (account_id, date, debit_total, credit_total)
          select account_id, date, coalesce(sum(amount) filter (where direction = 'debit'), 0), coalesce(sum(amount) filter (where direction = 'credit'), 0)
            from new_lines group by account_id, date
          on conflict (account_id, date) do update
            set debit_total = d.debit_total + excluded.debit_total, credit_total = d.credit_total + excluded.credit_total)`,
  ];
}

/** The postings as written: the answer is built from what was written, not read back. */
export function postedFrom(decided: readonly DecidedPosting[], numbers: readonly number[], createdAt: string): PostedTransaction[] {
  return decided.map((d, i) => ({
    id: d.id,
    number: numbers[i]!,
    date: d.input.date,
    description: d.input.description,
    reference: d.input.reference ?? null,
    reversesTransactionId: d.reversal?.of ?? null,
    reversedByTransactionId: null,
    reversalReason: d.reversal?.reason ?? null,
    createdBy: d.actor,
    createdAt,
    lines: d.lines.map(({ line, lineNo, fundId, balanceAfter }) => ({
      lineNo,
      accountId: line.accountId,
      fundId,
      direction: line.direction,
      amount: line.amountText,
      memo: line.memo ?? null,
      balanceAfter,
    })),
  }));
}

/** Writes decided postings in one statement, numbered by the ledger's sequence in the order decided. */
export async function writePostings(tx: Tx, decided: readonly DecidedPosting[]): Promise<PostedTransaction[]> {
  if (!decided.length) return [];
  const written = await rows<{ id: string; seq: string | number; created_at: string }>(
    tx,
    sql`with ${sql.join(postingParts(decided), sql`, `)}
        select id, seq, to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as created_at from vouchers`,
  );
  const byId = new Map(written.map((w) => [w.id, w]));
  const numbers = decided.map((d) => Number(byId.get(d.id)!.seq));
  for (let i = 1; i < numbers.length; i++) {
    // An invariant, not a user's error: the chain links in decided order, and numbers are read as posting order.
    if (numbers[i]! <= numbers[i - 1]!) throw new Error(`voucher numbers out of decided order: ${numbers.join(', ')}`);
  }
  return postedFrom(decided, numbers, written[0]!.created_at);
}

export const postedEvents = (posted: PostedTransaction): EventInput[] =>
  [...new Set(posted.lines.map((l) => l.fundId))].map((fundId) => ({
    type: 'transaction.posted' as const,
    fundId,
    subjectId: posted.id,
    payload: { transactionId: posted.id, number: posted.number, date: posted.date, reversesTransactionId: posted.reversesTransactionId },
  }));

/**
 * Posts one balanced transaction inside the caller's ledger transaction (inLedgerTransaction or a posting
 * group's, commit.ts / group.ts), so a business record and its money commit together or not at all.
 * Invariants kept:
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
export async function postTransaction(tx: Tx, input: PostingInput, ctx: PostingContext, options: PostingOptions = {}): Promise<PostedTransaction> {
  const held = holdAccounts(await lockAccounts(tx, accountsOf(input, ctx)));
  const { reversal } = options;
  if (reversal) {
    // Checked under the account locks, which every reversal of the same transaction also takes.
    const existing = await rows<{ id: string }>(tx, sql`select id from transactions where reverses_transaction_id = ${reversal.of}`);
    if (existing[0]) {
      throw new DomainError('already_reversed', `Transaction ${reversal.of} was already reversed by ${existing[0].id}.`, {
        reversedByTransactionId: existing[0].id,
      });
    }
  }
  const [posted] = await writePostings(tx, [decidePosting(input, ctx, held, options)]);
  await recordEvents(tx, postedEvents(posted!));
  // Linked onto the funds' chains, after the period check, at the end of the ledger transaction (commit.ts).
  enlist(tx, posted!);
  return posted!;
}

export interface ParsedLine {
  accountId: string;
  direction: Direction;
  amount: Money;
  /** The amount formatted once, as answered and written. */
  amountText: string;
  memo?: string | null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

// A posting group validates each order twice (to learn its accounts, then to decide it): once is enough.
const validated = new WeakMap<PostingInput, { today: string; lines: ParsedLine[] }>();

/** Checks everything that needs no database; the HTTP schemas check the same, this guards other callers. */
function validate(input: PostingInput, ctx: PostingContext): ParsedLine[] {
  const known = validated.get(input);
  if (known?.today === ctx.today) return known.lines;
  const lines = validateAnew(input, ctx);
  validated.set(input, { today: ctx.today, lines });
  return lines;
}

function validateAnew(input: PostingInput, ctx: PostingContext): ParsedLine[] {
  const fail = (message: string) => new DomainError('validation_failed', message);
  if (!isCalendarDate(input.date)) throw fail(`date: ${input.date} is not a calendar date (YYYY-MM-DD).`);
  assertNotFuture(input.date, ctx.today);
  if (!input.description?.trim()) throw fail('description: must not be empty.');
  if (input.description.length > LIMITS.descriptionLength) throw fail(`description: at most ${LIMITS.descriptionLength} characters.`);
  if (input.reference && input.reference.length > LIMITS.referenceLength) throw fail(`reference: at most ${LIMITS.referenceLength} characters.`);
  if (!Array.isArray(input.lines) || input.lines.length < 2) throw fail('lines: a transaction has at least two lines.');
  if (input.lines.length > LIMITS.linesPerTransaction) throw fail(`lines: at most ${LIMITS.linesPerTransaction} lines.`);
  return input.lines.map((line, i) => {
    // Checked here and not left to the database: a posting group locks many postings' accounts in one statement.
    if (typeof line.accountId !== 'string' || !UUID.test(line.accountId)) throw fail(`lines[${i}].accountId: not an account id (a UUID).`);
    if (line.direction !== 'debit' && line.direction !== 'credit') throw fail(`lines[${i}].direction: must be "debit" or "credit".`);
    if (line.memo && line.memo.length > LIMITS.memoLength) throw fail(`lines[${i}].memo: at most ${LIMITS.memoLength} characters.`);
    const amount = parseAmount(line.amount, `lines[${i}].amount`);
    return { ...line, amount, amountText: formatMoney(amount) };
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
