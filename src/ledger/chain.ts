import { createHash } from 'node:crypto';
import { type SQL, sql } from 'drizzle-orm';
import { type Executor, preparedRows, rows, type Tx } from '../db/client.js';
import { canonicalMoney } from './money.js';
import { getTransactions, type PostedTransaction } from './queries.js';
import { type FundVoucherNumber, numberInFunds, voucherNumberPart } from './voucher-numbers.js';

/**
 * The tamper-evident journal: each fund has a hash chain over its transactions in posting order. A
 * transaction touching two funds gets a link on each fund's chain.
 *
 * A link's hash is the SHA-256 (lower-case hex) of the UTF-8 bytes of this JSON array, written by
 * JSON.stringify (no spaces; strings escaped as ECMAScript's JSON.stringify escapes them):
 *
 *   ["fund-ledger/chain/v1", fundId, position, previousHash,
 *    id, number, date, description, reference, reversesTransactionId, reversalReason, createdBy,
 *    [[lineNo, accountId, fundId, direction, amount, memo, balanceAfter], ...]]
 *
 * - fundId: the chain's fund; position: 1, 2, 3… on that chain; previousHash: the hash of the link
 *   before, or 64 zeros for position 1;
 * - id, accountId, fundId, reversesTransactionId: UUIDs in lower case; number (the voucher number)
 *   and lineNo: JSON integers; date: YYYY-MM-DD;
 * - reference, reversesTransactionId, reversalReason and memo: null when absent;
 * - every line of the transaction (of both funds if it touches two), ordered by lineNo; direction
 *   "debit" or "credit"; amount and balanceAfter as decimal strings with exactly two decimals
 *   ("1234.50", "-10.00").
 *
 * The fund and position are inside the hash, so a link cannot be moved to another place or chain.
 * createdAt is left out: it is the database's clock, not the voucher's content.
 */
export const GENESIS_HASH = '0'.repeat(64);
const FORMAT = 'fund-ledger/chain/v1';

export interface ChainHead {
  fundId: string;
  length: number;
  headHash: string;
  /** The last voucher number given in each month of the fund (voucher-numbers.ts). */
  monthNumbers: Record<string, number>;
}

export interface ChainLink {
  fundId: string;
  position: number;
  transactionId: string;
  previousHash: string;
  hash: string;
}

export function canonicalContent(fundId: string, position: number, previousHash: string, t: PostedTransaction): string {
  const lines = [...t.lines]
    .sort((a, b) => a.lineNo - b.lineNo)
    .map((l) => [l.lineNo, l.accountId, l.fundId, l.direction, canonicalMoney(l.amount), l.memo, canonicalMoney(l.balanceAfter)]);
  return JSON.stringify([
    FORMAT,
    fundId,
    position,
    previousHash,
    t.id,
    t.number,
    t.date,
    t.description,
    t.reference,
    t.reversesTransactionId,
    t.reversalReason,
    t.createdBy,
    lines,
  ]);
}

export const linkHash = (fundId: string, position: number, previousHash: string, t: PostedTransaction): string =>
  createHash('sha256').update(canonicalContent(fundId, position, previousHash, t), 'utf8').digest('hex');

async function selectHeads(tx: Tx, fundIds: string[]): Promise<ChainHead[]> {
  const found = await rows<HeadRow>(
    tx,
    sql`select fund_id, length, head_hash, month_numbers from fund_chains
         where fund_id in (${sql.join(
           fundIds.map((id) => sql`${id}::uuid`),
           sql`, `,
         )})
         order by fund_id
         for update`,
  );
  return found.map(readHead);
}

interface HeadRow {
  fund_id: string;
  length: string | number;
  head_hash: string;
  month_numbers: Record<string, number>;
}

const readHead = (h: HeadRow): ChainHead => ({ fundId: h.fund_id, length: Number(h.length), headHash: h.head_hash, monthNumbers: h.month_numbers });

/**
 * Locks the chain heads of these funds, in fund-id order, creating a head on a fund's first posting.
 * While a posting holds its fund's head, no other posting into that fund and no period close of it can
 * run; postings into other funds are not held up. Callers take it after their account locks (see
 * postTransaction for why that order).
 */
