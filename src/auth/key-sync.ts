import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import type { Database } from '../db/client.js';

/** Notified, in the changing transaction, by the triggers on api_keys and disabled_env_tokens (drizzle/0011). */
export const CHANGES_CHANNEL = 'fl_api_keys';
/** How often a PostgreSQL listener sends itself a heartbeat through the notification queue. */
export const HEARTBEAT_MS = 100;
/** Cached keys are trusted only while a heartbeat sent less than this long ago has come back. */
export const TRUST_WINDOW_MS = 500;
/** How long a revocation waits after its commit before it answers: the window, with a margin for clock rates. */
export const REVOCATION_SETTLE_MS = TRUST_WINDOW_MS + 50;
const RECONNECT_MS = 1_000;
// A heartbeat that has not come back after this long means a lost connection: a new one is opened.
const HEARTBEAT_GIVE_UP_MS = 5_000;

/**
 * Tells the API key cache (src/auth/service.ts) when it may answer without the database, and when it must
 * forget what it holds.
 *
 * The guarantee, on PostgreSQL with several processes: a revocation through the API is refused by every process
 * from the very next request after its answer. PostgreSQL delivers notifications to each listener in commit
 * order (documented for NOTIFY). Each process sends itself a heartbeat NOTIFY every HEARTBEAT_MS on its own
 * listening connection and notes when it sent the latest one that has come back: every change committed before
 * that moment has then been heard, and the cache cleared for it. The cache answers only while that moment is less
 * than TRUST_WINDOW_MS old; otherwise the key is looked up in the database. A revocation answers only
 * REVOCATION_SETTLE_MS after its commit, so a request that arrives anywhere after the answer finds either a
 * heartbeat sent after the commit (hence the change heard) or no trust (hence a database lookup). What it assumes:
 * monotonic clocks of the processes run at the same rate (within 10%), nothing more; no message between
 * processes, no wall clock. A change made directly in SQL (not through the API) notifies too, through the
 * triggers, and takes effect in every process within TRUST_WINDOW_MS of its commit.
 *
 * A listening connection that drops is not trusted from that moment (the cache is cleared, keys are looked up in
 * the database) and is replaced every RECONNECT_MS until it listens again; one that silently stops delivering
 * (half-open) loses trust by itself within TRUST_WINDOW_MS, its heartbeats no longer coming back, and is
 * replaced once one has been missing for HEARTBEAT_GIVE_UP_MS.
 *
 * On PGlite (one process, one connection) a change's notification is delivered in-process before the committing
 * statement's promise resolves: the cache is cleared before any answer can follow, and needs no heartbeat.
 */
export interface KeySync {
  /** Bumped on every change heard and every (re)connection: a lookup started under an older one is not cached. */
  readonly generation: number;
  /** Whether a cache entry may answer now, without the database. */
  trusted(): boolean;
  /** Whether a lookup that started at `generation` may be kept in the cache. */
  mayCache(generation: number): boolean;
  /** How long a revocation waits after its commit before it answers. */
  readonly settleMs: number;
  status(): { listening: boolean; trusted: boolean };
  close(): Promise<void>;
}

export function createKeySync(listenVia: Database['listenVia'], onChange: () => void): KeySync {
  if (!listenVia) return noSync;
  return listenVia.kind === 'pglite' ? pgliteSync(listenVia.client, onChange) : new PostgresSync(listenVia.url, onChange);
}

/** Without a way to hear changes, nothing is cached: every key is looked up. */
const noSync: KeySync = {
  generation: 0,
  trusted: () => false,
  mayCache: () => false,
  settleMs: 0,
  status: () => ({ listening: false, trusted: false }),
  close: async () => {},
};

function pgliteSync(client: Extract<NonNullable<Database['listenVia']>, { kind: 'pglite' }>['client'], onChange: () => void): KeySync {
  let generation = 0;
  let listening = false;
  let closed = false;
  const changed = () => {
    generation++;
    onChange();
  };
  const unlisten: Promise<(() => Promise<void>) | undefined> = client
    .listen(CHANGES_CHANNEL, changed)
    .then((stop) => {
      listening = !closed;
      changed();
      return () => stop();
    })
    .catch(() => undefined);
  return {
    get generation() {
      return generation;
    },
    trusted: () => listening,
    mayCache: (since) => listening && since === generation,
    settleMs: 0,
    status: () => ({ listening, trusted: listening }),
    async close() {
      closed = true;
      listening = false;
      const stop = await unlisten;
      if (stop) await stop().catch(() => {});
    },
  };
}

