import { type SQL, sql } from 'drizzle-orm';
import { type Database, type Db, preparedRows, rows, type Tx } from '../db/client.js';
import type { auditLog } from '../db/schema.js';
import { DomainError } from '../errors.js';
import type { EventInput } from '../events/outbox.js';
import { type HeadsAndNumbersRow, headsAndNumbers, linkParts, lockChainsAndNumber, numberPostings, readHeadsAndNumbers } from './chain.js';
import { finishPostings, openPostings } from './commit.js';
import { periodRefusal, refuseClosedPeriods } from './periods.js';
import type { PostedTransaction } from './queries.js';
import {
  accountsOf, decidePosting, type DecidedPosting, holdAccounts, type LockedAccount, lockedAccountsQuery, postedEvents, postedFrom, postingParts,
  type PostingContext, type PostingInput, type PostingOptions,
} from './posting.js';

/**
 * Coalesced commits: the writes that arrive while a database transaction is in flight wait for the next
 * one, and each group of them shares ONE database transaction and ONE commit. A write that finds nothing
 * in flight starts a group at once, so a lone client never waits for company.
 *
 * A group is either posting orders (hand-posted vouchers) or operations (a dividend, a payment, … each
 * with its business record), taken in arrival order. Its database transaction:
 *  1. one statement claims the group's Idempotency-Keys (in key order; a key used before answers from its
 *     stored answer, or is refused if the request differs) and, for orders, locks every account of the
 *     group in id order, then the chain heads of their funds, then draws the voucher numbers under those
 *     heads — numbers follow chain order, across processes too;
 *  2. orders (runOrders): each decided in memory, in arrival order, against the running balances —
 *     accepted or refused on its own, with the refusal it would get alone — then ONE statement writes the
 *     vouchers, lines, balances, day totals, chain links, events, idempotency answers and audit rows and
 *     refuses, by raising, a posting dated in a closed month (its snapshot is after the head lock: a close
 *     committed meanwhile is seen). On PostgreSQL two round trips however many orders: BEGIN goes with
 *     the first statement, COMMIT right behind the second (runPipelined).
 *     Operations (runOperations): each runs its own statements under a savepoint, so a refusal undoes
 *     only its own writes; then one statement for the outcomes; then the heads and links (commit.ts);
 *  3. the commit. Every answer is sent after it, never before: an acknowledged write is durable, and a
 *     refused one was never visible. The keys of refused writes are released (they may be retried).
 *
 * A group that fails as a whole before its commit (a constraint the checks did not foresee, a period
 * closed meanwhile, a lost connection) was rolled back entirely; its writes go again one per group, so
 * a good write is never refused for a bad neighbour. A group whose COMMIT fails is not retried: whether it
 * committed is unknown, and each write is answered with the error (503 for a lost connection); a client
 * that retries with its Idempotency-Key gets the original answer or a first posting, never a second.
 *
 * Limits: one group in flight per process (PGlite has one connection anyway; a second process runs
 * groups of its own, the database's locks order them); at most GROUP_LIMITS.writes writes and
 * GROUP_LIMITS.lines posting lines per group.
 */
export const GROUP_LIMITS = { writes: 500, lines: 20_000 } as const;

/** The longest a group waits, under load, for the clients the group before it answered (see company()). */
const GATHER_MS = 2;

/** A hand-posted voucher: decided with its group, in memory, and written with the group's other postings. */
export interface PostingOrder {
  posting: PostingInput;
  context: PostingContext;
  options?: Pick<PostingOptions, 'checkAccounts'>;
  /** The answer as the caller's API gives it (with what the ledger does not know, such as who is who); the posting itself when absent. */
  present?(posted: PostedTransaction): unknown;
}

export interface IdempotencyClaim {
  owner: string;
  key: string;
  requestHash: string;
}

export type AuditRow = typeof auditLog.$inferInsert;

