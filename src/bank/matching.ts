import { randomUUID } from 'node:crypto';
import { and, eq, inArray, sql } from 'drizzle-orm';
import { type Executor, rows, type Tx } from '../db/client.js';
import { bankMatchEntries, bankMatches, bankMatchLines, bankStatementLines } from '../db/schema.js';
import { DomainError, notFound } from '../errors.js';
import { addDays } from '../ledger/dates.js';
import { Money, formatMoney, sum } from '../ledger/money.js';
import { type BankMovement, bankMovements } from './movements.js';
import type { Direction } from './statement-file.js';

/**
 * Matching bank lines to the ledger's movements (src/bank/movements.ts). A match pairs lines and vouchers
 * of one direction whose sums are equal: one to one, a dividend received in two transfers (two lines, one
 * voucher), one bank debit for several vouchers. It never changes the ledger; undone, it stays on record
 * with who and when. Invariant, held by two partial unique indexes: a line, and a voucher, is in at most one
 * match that stands.
 *
 * Automatic matching, in this order:
 * 1. by reference: lines and vouchers of one direction joined by a reference — the line's bank reference
 *    (流水号) or a word of its memo equal to a voucher's reference or its business record's — form groups;
 *    a group whose lines and vouchers sum to the same amount is matched;
 * 2. by amount: a line and a voucher of the same direction and amount, dated at most `windowDays` apart,
 *    when each is the other's only candidate.
 * Whatever is left is for a person to match by hand, or an item the reconciliation lists.
 */

export interface BankLineRow {
  id: string;
  date: string;
  direction: Direction;
  amount: string;
  bankReference: string | null;
  memo: string | null;
}

export const DEFAULT_WINDOW_DAYS = 5;