export async function lockChains(tx: Tx, fundIds: string[], pending: string[] = []): Promise<Map<string, ChainHead>> {
  const ids = [...new Set(fundIds)].sort();
  let heads = await selectHeads(tx, ids);
  if (heads.length < ids.length) {
    const started = new Set(heads.map((h) => h.fundId));
    for (const fundId of ids.filter((id) => !started.has(id))) await startChain(tx, fundId, pending);
    heads = await selectHeads(tx, ids);
  }
  return new Map(heads.map((h) => [h.fundId, h]));
}

/** What `headsAndNumbers` returns, as the database sends it. */
export interface HeadsAndNumbersRow {
  heads: HeadRow[];
  numbers: string[] | null;
  created_at: string;
}

/**
 * The select list, over a WITH part `h` that locks chain heads, returning those heads, then `count`
 * voucher numbers drawn under them (the filter reads h, so the heads are locked before any number is
 * drawn: numbers follow chain order, across processes too) — none when fewer than `expected` heads were
 * found (a fund's first posting) — and the transaction's start time (the vouchers' created_at).
 */
export const headsAndNumbers = (count: number, expected: SQL): SQL =>
  sql`(select coalesce(json_agg(h order by fund_id), '[]'::json) from h) as heads,
      (select array_agg(n::text order by n)
         from (select nextval(pg_get_serial_sequence('transactions', 'seq')) as n from generate_series(1, ${count}::int)
                where (select count(*) from h) = ${expected}) s) as numbers,
      to_char(now() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as created_at`;

export const readHeadsAndNumbers = (row: HeadsAndNumbersRow) => ({
  heads: new Map(row.heads.map((h): [string, ChainHead] => [h.fund_id, readHead(h)])),
  numbers: row.numbers?.map(Number) ?? null,
  createdAt: row.created_at,
});

/** Locks the chain heads of these funds (fund-id order), starting any missing, and draws `count` numbers under them. */
export async function lockChainsAndNumber(tx: Tx, fundIds: string[], count: number): Promise<ReturnType<typeof readHeadsAndNumbers>> {
  const ids = [...new Set(fundIds)].sort();
  for (;;) {
    const [found] = await preparedRows<HeadsAndNumbersRow>(
      tx,
      'chain_heads_numbers',
      sql`with h as (select fund_id, length, head_hash, month_numbers from fund_chains where fund_id = any(${sql.param(ids)}::uuid[]) order by fund_id for update)
          select ${headsAndNumbers(count, sql`${ids.length}::int`)}`,
    );
    const read = readHeadsAndNumbers(found!);
    if (read.numbers) return read;
    // A fund's first posting: start its chain, then lock and number again.
    await lockChains(tx, ids);
  }
}

/**
 * Creates a fund's chain head, and links the fund's transactions posted before the chain existed (a
 * database from before chains), oldest first — but not `pending`, the caller's own transactions, written
 * already and linked by the caller. Another posting starting the same chain waits on the new row and
 * then finds it.
 */
async function startChain(tx: Tx, fundId: string, pending: string[]): Promise<void> {
  const created = await rows<{ fund_id: string }>(
    tx,
    // A fund with vouchers from before chains starts its month counters where their numbers end.
    sql`insert into fund_chains (fund_id, length, head_hash, month_numbers)
        values (${fundId}, 0, ${GENESIS_HASH},
                coalesce((select jsonb_object_agg(period, last) from (select period, max(number) as last from voucher_numbers
                                                                      where fund_id = ${fundId} group by period) m), '{}'::jsonb))
        on conflict (fund_id) do nothing returning fund_id`,
  );
  if (!created.length) return;
  let head: ChainHead = { fundId, length: 0, headHash: GENESIS_HASH, monthNumbers: {} };
  let after = 0;
  for (;;) {
    const earlier = await rows<{ id: string; seq: string | number }>(
      tx,
      // Lateral with a limit: one index probe per transaction in posting order, rather than hashing
      // all of the fund's lines for every page.
      sql`select t.id, t.seq from transactions t
           cross join lateral (select 1 from transaction_lines l
                                where l.transaction_id = t.id and l.fund_id = ${fundId} limit 1) mine
           where t.seq > ${after} ${pending.length ? sql`and t.id <> all(${sql.param(pending)}::uuid[])` : sql``}
           order by t.seq limit 100`,
    );
    if (!earlier.length) break;
    head = await appendLinks(tx, head, await getTransactions(tx, earlier.map((e) => e.id)));
    after = Number(earlier[earlier.length - 1]!.seq);
  }
}

