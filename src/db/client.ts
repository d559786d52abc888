import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import type { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import type { ExtractTablesWithRelations } from 'drizzle-orm';
import { sql } from 'drizzle-orm';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import pg from 'pg';
import { lockDataDir } from './data-dir-lock.js';
import type { Config } from '../config.js';
import * as schema from './schema.js';

export type Schema = typeof schema;
export type Db = PgDatabase<PgQueryResultHKT, Schema>;
export type Tx = PgTransaction<PgQueryResultHKT, Schema, ExtractTablesWithRelations<Schema>>;
/** Anything queries run on: the database or an open transaction. */
export type Executor = Db | Tx;

export interface Database {
  db: Db;
  kind: 'postgres' | 'pglite';
  /** Runs all pending migrations; safe when several processes start at once. */
  migrate(): Promise<void>;
  /** Throws when the database does not answer. */
  ping(): Promise<void>;
  /** Present when there is a read replica: throws when the replica does not answer. */
  readPing?(): Promise<void>;
  close(): Promise<void>;
  /**
   * PostgreSQL only: a connection of its own pool in pipeline mode, for the posting groups' transactions
   * (src/ledger/group.ts): a statement is sent without waiting for the answer to the one before, so that a
   * group's BEGIN goes with its first statement and its COMMIT with its last.
   */
  pipelined?: () => Promise<PipelinedConnection>;
  /**
   * Where change notifications are heard (the API key cache, src/auth/key-sync.ts): PostgreSQL's URL, for a
   * listening connection of its own (never one of the pool's), or the embedded PGlite itself.
   */
  listenVia?: { kind: 'postgres'; url: string } | { kind: 'pglite'; client: PGlite };
}

export interface PipelinedConnection {
  /** The connection as an executor: rows() and preparedRows() on it send at once, in call order. */
  tx: Tx;
  /** A statement without parameters (BEGIN, COMMIT, ROLLBACK); its command tag. */
  send(text: string): Promise<string>;
  /** Back to its pool; with an error, the connection is closed rather than reused. */
  release(error?: Error): void;
}

const migrationsFolder = fileURLToPath(new URL('../../drizzle', import.meta.url));

// Any fixed number shared by every instance of the service: serialises concurrent migrations.
const MIGRATION_LOCK = 7_415_201;

export interface DatabaseOptions {
  /** postgres:// URL; without it the embedded PGlite is used. */
  url?: string;
  /** postgres:// URL of a streaming replica of `url`; queries run inside readFromReplica() go there. */
  readUrl?: string;
  /** PGlite data folder, locked for this process until close() (see data-dir-lock.ts); 'memory://' keeps nothing. */
  dataDir?: string;
  poolSize?: number;
  /** PostgreSQL only: cancel a statement, or a wait for a row lock, after this many milliseconds. */
  statementTimeoutMs?: number;
  lockTimeoutMs?: number;
}

/** How long to wait for a connection before answering that the database is unavailable. */
const CONNECT_TIMEOUT_MS = 5_000;
/** How much longer than the statement timeout a connection may stay silent before it is taken for lost. */
const SILENCE_MARGIN_MS = 5_000;

/** What the configuration says to open: PostgreSQL at DATABASE_URL (and its replica), else the embedded one in LEDGER_DATA_DIR. */
export const configuredDatabase = (config: Config): DatabaseOptions => ({
  url: config.DATABASE_URL,
  readUrl: config.DATABASE_READ_URL,
  dataDir: config.LEDGER_DATA_DIR,
  statementTimeoutMs: config.LEDGER_STATEMENT_TIMEOUT_MS,
  lockTimeoutMs: config.LEDGER_LOCK_TIMEOUT_MS,
});

/** Throws DataDirLockedError, before opening anything, when another process has the embedded database's folder. */
export function openDatabase(options: DatabaseOptions): Database {
  return options.url ? openPostgres(options.url, options) : openPglite(options.dataDir ?? 'memory://');
}

// Set for the code (the rest of a request, see src/http/replica.ts) whose queries may be served by the replica.
const replicaReads = new AsyncLocalStorage<true>();

/**
 * Runs fn, and everything it starts, with its queries sent to the read replica when the database has one.
 * The replica lags the primary: only for reads that may be a moment old, never before a write.
 */
export function readFromReplica<T>(fn: () => T): T {
  return replicaReads.run(true, fn);
}

/**
 * Handed to drizzle in place of a pool: each query, and each transaction's connection, goes to the pool
 * the caller's context chooses. Drizzle's node-postgres session calls only query() and connect(), and
 * takes a transaction's own connection with connect() only when its client's class name contains "Pool":
 * hence the name.
 */
class ReadRoutingPool {
  constructor(
    private readonly primary: pg.Pool,
    private readonly replica: pg.Pool,
  ) {}

  private chosen(): pg.Pool {
    return replicaReads.getStore() ? this.replica : this.primary;
  }

  query(...args: unknown[]): unknown {
    const pool = this.chosen();
    return Reflect.apply(pool.query, pool, args);
  }

  connect(): Promise<pg.PoolClient> {
    return this.chosen().connect();
  }
}

function openPostgres(url: string, options: DatabaseOptions): Database {
  const pool = newPool(url, options);
  // One group is in flight per process, and an alone write (an import, a period close) runs beside it on
  // the main pool: two connections are enough.
  const pipelinePool = newPool(url, { ...options, poolSize: 2 }, { pipeline: true, genericPlans: true });
  const executors = new WeakMap<pg.PoolClient, Tx>();
  const replica = options.readUrl ? newPool(options.readUrl, options) : undefined;
  const client = replica ? (new ReadRoutingPool(pool, replica) as unknown as pg.Pool) : pool;
  const db = drizzlePg(client, { schema }) as unknown as Db;
  return {
    db,
    kind: 'postgres',
    listenVia: { kind: 'postgres', url },
    async migrate() {
      const client = await pool.connect();
      try {
        await client.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
        try {
          await migratePg(drizzlePg(client, { schema }), { migrationsFolder });
        } finally {
          await client.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK]);
        }
      } finally {
        client.release();
      }
    },
    async ping() {
      await pool.query('select 1');
    },
    ...(replica && {
      async readPing() {
        await replica.query('select 1');
      },
    }),
    async pipelined() {
      const client = await pipelinePool.connect();
      let tx = executors.get(client);
      if (!tx) {
        tx = drizzlePg(client, { schema }) as unknown as Tx;
        executors.set(client, tx);
      }
      return {
        tx,
        send: async (text) => (await client.query(text)).command,
        release: (error) => client.release(error ?? false),
      };
    },
    async close() {
      await Promise.all([pool.end(), pipelinePool.end(), replica?.end()]);
    },
  };
}

