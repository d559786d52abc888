import type { Db, Tx } from '../db/client.js';
import { linkTransactions, lockChains } from './chain.js';
import { assertPostingsOpen, type ClosedThroughRow, closedThroughMap, closedThroughQuery } from './periods.js';
import type { PostedTransaction } from './queries.js';

// The transactions posted in each open ledger transaction, in posting order, waiting for their links.
const postedIn = new WeakMap<Tx, PostedTransaction[]>();

/**
 * Runs `work` in one database transaction in which the ledger may post, on its own: for scripts and
 * tests. The service's writes go through a posting group (group.ts), which shares one database
 * transaction among the writes that arrive together and ends it the same way (finishPostings).
 */
export async function inLedgerTransaction<T>(db: Db, work: (tx: Tx) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    const posted = openPostings(tx);
    const result = await work(tx);
    await finishPostings(tx, posted);
    return result;
  });
}

/** Makes `tx` a ledger transaction: postTransaction enlists its postings in the list returned. */
export function openPostings(tx: Tx): PostedTransaction[] {
  const posted: PostedTransaction[] = [];
  postedIn.set(tx, posted);
  return posted;
}

/**
 * What every posting leaves to the end, as the last statements before the commit: lock the chain heads
 * of the funds posted into (by fund id, after every account lock), link the postings onto their funds'
 * chains in posting order, and refuse the lot if any is dated in a period closed meanwhile.
 *
 * A head serialises every posting of its fund until commit, so taking it last keeps that stretch to
 * two statements and the commit, however long the business operations before it are.
 */
export async function finishPostings(tx: Tx, posted: PostedTransaction[]): Promise<void> {
  if (!posted.length) return;
  const fundIds = [...new Set(posted.flatMap((t) => t.lines.map((l) => l.fundId)))];
  const heads = await lockChains(tx, fundIds, posted.map((t) => t.id));
  // The links, and the funds' closed periods read in the same statement: the first statement after
  // the lock, so its snapshot has every close that committed while this waited. A refusal rolls back.
  const through = await linkTransactions<ClosedThroughRow>(tx, heads, posted, closedThroughQuery(fundIds));
  assertPostingsOpen(closedThroughMap(through), posted);
}

/** Hands a posting to its ledger transaction for linking; refuses a database transaction not opened for it. */
export function enlist(tx: Tx, posted: PostedTransaction): void {
  const list = postedIn.get(tx);
  // A programming error, not a user's: a posting outside a ledger transaction would never be chained.
  if (!list) throw new Error('postTransaction must run inside a ledger transaction (src/ledger/commit.ts, group.ts)');
  list.push(posted);
}