/** Appends transactions (in posting order) to one fund's chain and moves its head. */
async function appendLinks(tx: Tx, head: ChainHead, list: PostedTransaction[]): Promise<ChainHead> {
  const links: ChainLink[] = [];
  let { length, headHash } = head;
  for (const t of list) {
    length += 1;
    const hash = linkHash(head.fundId, length, headHash, t);
    links.push({ fundId: head.fundId, position: length, transactionId: t.id, previousHash: headHash, hash });
    headHash = hash;
  }
  await insertLinks(tx, links);
  await tx.execute(sql`update fund_chains set length = ${length}, head_hash = ${headHash} where fund_id = ${head.fundId}`);
  return { ...head, length, headHash };
}

async function insertLinks(tx: Tx, links: ChainLink[]): Promise<void> {
  if (!links.length) return;
  await tx.execute(sql`
    insert into transaction_chain (fund_id, position, transaction_id, previous_hash, hash)
    values ${sql.join(
      links.map((l) => sql`(${l.fundId}::uuid, ${l.position}, ${l.transactionId}::uuid, ${l.previousHash}, ${l.hash})`),
      sql`, `,
    )}`);
}

/** The voucher numbers within fund and month of just-posted transactions, from their locked heads' counters. */
export const numberPostings = (locked: Map<string, ChainHead>, posted: readonly PostedTransaction[]): Map<string, FundVoucherNumber[]> =>
  numberInFunds(new Map([...locked].map(([fundId, head]) => [fundId, { ...head.monthNumbers }])), posted);

/**
 * The links of just-posted transactions, in posting order, onto the chain of every fund each touches
 * (their heads locked), as the parts of a WITH list: the links inserted, the voucher numbers within fund
 * and month (`numbers`, from numberPostings on the same heads) and the heads moved.
 */
export function linkParts(
  locked: Map<string, ChainHead>,
  posted: readonly PostedTransaction[],
  numbers: Map<string, FundVoucherNumber[]> = numberPostings(locked, posted),
): SQL[] {
  const heads = new Map([...locked].map(([fundId, head]) => [fundId, { ...head, monthNumbers: { ...head.monthNumbers } }]));
  for (const list of numbers.values()) {
    for (const n of list) {
      const months = heads.get(n.fundId)!.monthNumbers;
      months[n.period] = Math.max(months[n.period] ?? 0, n.number);
    }
  }
  const links: ChainLink[] = [];
  for (const t of posted) {
    for (const fundId of [...new Set(t.lines.map((l) => l.fundId))].sort()) {
      const head = heads.get(fundId)!;
      const position = head.length + 1;
      const hash = linkHash(fundId, position, head.headHash, t);
      links.push({ fundId, position, transactionId: t.id, previousHash: head.headHash, hash });
      head.length = position;
      head.headHash = hash;
    }
  }
  const moved = [...heads.values()].filter((h) => h.length !== locked.get(h.fundId)!.length);
  return [
    sql`links as (
          insert into transaction_chain (fund_id, position, transaction_id, previous_hash, hash)
          select * from unnest(${sql.param(links.map((l) => l.fundId))}::uuid[], ${sql.param(links.map((l) => l.position))}::bigint[],
                               ${sql.param(links.map((l) => l.transactionId))}::uuid[], ${sql.param(links.map((l) => l.previousHash))}::text[],
                               ${sql.param(links.map((l) => l.hash))}::text[]))`,
    voucherNumberPart(numbers),
    sql`chain_heads as (
          update fund_chains c set length = v.length, head_hash = v.head_hash, month_numbers = v.month_numbers
            from unnest(${sql.param(moved.map((h) => h.fundId))}::uuid[], ${sql.param(moved.map((h) => h.length))}::bigint[],
                        ${sql.param(moved.map((h) => h.headHash))}::text[], ${sql.param(moved.map((h) => JSON.stringify(h.monthNumbers)))}::jsonb[])
                 as v(fund_id, length, head_hash, month_numbers)
           where c.fund_id = v.fund_id)`,
  ];
}

/**
 * Links just-posted transactions onto their funds' chains (heads locked) in one statement, which ends
 * with `select` (a query of the caller's, run in the same round trip) and returns its rows.
 */
export async function linkTransactions<Row>(tx: Tx, locked: Map<string, ChainHead>, posted: PostedTransaction[], select: SQL): Promise<Row[]> {
  return rows<Row>(tx, sql`with ${sql.join(linkParts(locked, posted), sql`, `)} ${select}`);
}