function newPool(url: string, options: DatabaseOptions, mode: { pipeline?: boolean; genericPlans?: boolean } = {}): pg.Pool {
  const silentMs = (options.statementTimeoutMs ?? 30_000) + SILENCE_MARGIN_MS;
  const pool = new pg.Pool({
    pipeline: mode.pipeline,
    connectionString: url,
    max: options.poolSize ?? 20,
    connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
    statement_timeout: options.statementTimeoutMs ?? 30_000,
    lock_timeout: options.lockTimeoutMs ?? 5_000,
    // A transaction left open by a crashed request, or by a connection lost without a word (see below),
    // must not hold its row locks for long: the server ends it after the silence the service gives up at.
    idle_in_transaction_session_timeout: silentMs,
    // The statements kept prepared (preparedRows) are planned on every run with the tables' current
    // statistics: a plan fixed while a table was small (a sequential scan of idempotency_keys) would
    // grow slower as the table grows. Except the posting groups' two statements (`genericPlans`): planned
    // anew they spend as long planning as running, and they are written to meet every growing table through
    // its unique index whatever the plan (src/ledger/group.ts); a plan is made again whenever ANALYZE
    // changes a table's statistics.
    options: `-c plan_cache_mode=${mode.genericPlans ? 'force_generic_plan' : 'force_custom_plan'}`,
  });
  // A client that loses its server emits 'error'; without a listener that would end the process. The pool
  // listens on idle clients only, so every client gets its own listener for the time it is checked out
  // (between two statements of a transaction): its next query then fails, the request answers 503, and the
  // pool drops the client on release since it is no longer queryable.
  pool.on('error', () => {});
  // A connection silent for longer than any statement may run has lost its server without a word (a
  // half-open TCP connection, a reset a middlebox swallowed): the server would have answered by then, if
  // only to cancel the statement. It is closed, so its statement fails (503) rather than waiting for ever —
  // and with it every write queued behind its posting group. An idle pooled connection may be closed the
  // same way; the pool opens another.
  pool.on('connect', (client) => {
    client.on('error', () => {});
    const socket = (client as unknown as { connection: { stream: Socket } }).connection.stream;
    socket.setTimeout(silentMs, () =>
      socket.destroy(Object.assign(new Error(`The database connection was silent for ${silentMs} ms.`), { code: 'ETIMEDOUT' })),
    );
  });
  return pool;
}

function openPglite(dataDir: string): Database {
  const inFolder = !dataDir.includes('://');
  if (inFolder) mkdirSync(dataDir, { recursive: true });
  const lock = inFolder ? lockDataDir(dataDir) : undefined;
  let client: PGlite;
  try {
    client = new PGlite(dataDir);
  } catch (error) {
    lock?.release();
    throw error;
  }
  const db = drizzlePglite(client, { schema }) as unknown as Db;
  return {
    db,
    kind: 'pglite',
    listenVia: { kind: 'pglite', client },
    // PGlite is one process's private database, and the folder's lock keeps it so: nobody else migrates it meanwhile.
    migrate: () => migratePglite(drizzlePglite(client, { schema }), { migrationsFolder }),
    async ping() {
      await db.execute(sql`select 1`);
    },
    async close() {
      try {
        await client.close();
      } finally {
        lock?.release();
      }
    },
  };
}

/**
 * Like rows(), as a statement the database keeps prepared on each connection: parsed once rather than on
 * every run. For the posting groups' few large statements, whose text does not vary with their data
 * (arrays as parameters). The name is `label` and a digest of the text, so one name is always one text.
 */
export async function preparedRows<T>(executor: Executor, label: string, query: ReturnType<typeof sql>): Promise<T[]> {
  // drizzle prepares a named statement only through its session; the transaction's is the one to use.
  const internal = executor as unknown as {
    session: { prepareQuery(query: { sql: string; params: unknown[] }, fields: undefined, name: string, arrayMode: boolean): { execute(): Promise<unknown> } };
    dialect: { sqlToQuery(query: ReturnType<typeof sql>): { sql: string; params: unknown[] } };
  };
  const built = internal.dialect.sqlToQuery(query);
  let name = statementNames.get(built.sql);
  if (!name) {
    name = `${label}_${createHash('sha256').update(built.sql).digest('hex').slice(0, 16)}`;
    statementNames.set(built.sql, name);
  }
  const result = await internal.session.prepareQuery(built, undefined, name, false).execute();
  return (result as { rows: T[] }).rows;
}

const statementNames = new Map<string, string>();

/** Rows of a raw query, the same shape on both drivers. */
export async function rows<T>(executor: Executor, query: ReturnType<typeof sql>): Promise<T[]> {
  const result = (await executor.execute(query)) as unknown as { rows: T[] };
  return result.rows;
}
