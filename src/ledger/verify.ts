import { sql } from 'drizzle-orm';
import { type Executor, rows } from '../db/client.js';
import { type ChainBreak, walkChain } from './chain.js';
import { balanceViolations, type Violation } from './invariants.js';

export interface FundVerification {
  fundId: string;
  /** Intact: the whole chain recomputes, every transaction of the fund is on it, and every balance equals its lines. */
  status: 'intact' | 'broken';
  transactions: number;
  headHash: string | null;
  firstBroken: ChainBreak | null;
  unlinkedTransactions: number;
  /** A link the caller recorded earlier (e.g. from a previous audit): does the chain still pass through it? */
  anchor: { position: number; hash: string; matches: boolean } | null;
  balanceMismatches: Violation[];
}

/**
 * Checks a fund's books against themselves: walks the hash chain (see chain.ts) and recomputes every
 * account's balances and per-day totals from its lines (invariants.ts). Results are data: a broken
 * chain is reported, not thrown.
 *
 * The chain shows that nothing changed since each hash was computed; someone able to rewrite the
 * database could recompute every hash after a change, so an auditor keeps the (transactions, headHash)
 * of each verification and passes them back later as the anchor: a chain rewritten before that point no
 * longer passes through it.
 */
export async function verifyFund(
  executor: Executor,
  fundId: string,
  anchor?: { position: number; hash: string },
): Promise<FundVerification> {
  const chain = await walkChain(executor, fundId);
  let anchored: FundVerification['anchor'] = null;
  if (anchor) {
    const [link] = await rows<{ hash: string }>(
      executor,
      sql`select hash from transaction_chain where fund_id = ${fundId} and position = ${anchor.position}`,
    );
    anchored = { ...anchor, matches: link?.hash === anchor.hash.toLowerCase() };
  }
  const balanceMismatches = await balanceViolations(executor, fundId);
  const intact = !chain.firstBroken && (anchored?.matches ?? true) && !balanceMismatches.length;
  return { ...chain, status: intact ? 'intact' : 'broken', anchor: anchored, balanceMismatches };
}