export interface ChainBreak {
  transactionId: string;
  /** The voucher number; null when the transaction itself is gone. */
  number: number | null;
  /** The link's position on the chain; null for a transaction that has no link. */
  position: number | null;
  reason: string;
}

export interface ChainReport {
  fundId: string;
  /** Links on the fund's chain that were walked. */
  transactions: number;
  /** The hash of the last link walked; null when the fund has no link yet. */
  headHash: string | null;
  firstBroken: ChainBreak | null;
  /** Transactions with lines in the fund but no link on its chain. */
  unlinkedTransactions: number;
}

const WALK_PAGE = 100;

/**
 * Walks a fund's chain from its first link, recomputing every hash from the journal as it stands, and
 * stops at the first link that does not hold: a missing position, a previous hash that is not the hash
 * before it, a transaction that is gone, or content (the transaction or any of its lines) that no longer
 * hashes to the stored hash. Then checks the stored head against the last link, and looks for
 * transactions of the fund that are on no link. Reads the fund's whole journal: for audits, not requests.
 */
export async function walkChain(executor: Executor, fundId: string): Promise<ChainReport> {
  let previousHash = GENESIS_HASH;
  let walked = 0;
  let firstBroken: ChainBreak | null = null;

  walk: for (;;) {
    const links = await rows<{ position: string | number; transaction_id: string; previous_hash: string; hash: string }>(
      executor,
      sql`select position, transaction_id, previous_hash, hash from transaction_chain
           where fund_id = ${fundId} and position > ${walked}
           order by position limit ${WALK_PAGE}`,
    );
    if (!links.length) break;
    const found = new Map((await getTransactions(executor, links.map((l) => l.transaction_id))).map((t) => [t.id, t]));
    for (const link of links) {
      const position = Number(link.position);
      const t = found.get(link.transaction_id);
      const broken = (reason: string) => ({ transactionId: link.transaction_id, number: t?.number ?? null, position, reason });
      if (position !== walked + 1) {
        firstBroken = broken(`The chain jumps from position ${walked} to ${position}: a link was removed.`);
      } else if (link.previous_hash !== previousHash) {
        firstBroken = broken(`Link ${position} does not follow link ${walked}: its previous hash is not that link's hash.`);
      } else if (!t) {
        firstBroken = broken(`Transaction ${link.transaction_id} of link ${position} is missing from the journal.`);
      } else if (linkHash(fundId, position, previousHash, t) !== link.hash) {
        firstBroken = broken(`Transaction #${t.number} no longer matches its hash: it or one of its lines was changed after posting.`);
      }
      if (firstBroken) break walk;
      walked = position;
      previousHash = link.hash;
    }
  }

  const [head] = await rows<{ length: string | number; head_hash: string }>(
    executor,
    sql`select length, head_hash from fund_chains where fund_id = ${fundId}`,
  );
  if (!firstBroken) {
    const length = head ? Number(head.length) : 0;
    const headHash = head?.head_hash ?? GENESIS_HASH;
    if (length !== walked || headHash !== previousHash) {
      const [last] = await rows<{ transaction_id: string; seq: string | number }>(
        executor,
        sql`select c.transaction_id, t.seq from transaction_chain c left join transactions t on t.id = c.transaction_id
             where c.fund_id = ${fundId} and c.position = ${walked}`,
      );
      firstBroken = {
        transactionId: last?.transaction_id ?? '',
        number: last ? Number(last.seq) : null,
        position: walked,
        reason: `The chain's head records ${length} links ending in ${headHash}, but the links end at position ${walked} with ${previousHash}.`,
      };
    }
  }

  const unlinked = await rows<{ id: string; seq: string | number; n: string | number }>(
    executor,
    sql`select t.id, t.seq, count(*) over () as n
          from transactions t
         where t.id in (select transaction_id from transaction_lines where fund_id = ${fundId}
                        except select transaction_id from transaction_chain where fund_id = ${fundId})
         order by t.seq limit 1`,
  );
  const first = unlinked[0];
  if (first && !firstBroken) {
    firstBroken = {
      transactionId: first.id,
      number: Number(first.seq),
      position: null,
      reason: head
        ? `Transaction #${first.seq} has lines in this fund but no link on its chain: it was written outside the ledger.`
        : `Transaction #${first.seq} was posted before the fund's journal was chained; the fund's next posting links it.`,
    };
  }
  return {
    fundId,
    transactions: walked,
    headHash: walked ? previousHash : null,
    firstBroken,
    unlinkedTransactions: first ? Number(first.n) : 0,
  };
}