export interface GroupJob<T> {
  /** A posting order, or any work in the group's database transaction (an operation and its business record). */
  work: PostingOrder | ((tx: Tx) => Promise<T>);
  /** The answer's status, stored with the answer under the key. */
  status: number;
  claim?: IdempotencyClaim;
  /** The audit row of the write's success (or replay), written with the group. */
  trail(answer: unknown, status: number, replayed: boolean): AuditRow;
  /** Runs in a database transaction of its own beside the groups: a long write (an import) or one that must not share (a period close). */
  alone?: boolean;
}

export interface JobOutcome<T> {
  answer: T;
  status: number;
  replayed: boolean;
}

export interface GroupStats {
  groups: number;
  writes: number;
  /** Groups by their number of writes: "1", "2-3", "4-7", … */
  sizes: Record<string, number>;
  /** Groups that failed as a whole and were retried one write per group. */
  split: number;
}

type Result = { ok: true; outcome: JobOutcome<unknown> } | { ok: false; error: unknown };

interface Entry {
  job: GroupJob<unknown>;
  resolve(outcome: JobOutcome<unknown>): void;
  reject(error: unknown): void;
}

const isOrder = (work: GroupJob<unknown>['work']): work is PostingOrder => typeof work !== 'function';

const bucket = (n: number) => {
  if (n === 1) return '1';
  const low = 2 ** Math.floor(Math.log2(n));
  return `${low}-${low * 2 - 1}`;
};

export type PostingGroups = ReturnType<typeof createPostingGroups>;

/**
 * `pipelined` (PostgreSQL): connections in pipeline mode, on which a group of posting orders sends its
 * BEGIN with its first statement and its COMMIT right behind its last, two round trips in all; without
 * it (PGlite, in-process) each goes on its own.
 */