class PostgresSync implements KeySync {
  generation = 0;
  readonly settleMs = REVOCATION_SETTLE_MS;
  private client: pg.Client | undefined;
  private listening = false;
  private closed = false;
  // performance.now() when the latest heartbeat that came back was sent.
  private confirmedAt = -Infinity;
  private inFlight: { seq: number; sentAt: number } | undefined;
  private seq = 0;
  private readonly syncChannel = `fl_api_keys_sync_${randomBytes(8).toString('hex')}`;
  private readonly heartbeat: NodeJS.Timeout;
  private reconnect: NodeJS.Timeout | undefined;
  private connecting: Promise<void> | undefined;

  constructor(
    private readonly url: string,
    private readonly onChange: () => void,
  ) {
    this.heartbeat = setInterval(() => this.beat(), HEARTBEAT_MS).unref();
    this.connecting = this.connect();
  }

  trusted(): boolean {
    return this.listening && performance.now() - this.confirmedAt < TRUST_WINDOW_MS;
  }

  mayCache(since: number): boolean {
    return this.listening && since === this.generation;
  }

  status() {
    return { listening: this.listening, trusted: this.trusted() };
  }

  private changed() {
    this.generation++;
    this.onChange();
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 5_000, keepAlive: true, application_name: 'fund-ledger key cache' });
    client.on('error', () => this.drop(client));
    client.on('end', () => this.drop(client));
    client.on('notification', (message) => {
      if (client !== this.client) return;
      if (message.channel === CHANGES_CHANNEL) this.changed();
      else if (message.channel === this.syncChannel && this.inFlight && message.payload === String(this.inFlight.seq)) {
        this.confirmedAt = this.inFlight.sentAt;
        this.inFlight = undefined;
      }
    });
    try {
      await client.connect();
      // Heartbeats need not be durable: they are delivered at commit, in commit order, flushed or not.
      await client.query('set synchronous_commit = off');
      await client.query(`listen ${CHANGES_CHANNEL}`);
      await client.query(`listen ${this.syncChannel}`);
    } catch {
      this.drop(client);
      return;
    }
    if (this.closed) {
      await client.end().catch(() => {});
      return;
    }
    this.client = client;
    this.listening = true;
    // Whatever was cached before this connection listened may have missed a change.
    this.changed();
    this.beat();
  }

  private drop(client: pg.Client) {
    const wasCurrent = client === this.client;
    if (wasCurrent) {
      this.client = undefined;
      this.listening = false;
      this.inFlight = undefined;
      this.confirmedAt = -Infinity;
      this.changed();
    }
    client.end().catch(() => {});
    if ((wasCurrent || !this.client) && !this.closed && !this.reconnect) {
      this.reconnect = setTimeout(() => {
        this.reconnect = undefined;
        if (!this.closed && !this.client) this.connecting = this.connect();
      }, RECONNECT_MS);
      this.reconnect.unref();
    }
  }

  private beat() {
    const client = this.client;
    if (!client || this.closed) return;
    const now = performance.now();
    if (this.inFlight) {
      // A heartbeat that does not come back at all: the connection is lost without a word (half-open), and
      // another query on it would only queue behind the first. It is replaced.
      if (now - this.inFlight.sentAt >= HEARTBEAT_GIVE_UP_MS) this.drop(client);
      return;
    }
    const seq = ++this.seq;
    this.inFlight = { seq, sentAt: now };
    client.query('select pg_notify($1, $2)', [this.syncChannel, String(seq)]).catch(() => this.drop(client));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listening = false;
    clearInterval(this.heartbeat);
    if (this.reconnect) clearTimeout(this.reconnect);
    await this.connecting;
    const client = this.client;
    this.client = undefined;
    if (client) await client.end().catch(() => {});
  }
}
