import type { Db, Tx } from '../db/client.js';
import { linkTransactions, lockChains } from './chain.js';
import { assertPostingsOpen, type ClosedThroughRow, closedThroughMap, closedThroughQuery } from './periods.js';
import type { PostedTransaction } from './queries.js';

// The transactions posted in each open ledger transaction, in posting order, waiting for their links.
const postedIn = new WeakMap<Tx, PostedTransaction[]>();

/**
 * Runs `work` in one database transaction in which the ledger may post, and finishes what every posting
 * leaves to the end: as the last statements before the commit, it locks the chain heads of the funds
 * posted into (by fund id, after every account lock `work` took), links the postings onto their funds'
 * chains in posting order, and refuses the lot if any posting is dated in a period closed meanwhile.
 *
 * A head serialises every posting of its fund until commit, so taking it last keeps that stretch to
 * two statements and the commit, however long the business operation around the postings is.
 */
export async function inLedgerTransaction<T>(db: Db, work: (tx: Tx) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    const posted: PostedTransaction[] = [];
    postedIn.set(tx, posted);
    const result = await work(tx);
    if (posted.length) {
      const fundIds = [...new Set(posted.flatMap((t) => t.lines.map((l) => l.fundId)))];
      const heads = await lockChains(tx, fundIds, posted.map((t) => t.id));
      // The links, and the funds' closed periods read in the same statement: the first statement after
      // the lock, so its snapshot has every close that committed while this waited. A refusal rolls back.
      const through = await linkTransactions<ClosedThroughRow>(tx, heads, posted, closedThroughQuery(fundIds));
      assertPostingsOpen(closedThroughMap(through), posted);
    }
    return result;
  });
}

/** Hands a posting to its ledger transaction for linking; refuses a database transaction not opened by it. */
export function enlist(tx: Tx, posted: PostedTransaction): void {
  const list = postedIn.get(tx);
  // A programming error, not a user's: a posting outside inLedgerTransaction would never be chained.
  if (!list) throw new Error('postTransaction must run inside inLedgerTransaction (src/ledger/commit.ts)');
  list.push(posted);
}