export function createPostingGroups(db: Db, pipelined?: Database['pipelined']) {
  const queue: Entry[] = [];
  let draining: Promise<void> | null = null;
  const alone = new Set<Promise<void>>();
  // A key whose first request is still in a group: a second request with it waits, then replays its answer.
  const inFlight = new Map<string, Promise<unknown>>();
  const stats: GroupStats = { groups: 0, writes: 0, sizes: {}, split: 0 };

  function enqueue<T>(job: GroupJob<T>): Promise<JobOutcome<T>> {
    return new Promise<JobOutcome<T>>((resolve, reject) => {
      const entry = { job, resolve, reject } as Entry;
      if (job.alone) {
        const running = runGroup([entry]);
        alone.add(running);
        void running.finally(() => alone.delete(running));
        return;
      }
      queue.push(entry);
      if (gathering && queue.length >= gathering.want) gathering.resolve();
      // Started on the next turn of the event loop, so that every request already read from its socket
      // joins: PGlite answers a whole group without giving the loop back, which would otherwise send
      // every write alone.
      draining ??= new Promise<void>((resolve) => setImmediate(resolve)).then(drain);
    });
  }

  async function drain(): Promise<void> {
    // After a group of more than one: the writes it answered (their clients on their way back) and those
    // that queued meanwhile; the next group waits a moment for that many.
    let expected = 0;
    while (queue.length) {
      if (queue.length < expected) await company(expected);
      // A group is all posting orders or all operations, in arrival order.
      const orders = isOrder(queue[0]!.job.work);
      let lines = 0;
      let n = 0;
      while (n < queue.length && n < GROUP_LIMITS.writes && isOrder(queue[n]!.job.work) === orders) {
        const work = queue[n]!.job.work;
        lines += isOrder(work) ? (work.posting.lines?.length ?? 0) : 0;
        if (n > 0 && lines > GROUP_LIMITS.lines) break;
        n += 1;
      }
      await runGroup(queue.splice(0, n));
      expected = n > 1 ? n + queue.length : 0;
    }
    draining = null;
  }

  /**
   * Under load, the clients a group just answered come back within a moment: waiting for them (until as
   * many writes are queued as expected, at most GATHER_MS) lets them join the writes that queued during
   * the group, where starting at once would split the same clients into two half-size groups for good.
   * After a group of one (a lone client) nothing waits.
   */
  let gathering: { want: number; resolve(): void } | null = null;
  function company(want: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        gathering = null;
        resolve();
      }, GATHER_MS);
      gathering = {
        want,
        resolve: () => {
          clearTimeout(timer);
          gathering = null;
          resolve();
        },
      };
    });
  }

  async function runGroup(entries: Entry[]): Promise<void> {
    let committing = false;
    let results: Result[];
    const orders = isOrder(entries[0]!.job.work);
    try {
      results =
        orders && pipelined
          ? await runPipelined(entries, () => (committing = true))
          : await db.transaction(async (tx) => {
              const found = await (orders ? runOrders(tx, entries) : runOperations(tx, entries));
              committing = true;
              return found;
            });
    } catch (error) {
      if (!committing && entries.length > 1) {
        stats.split += 1;
        for (const entry of entries) await runGroup([entry]);
        return;
      }
      for (const entry of entries) entry.reject(error);
      return;
    }
    stats.groups += 1;
    stats.writes += entries.length;
    const size = bucket(entries.length);
    stats.sizes[size] = (stats.sizes[size] ?? 0) + 1;
    results.forEach((result, i) => (result.ok ? entries[i]!.resolve(result.outcome) : entries[i]!.reject(result.error)));
  }

  /**
   * A group of posting orders on a pipelined connection: BEGIN goes with the opening statement, COMMIT right
   * behind the write statement (runOrders' `sent` callback). A write that fails makes the COMMIT behind it
   * roll back, so the group failed before its commit (and is retried); `committing` is called once the write
   * has succeeded, when only the COMMIT's answer is left.
   */
  async function runPipelined(entries: Entry[], committing: () => void): Promise<Result[]> {
    const connection = await pipelined!();
    const quiet = <T>(p: Promise<T>) => (p.catch(() => undefined), p);
    const begun = quiet(connection.send('begin'));
    let committed: Promise<string> | undefined;
    try {
      const results = await runOrders(connection.tx, entries, () => (committed = quiet(connection.send('commit'))));
      await begun;
      committing();
      const tag = await committed!;
      if (tag !== 'COMMIT') throw new Error(`the posting group's COMMIT answered ${tag}`);
      connection.release();
      return results;
    } catch (error) {
      // After a failed statement the COMMIT sent behind it answers ROLLBACK; otherwise roll back now. A
      // connection that cannot say either is not reused.
      const ended = await (committed ?? connection.send('rollback')).then(
        () => true,
        () => false,
      );
      connection.release(ended ? undefined : new Error('posting group connection lost'));
      throw error;
    }
  }

  /**
   * A group of posting orders: the opening statement (openGroup) claims the keys, locks the accounts, the
   * chain heads and draws the numbers; every order is decided in memory; then ONE statement for all the
   * group writes — vouchers, lines, balances, day totals, links, events, idempotency answers, audit rows —
   * which also reads the funds' closed periods (its snapshot is after the head lock: a close that
   * committed meanwhile is seen).
   */
  async function runOrders(tx: Tx, entries: Entry[], sent?: () => void): Promise<Result[]> {
    const results: (Result | undefined)[] = new Array(entries.length);
    const orders = entries.map(({ job }) => job.work as PostingOrder);
    const ids = new Set<string>();
    let valid = 0;
    orders.forEach((order, i) => {
      try {
        for (const id of accountsOf(order.posting, order.context)) ids.add(id);
        valid += 1;
      } catch (error) {
        results[i] = { ok: false, error };
      }
    });
    const opened = await openGroup(tx, entries, results, { lock: [...ids].sort(), draw: valid });
    const { replays } = opened;
    const held = holdAccounts(opened.locked);
    const decided: { index: number; posting: DecidedPosting }[] = [];
    orders.forEach((order, i) => {
      // A key answered before decides first: its stored answer, or the conflict, whatever this body holds.
      const replay = replays.get(i);
      if (replay) results[i] = { ok: true, outcome: replay };
      if (results[i]) return;
      try {
        decided.push({ index: i, posting: decidePosting(order.posting, order.context, held, order.options) });
      } catch (error) {
        results[i] = { ok: false, error };
      }
    });
    if (!decided.length) {
      const written = writeGroup(tx, [], entries, results as Result[], replays, []);
      sent?.();
      await written;
      return results as Result[];
    }

    const fundIds = [...new Set(decided.flatMap((d) => d.posting.lines.map((l) => l.fundId)))].sort();
    // No numbers when a fund had no chain head yet (its first posting): its chain is started, then they are drawn.
    const { heads, numbers, createdAt } = opened.numbers ? opened : await lockChainsAndNumber(tx, fundIds, decided.length);
    // Numbers left over by refusals and replays are gaps, as a refused posting's always was.
    const used = numbers!.slice(0, decided.length);
    const posted = postedFrom(decided.map((d) => d.posting), used, createdAt);
    const fundNumbers = numberPostings(heads, posted);
    const events: EventInput[] = [];
    posted.forEach((p, j) => {
      const { index } = decided[j]!;
      const numbered = { ...p, voucherNumbers: fundNumbers.get(p.id)! };
      const answer = orders[index]!.present?.(numbered) ?? numbered;
      results[index] = { ok: true, outcome: { answer, status: entries[index]!.job.status, replayed: false } };
      events.push(...postedEvents(p));
    });
    const parts = [...postingParts(decided.map((d) => d.posting), used), ...linkParts(heads, posted, fundNumbers)];
    const written = writeGroup(tx, parts, entries, results as Result[], replays, events, refuseClosedPeriods(posted));
    sent?.();
    await written.catch((error) => {
      throw periodRefusal(error, posted) ?? error;
    });
    return results as Result[];
  }

  /** Operations (each with its business record): one after another under savepoints, then one statement for their outcomes. */
  async function runOperations(tx: Tx, entries: Entry[]): Promise<Result[]> {
    const posted = openPostings(tx);
    const results: (Result | undefined)[] = new Array(entries.length);
    const { replays } = await openGroup(tx, entries, results);
    for (const [i, { job }] of entries.entries()) {
      const replay = replays.get(i);
      if (replay) results[i] = { ok: true, outcome: replay };
      if (results[i]) continue;
      const mark = posted.length;
      await tx.execute(sql`savepoint group_write`);
      try {
        const answer = await (job.work as (tx: Tx) => Promise<unknown>)(tx);
        await tx.execute(sql`release savepoint group_write`);
        results[i] = { ok: true, outcome: { answer, status: job.status, replayed: false } };
      } catch (error) {
        await tx.execute(sql`rollback to savepoint group_write`);
        posted.length = mark;
        results[i] = { ok: false, error };
      }
    }
    await writeGroup(tx, [], entries, results as Result[], replays, []);
    await finishPostings(tx, posted);
    return results as Result[];
  }

  /**
   * The group's first statement: its keys claimed, in key order (two groups never wait on each other's
   * keys in a cycle); for a group of orders also the accounts of `lock` locked in id order, then the chain
   * heads of their funds, then `draw` voucher numbers drawn under those heads — so numbers follow chain
   * order, across processes too. Numbers are null when a fund has no chain head yet.
   */
  async function openGroup(
    tx: Tx,
    entries: Entry[],
    results: (Result | undefined)[],
    orders?: { lock: string[]; draw: number },
  ): Promise<{ replays: Map<number, JobOutcome<unknown>>; locked: LockedAccount[] } & ReturnType<typeof readHeadsAndNumbers>> {
    const replays = new Map<number, JobOutcome<unknown>>();
    const keyed = entries
      .map((e, i) => ({ claim: e.job.claim, i }))
      .filter((k): k is { claim: IdempotencyClaim; i: number } => k.claim !== undefined)
      .sort((a, b) => (a.claim.owner + '\0' + a.claim.key < b.claim.owner + '\0' + b.claim.key ? -1 : 1));
    const lock = orders?.lock ?? [];
    const [found] = await preparedRows<HeadsAndNumbersRow & { claimed: { owner: string; key: string }[]; accounts: LockedAccount[] }>(
      tx,
      orders ? 'group_open_orders' : 'group_open',
      sql`with claimed as (
            insert into idempotency_keys (owner, key, request_hash)
            select v.owner, v.key, v.hash
              from unnest(${sql.param(keyed.map((k) => k.claim.owner))}::text[], ${sql.param(keyed.map((k) => k.claim.key))}::text[],
                          ${sql.param(keyed.map((k) => k.claim.requestHash))}::text[]) with ordinality as v(owner, key, hash, n)
             order by v.n
            on conflict do nothing
            returning owner, key)
          ${
            orders
              ? sql`, held as (${lockedAccountsQuery(lock)}),
                  -- h reads held, so the accounts are locked before the heads
                  h as (select fund_id, length, head_hash, month_numbers from fund_chains
                         where fund_id in (select fund_id from held) order by fund_id for update)
                  select (select coalesce(json_agg(json_build_object('owner', owner, 'key', key)), '[]'::json) from claimed) as claimed,
                         (select coalesce(json_agg(held order by id), '[]'::json) from held) as accounts,
                         ${headsAndNumbers(orders.draw, sql`(select count(distinct fund_id) from held)`)}`
              : sql`select (select coalesce(json_agg(json_build_object('owner', owner, 'key', key)), '[]'::json) from claimed) as claimed,
                         '[]'::json as accounts, '[]'::json as heads, null::text[] as numbers, '' as created_at`
          }`,
    );
    const opened = { locked: found!.accounts, ...readHeadsAndNumbers(found!) };
    const claimed = found!.claimed;
    const mine = new Set(claimed.map((c) => `${c.owner}\0${c.key}`));
    const used = keyed.filter((k) => !mine.has(`${k.claim.owner}\0${k.claim.key}`));
    if (!used.length) return { replays, ...opened };
    const stored = await rows<{ owner: string; key: string; request_hash: string; response_status: number | null; response_body: unknown }>(
      tx,
      // A lookup per key (lateral), by the unique index: never a scan of the whole table.
      sql`select v.owner, v.key, k.request_hash, k.response_status, k.response_body
            from unnest(${sql.param(used.map((k) => k.claim.owner))}::text[], ${sql.param(used.map((k) => k.claim.key))}::text[]) as v(owner, key)
            cross join lateral (select i.request_hash, i.response_status, i.response_body from idempotency_keys i
                                 where i.owner = v.owner and i.key = v.key) k`,
    );
    const byKey = new Map(stored.map((s) => [`${s.owner}\0${s.key}`, s]));
    for (const { claim, i } of used) {
      const found = byKey.get(`${claim.owner}\0${claim.key}`);
      if (!found || found.request_hash !== claim.requestHash || found.response_status === null) {
        results[i] = {
          ok: false,
          error: new DomainError('idempotency_conflict', 'This Idempotency-Key was already used with a different request; use a new key for a new request.'),
        };
      } else {
        replays.set(i, { answer: found.response_body, status: found.response_status, replayed: true });
      }
    }
    return { replays, ...opened };
  }

  /**
   * One statement for the group's `parts` (its postings and links, if any) and everything that goes with
   * its outcomes, ending with `check` (a select that raises what it refuses), if any. Its query is on
   * its way to the database when the returned promise is: a COMMIT sent next goes right behind it.
   */
  function writeGroup(
    tx: Tx,
    parts: SQL[],
    entries: Entry[],
    results: Result[],
    replays: Map<number, JobOutcome<unknown>>,
    fastEvents: EventInput[],
    check?: SQL,
  ): Promise<unknown> {
    const answers: { owner: string; key: string; hash: string; status: number; body: unknown }[] = [];
    const released: { owner: string; key: string }[] = [];
    const trail: AuditRow[] = [];
    results.forEach((result, i) => {
      const { job } = entries[i]!;
      const ownKey = job.claim && !replays.has(i);
      if (result.ok) {
        trail.push(job.trail(result.outcome.answer, result.outcome.status, result.outcome.replayed));
        if (ownKey) answers.push({ owner: job.claim!.owner, key: job.claim!.key, hash: job.claim!.requestHash, status: result.outcome.status, body: result.outcome.answer });
      } else if (ownKey && !(result.error instanceof DomainError && result.error.code === 'idempotency_conflict')) {
        released.push({ owner: job.claim!.owner, key: job.claim!.key });
      }
    });
    const events = fastEvents.map((e) => ({ type: e.type, fund_id: e.fundId ?? null, subject_id: e.subjectId, payload: e.payload }));
    const audit = trail.map((r) => ({
      actor_id: r.actorId ?? null,
      actor_role: r.actorRole ?? null,
      request_id: r.requestId,
      client_address: r.clientAddress ?? null,
      method: r.method,
      route: r.route ?? null,
      path: r.path,
      target_ids: r.targetIds ?? {},
      status: r.status,
      outcome: r.outcome,
      error_code: r.errorCode ?? null,
      replayed: r.replayed ?? false,
    }));
    if (!parts.length && !events.length && !answers.length && !released.length && !audit.length) return Promise.resolve();
    return preparedRows(
      tx,
      parts.length ? 'group_write_postings' : 'group_write_outcomes',
      sql`
      with ${sql.join([...parts, sql``], sql`, `)} new_events as (
        insert into events (type, fund_id, subject_id, payload)
        select type, fund_id, subject_id, payload
          from jsonb_to_recordset(${JSON.stringify(events)}::jsonb) as v(type text, fund_id uuid, subject_id text, payload jsonb)),
      -- The answers as an upsert: each key's row (claimed by this transaction) is met through the unique
      -- index, however the planner sizes the table (a join scans the whole of it while its statistics
      -- are young). Releases are rare (a refusal): skipped outright when there are none.
      answers as (
        insert into idempotency_keys as k (owner, key, request_hash, response_status, response_body)
        select v.owner, v.key, v.hash, v.status, v.body
          from jsonb_to_recordset(${JSON.stringify(answers)}::jsonb) as v(owner text, key text, hash text, status int, body jsonb)
        on conflict (owner, key) do update set response_status = excluded.response_status, response_body = excluded.response_body),
      released as (
        delete from idempotency_keys k
         using unnest(${sql.param(released.map((r) => r.owner))}::text[], ${sql.param(released.map((r) => r.key))}::text[]) as v(owner, key)
         where ${released.length} > 0 and k.owner = v.owner and k.key = v.key),
      trail as (
        insert into audit_log (actor_id, actor_role, request_id, client_address, method, route, path, target_ids, status, outcome, error_code, replayed)
        select actor_id, actor_role, request_id, client_address, method, route, path, target_ids, status, outcome, error_code, replayed
          from jsonb_to_recordset(${JSON.stringify(audit)}::jsonb)
               as v(actor_id text, actor_role text, request_id text, client_address text, method text, route text, path text,
                    target_ids jsonb, status int, outcome text, error_code text, replayed boolean))
      ${check ?? sql`select 1`}`,
    );
  }

  return {
    /** Runs a write in the next group (or at once, alone or when nothing is in flight); resolves after its commit. */
    async submit<T>(job: GroupJob<T>): Promise<JobOutcome<T>> {
      if (!job.claim) return enqueue(job);
      const name = `${job.claim.owner}\0${job.claim.key}`;
      for (let first = inFlight.get(name); first; first = inFlight.get(name)) await first.catch(() => undefined);
      const outcome = enqueue(job);
      inFlight.set(name, outcome);
      const settled = () => {
        if (inFlight.get(name) === outcome) inFlight.delete(name);
      };
      outcome.then(settled, settled);
      return outcome;
    },
    stats: (): GroupStats => ({ ...stats, sizes: { ...stats.sizes } }),
    /** Resolves once every write handed in so far is answered: the service waits for it before closing the database. */
    async settled(): Promise<void> {
      while (draining || alone.size) await Promise.allSettled([draining, ...alone]);
    },
  };
}