/** One fund's matching at a time: two automatic runs would otherwise both claim the same pair. */
export const lockFundMatching = (tx: Executor, fundId: string) => tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`bank-matching:${fundId}`}))`);

const MEMO_WORDS = /[\s,，;；/、:：()（）【】[\]"'“”]+/;

/** The pairs automatic matching finds among what no match holds yet: groups of line ids and voucher ids. */
export function findMatches(lines: BankLineRow[], movements: BankMovement[], windowDays: number) {
  const found: { method: 'reference' | 'amount'; lineIds: string[]; transactionIds: string[] }[] = [];
  const taken = new Set<string>();

  // 1. By reference: a union-find over lines and vouchers, joined through the references they share.
  const parent = new Map<string, string>();
  const root = (x: string): string => {
    let r = x;
    while (parent.get(r) !== r) r = parent.get(r)!;
    parent.set(x, r);
    return r;
  };
  const join = (a: string, b: string) => parent.set(root(a), root(b));
  const byReference = new Map<string, string>();
  for (const m of movements) {
    parent.set(`t:${m.transactionId}`, `t:${m.transactionId}`);
    // Within a direction only: a returned payment's line names the payment it returns, and must not join it.
    for (const ref of m.references) {
      const other = byReference.get(`${m.direction}|${ref}`);
      if (other) join(`t:${m.transactionId}`, other);
      else byReference.set(`${m.direction}|${ref}`, `t:${m.transactionId}`);
    }
  }
  for (const l of lines) {
    parent.set(`l:${l.id}`, `l:${l.id}`);
    const words = [l.bankReference, ...(l.memo ?? '').split(MEMO_WORDS)].filter((w): w is string => Boolean(w));
    for (const word of words) {
      const voucher = byReference.get(`${l.direction}|${word}`);
      if (voucher) join(`l:${l.id}`, voucher);
    }
  }
  const groups = new Map<string, { lines: BankLineRow[]; movements: BankMovement[] }>();
  const group = (key: string) => groups.get(root(key)) ?? groups.set(root(key), { lines: [], movements: [] }).get(root(key))!;
  for (const l of lines) group(`l:${l.id}`).lines.push(l);
  for (const m of movements) group(`t:${m.transactionId}`).movements.push(m);
  for (const g of groups.values()) {
    if (!g.lines.length || !g.movements.length) continue;
    if (!sum(g.lines.map((l) => new Money(l.amount))).eq(sum(g.movements.map((m) => new Money(m.amount))))) continue;
    found.push({ method: 'reference', lineIds: g.lines.map((l) => l.id), transactionIds: g.movements.map((m) => m.transactionId) });
    for (const l of g.lines) taken.add(l.id);
    for (const m of g.movements) taken.add(m.transactionId);
  }

  // 2. By amount and direction within the window, when the pair is unique both ways.
  const key = (x: { direction: Direction; amount: string }) => `${x.direction}|${x.amount}`;
  const open = new Map<string, BankMovement[]>();
  for (const m of movements) if (!taken.has(m.transactionId)) (open.get(key(m)) ?? open.set(key(m), []).get(key(m))!).push(m);
  const openLines = new Map<string, BankLineRow[]>();
  for (const l of lines) if (!taken.has(l.id)) (openLines.get(key(l)) ?? openLines.set(key(l), []).get(key(l))!).push(l);
  const near = (a: string, b: string) => addDays(a, -windowDays) <= b && b <= addDays(a, windowDays);
  for (const [k, bucket] of openLines) {
    const candidates = open.get(k) ?? [];
    for (const l of bucket) {
      const forLine = candidates.filter((m) => near(l.date, m.date));
      if (forLine.length !== 1) continue;
      const m = forLine[0]!;
      if (bucket.filter((other) => near(other.date, m.date)).length !== 1) continue;
      found.push({ method: 'amount', lineIds: [l.id], transactionIds: [m.transactionId] });
    }
  }
  return found;
}

/** The fund's lines that no standing match holds. */
export async function unmatchedLines(executor: Executor, fundId: string): Promise<BankLineRow[]> {
  return rows<BankLineRow>(
    executor,
    sql`select l.id, l.date::text as date, l.direction, l.amount::text as amount, l.bank_reference as "bankReference", l.memo
          from bank_statement_lines l
         where l.fund_id = ${fundId} and not exists (select 1 from bank_match_lines m where m.line_id = l.id and m.active)
         order by l.date, l.position`,
  );
}

/** Writes matches: three statements however many, their rows passed as one JSON parameter each. */
async function writeMatches(tx: Tx, fundId: string, actor: string, matches: { method: 'reference' | 'amount' | 'manual'; lineIds: string[]; transactionIds: string[] }[]) {
  if (!matches.length) return;
  const ids = matches.map(() => randomUUID());
  const json = (value: unknown) => sql`${JSON.stringify(value)}::jsonb`;
  await tx.execute(sql`insert into bank_matches (id, fund_id, method, created_by)
    select v.id, ${fundId}, v.method, ${actor} from jsonb_to_recordset(${json(matches.map((m, i) => ({ id: ids[i], method: m.method })))}) as v(id uuid, method text)`);
  await tx.execute(sql`insert into bank_match_lines (match_id, line_id)
    select v.match_id, v.line_id from jsonb_to_recordset(${json(matches.flatMap((m, i) => m.lineIds.map((lineId) => ({ match_id: ids[i], line_id: lineId }))))})
      as v(match_id uuid, line_id uuid)`);
  await tx.execute(sql`insert into bank_match_entries (match_id, transaction_id)
    select v.match_id, v.transaction_id from jsonb_to_recordset(${json(matches.flatMap((m, i) => m.transactionIds.map((transactionId) => ({ match_id: ids[i], transaction_id: transactionId }))))})
      as v(match_id uuid, transaction_id uuid)`);
}

/** Matches automatically what can be; answers the counts. */
export async function autoMatch(tx: Tx, fundId: string, actor: string, windowDays = DEFAULT_WINDOW_DAYS) {
  await lockFundMatching(tx, fundId);
  const [lines, movements] = [await unmatchedLines(tx, fundId), await bankMovements(tx, fundId, { unmatched: true })];
  const matches = findMatches(lines, movements, windowDays);
  await writeMatches(tx, fundId, actor, matches);
  return {
    byReference: matches.filter((m) => m.method === 'reference').length,
    byAmount: matches.filter((m) => m.method === 'amount').length,
    matchedLines: matches.reduce((n, m) => n + m.lineIds.length, 0),
    unmatchedLines: lines.length - matches.reduce((n, m) => n + m.lineIds.length, 0),
    unmatchedEntries: movements.length - matches.reduce((n, m) => n + m.transactionIds.length, 0),
  };
}

/** The match a line stands in, with its lines and vouchers; null when it stands in none. */
export async function matchOfLine(executor: Executor, lineId: string) {
  const [found] = await rows<{ id: string; method: string; created_by: string; created_at: string }>(
    executor,
    sql`select m.id, m.method, m.created_by, m.created_at from bank_match_lines ml join bank_matches m on m.id = ml.match_id
         where ml.line_id = ${lineId} and ml.active`,
  );
  if (!found) return null;
  const [lineIds, transactionIds] = await Promise.all([
    executor.select({ id: bankMatchLines.lineId }).from(bankMatchLines).where(and(eq(bankMatchLines.matchId, found.id), eq(bankMatchLines.active, true))),
    executor.select({ id: bankMatchEntries.transactionId }).from(bankMatchEntries).where(and(eq(bankMatchEntries.matchId, found.id), eq(bankMatchEntries.active, true))),
  ]);
  return {
    matchId: found.id,
    method: found.method as 'reference' | 'amount' | 'manual',
    lineIds: lineIds.map((l) => l.id),
    transactionIds: transactionIds.map((t) => t.id),
    createdBy: found.created_by,
    createdAt: new Date(found.created_at).toISOString(),
  };
}

/**
 * By hand: the line (and `otherLineIds`) with the vouchers `transactionIds`, all of the line's fund, none
 * already matched, one direction, equal sums. Refused otherwise, writing nothing.
 */
export async function manualMatch(tx: Tx, lineId: string, input: { transactionIds: string[]; otherLineIds?: string[] }, actor: string) {
  const [line] = await tx.select().from(bankStatementLines).where(eq(bankStatementLines.id, lineId));
  if (!line) throw notFound('Bank statement line', lineId);
  await lockFundMatching(tx, line.fundId);
  const lineIds = [...new Set([lineId, ...(input.otherLineIds ?? [])])];
  const lines = await tx.select().from(bankStatementLines).where(inArray(bankStatementLines.id, lineIds));
  const strangers = lineIds.filter((id) => !lines.some((l) => l.id === id && l.fundId === line.fundId));
  if (strangers.length) throw new DomainError('validation_failed', `otherLineIds: no line of this fund's statements with id ${strangers.join(', ')}.`, { field: 'otherLineIds' });
  const transactionIds = [...new Set(input.transactionIds)];
  const movements = await bankMovements(tx, line.fundId, { ids: transactionIds });
  const notMoving = transactionIds.filter((id) => !movements.some((m) => m.transactionId === id));
  if (notMoving.length) {
    throw new DomainError('validation_failed', `transactionIds: ${notMoving.join(', ')} moved no money in this fund's bank account.`, { field: 'transactionIds' });
  }
  const matchedLines = await rows<{ line_id: string }>(tx, sql`select line_id from bank_match_lines where active and line_id in (${sql.join(lineIds.map((id) => sql`${id}::uuid`), sql`, `)})`);
  const matchedEntries = await rows<{ transaction_id: string }>(
    tx,
    sql`select transaction_id from bank_match_entries where active and transaction_id in (${sql.join(transactionIds.map((id) => sql`${id}::uuid`), sql`, `)})`,
  );
  if (matchedLines.length || matchedEntries.length) {
    throw new DomainError('invalid_state', 'Already matched: undo the standing match first (DELETE /v1/bank-statement-lines/{lineId}/match).', {
      matchedLineIds: matchedLines.map((l) => l.line_id),
      matchedTransactionIds: matchedEntries.map((e) => e.transaction_id),
    });
  }
  const directions = new Set([...lines.map((l) => l.direction), ...movements.map((m) => m.direction)]);
  const bankSum = formatMoney(sum(lines.map((l) => new Money(l.amount))));
  const bookSum = formatMoney(sum(movements.map((m) => new Money(m.amount))));
  if (directions.size !== 1 || bankSum !== bookSum) {
    throw new DomainError(
      'validation_failed',
      directions.size !== 1
        ? 'transactionIds: money in and money out cannot match each other.'
        : `transactionIds: the lines sum to ${bankSum}, the vouchers to ${bookSum}; a match needs equal sums.`,
      { field: 'transactionIds', bankSum, bookSum },
    );
  }
  await writeMatches(tx, line.fundId, actor, [{ method: 'manual', lineIds, transactionIds }]);
  return (await matchOfLine(tx, lineId))!;
}

/** Undoes the match the line stands in (all its lines and vouchers), keeping it on record. */
export async function undoMatch(tx: Tx, lineId: string, actor: string) {
  const [line] = await tx.select({ fundId: bankStatementLines.fundId }).from(bankStatementLines).where(eq(bankStatementLines.id, lineId));
  if (!line) throw notFound('Bank statement line', lineId);
  await lockFundMatching(tx, line.fundId);
  const match = await matchOfLine(tx, lineId);
  if (!match) throw new DomainError('invalid_state', 'The line is not matched.', { lineId });
  await tx.update(bankMatches).set({ undoneBy: actor, undoneAt: new Date() }).where(eq(bankMatches.id, match.matchId));
  await tx.update(bankMatchLines).set({ active: false }).where(eq(bankMatchLines.matchId, match.matchId));
  await tx.update(bankMatchEntries).set({ active: false }).where(eq(bankMatchEntries.matchId, match.matchId));
  return match;
}
