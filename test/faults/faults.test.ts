import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { openDatabase, rows } from '../../src/db/client.js';
import { checkInvariants } from '../../src/ledger/invariants.js';
import { ADMIN_TOKEN, ID_HASH_KEY } from '../helpers/app.js';
import { emptyPostgresDatabase, realPostgres } from '../helpers/database.js';
import { freePort, type Running, startService, waitReady } from '../helpers/process.js';

/**
 * What happens when things break, on the real PostgreSQL (and a crash on the embedded PGlite), with the service in a process of its own where
 * it must be killed or stopped: nothing acknowledged is lost, nothing is half-written, every refusal is a
 * problem (503), never a 500, and the service recovers by itself.
 */

const serverUrl = process.env.TEST_DATABASE_URL!;
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!().catch(() => {});
});

interface Answer {
  status: number;
  body: any;
  headers: Headers;
}

function client(port: number) {
  return async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> => {
    const r = await fetch(`http://127.0.0.1:${port}${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : undefined, headers: r.headers };
  };
}

async function service(env: Record<string, string> = {}) {
  const db = await emptyPostgresDatabase(serverUrl);
  cleanups.push(() => db.drop());
  const port = await freePort();
  const environment = {
    DATABASE_URL: db.url,
    PORT: String(port),
    LEDGER_ADMIN_TOKEN: ADMIN_TOKEN,
    LEDGER_ID_HASH_KEY: ID_HASH_KEY,
    LEDGER_RATE_LIMIT: '0',
    ...env,
  };
  const run = () => {
    const running = startService(environment);
    cleanups.push(async () => {
      running.child.kill('SIGKILL');
      await running.exited;
    });
    return running;
  };
  const first = run();
  await waitReady(port, first);
  return { db, port, api: client(port), running: first, restart: async () => {
    const next = run();
    await waitReady(port, next);
    return next;
  } };
}

/** A fund with eight asset accounts and an income account: debiting any asset and crediting income always posts. */
async function ledger(api: ReturnType<typeof client>) {
  const fund = await api('POST', '/v1/funds', { code: `F-${randomUUID().slice(0, 8)}`, name: '某乡防止返贫专项基金', organisation: '某乡', purpose: '故障测试' });
  const account = async (code: string, type: string) => (await api('POST', `/v1/funds/${fund.body.id}/accounts`, { code, name: code, type })).body.id as string;
  const assets: string[] = [];
  for (let i = 0; i < 8; i++) assets.push(await account(`A${i}`, 'asset'));
  const income = await account('INC', 'income');
  return {
    fundId: fund.body.id as string,
    transfer: (key: string, n: number) => ({
      date: '2026-01-15',
      description: 'fault test',
      reference: key,
      lines: [
        { accountId: assets[n % assets.length], direction: 'debit', amount: `${(n % 97) + 1}.${String(n % 100).padStart(2, '0')}` },
        { accountId: income, direction: 'credit', amount: `${(n % 97) + 1}.${String(n % 100).padStart(2, '0')}` },
      ],
    }),
    assets,
  };
}

interface Sent {
  body: unknown;
  answer?: Answer;
}

/** Clients posting transfers with Idempotency-Keys until told to stop; every request and its answer (if any) is kept. */
function storm(api: ReturnType<typeof client>, transfer: (key: string, n: number) => unknown, clients: number) {
  const sent = new Map<string, Sent>();
  let stopped = false;
  const loops = Array.from({ length: clients }, async (_, c) => {
    for (let n = 0; !stopped; n++) {
      const key = `c${c}-${n}`;
      const entry: Sent = { body: transfer(key, c * 1000 + n) };
      sent.set(key, entry);
      try {
        entry.answer = await api('POST', '/v1/transactions', entry.body, { 'idempotency-key': key });
      } catch {
        // The connection was cut: the outcome is unknown to this client.
        await new Promise((r) => setTimeout(r, 20));
      }
    }
  });
  return {
    sent,
    succeeded: () => [...sent.values()].filter((s) => s.answer?.status === 201).length,
    async stop() {
      stopped = true;
      await Promise.all(loops);
    },
  };
}

/**
 * A TCP proxy to PostgreSQL that the test can break as a network would: cut() closes every connection and
 * refuses new ones until open(); silence() leaves the connections open but passes nothing more on them,
 * as a middlebox that forgot them would (a half-open connection); new connections work.
 */
async function databaseProxy(url: string) {
  const upstream = new URL(url);
  const port = await freePort();
  const pairs = new Set<{ sockets: [Socket, Socket]; silent: boolean }>();
  let server: Server | undefined;
  const open = () =>
    new Promise<void>((resolve) => {
      server = createServer((downstream) => {
        const up = connect(Number(upstream.port || 5432), upstream.hostname);
        const pair = { sockets: [downstream, up] as [Socket, Socket], silent: false };
        pairs.add(pair);
        for (const [socket, other] of [[downstream, up], [up, downstream]] as const) {
          socket.on('data', (chunk) => pair.silent || other.write(chunk));
          socket.on('end', () => pair.silent || other.end());
          // A side reset (a backend terminated with unread input resets its socket) closes the other: a reset
          // kept from the service would leave its connection waiting for an answer that can never come.
          socket.on('close', () => {
            pairs.delete(pair);
            if (!pair.silent) other.destroy();
          });
          socket.on('error', () => {});
        }
      }).listen(port, '127.0.0.1', resolve);
    });
  await open();
  return {
    port,
    open,
    cut() {
      server?.close();
      for (const pair of pairs) for (const socket of pair.sockets) socket.destroy();
    },
    silence() {
      for (const pair of pairs) pair.silent = true;
    },
  };
}

/** The service in a process of its own, reaching a new database through a databaseProxy(). */
async function proxiedService(env: Record<string, string> = {}) {
  const proxy = await databaseProxy(serverUrl);
  cleanups.push(async () => proxy.cut());
  const db = await emptyPostgresDatabase(serverUrl);
  cleanups.push(() => db.drop());
  const viaProxy = new URL(db.url);
  viaProxy.port = String(proxy.port);
  const port = await freePort();
  const running: Running = startService({
    DATABASE_URL: viaProxy.toString(),
    PORT: String(port),
    LEDGER_ADMIN_TOKEN: ADMIN_TOKEN,
    LEDGER_ID_HASH_KEY: ID_HASH_KEY,
    LEDGER_RATE_LIMIT: '0',
    ...env,
  });
  cleanups.push(async () => {
    running.child.kill('SIGKILL');
    await running.exited;
  });
  await waitReady(port, running);
  return { proxy, db, port, running, api: client(port) };
}

async function until(what: string, check: () => Promise<boolean> | boolean, seconds = 30) {
  for (let i = 0; i < seconds * 10; i++) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Opens the service's database directly, to check what is in it. */
async function inspect(url: string) {
  const database = openDatabase({ url, poolSize: 2 });
  cleanups.push(() => database.close());
  const count = async (reference: string) =>
    Number((await rows<{ n: string }>(database.db, sql`select count(*)::text as n from transactions where reference = ${reference}`))[0]!.n);
  return { database, count, violations: () => checkInvariants(database.db) };
}

describe.runIf(realPostgres)('faults on PostgreSQL', () => {
  it('loses nothing acknowledged and half-writes nothing when killed with -9 mid-storm; retries get the original answers', { timeout: 240_000 }, async () => {
    const s = await service();
    const { transfer } = await ledger(s.api);
    const load = storm(s.api, transfer, 8);
    await until('some postings', () => load.succeeded() >= 150, 120);
    // The clients keep sending until the process is gone: a group answers its writes together, so at the
    // instant of the signal none may be in flight; those sent meanwhile are cut off or refused.
    s.running.child.kill('SIGKILL');
    await s.running.exited;
    await load.stop();

    const answered = [...load.sent.values()].filter((x) => x.answer);
    expect(answered.filter((x) => x.answer!.status >= 500)).toEqual([]);
    await s.restart();
    const { count, violations } = await inspect(s.db.url);
    expect(await violations()).toEqual([]);

    let unknown = 0;
    for (const [key, entry] of load.sent) {
      if (entry.answer?.status === 201) {
        expect(await count(key)).toBe(1);
        const again = await s.api('POST', '/v1/transactions', entry.body, { 'idempotency-key': key });
        expect(again.status).toBe(201);
        expect(again.headers.get('idempotent-replayed')).toBe('true');
        expect(again.body).toEqual(entry.answer.body);
      } else if (!entry.answer) {
        // Cut off mid-flight: committed or not, never twice; the retry settles it.
        unknown++;
        expect(await count(key)).toBeLessThanOrEqual(1);
        expect((await s.api('POST', '/v1/transactions', entry.body, { 'idempotency-key': key })).status).toBe(201);
        expect(await count(key)).toBe(1);
      }
    }
    expect(unknown).toBeGreaterThan(0);
    expect(await violations()).toEqual([]);
  });

  it('answers 503 while the database is gone, recovers by itself, and loses nothing acknowledged', { timeout: 240_000 }, async () => {
    // The service reaches PostgreSQL through a proxy the test can cut, as a network failure would.
    const { proxy, db, port, running, api } = await proxiedService();
    const { transfer } = await ledger(api);
    const load = storm(api, transfer, 4);
    await until('postings', () => load.succeeded() >= 30);

    // Connections killed on the server: the pool opens new ones.
    const admin = new pg.Client({ connectionString: serverUrl });
    await admin.connect();
    cleanups.push(() => admin.end());
    await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [db.name]);
    const afterTerminate = load.succeeded();
    await until('postings after the connections were killed', () => load.succeeded() >= afterTerminate + 30).catch((e) => {
      const tally: Record<string, number> = {};
      for (const x of load.sent.values()) tally[`${x.answer?.status} ${x.answer?.body?.code}`] = (tally[`${x.answer?.status} ${x.answer?.body?.code}`] ?? 0) + 1;
      throw new Error(`${e.message}: ${JSON.stringify(tally)} ${running.output()}`);
    });

    // The database unreachable: problems, not hangs and not 500s.
    proxy.cut();
    await until('/readyz to fail', async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 503);
    const refused = await api('POST', '/v1/transactions', transfer(`gone-${randomUUID()}`, 1));
    expect(refused.status).toBe(503);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(refused.body.code).toBe('database_unavailable');

    await proxy.open();
    await until('/readyz to recover', async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200, 60);
    const afterRecovery = load.succeeded();
    await until('postings after recovery', () => load.succeeded() >= afterRecovery + 30, 60);
    await load.stop();

    const statuses = new Set([...load.sent.values()].flatMap((x) => (x.answer ? [x.answer.status] : [])));
    expect([...statuses].filter((status) => status !== 201 && status !== 503)).toEqual([]);
    const { count, violations } = await inspect(db.url);
    for (const [key, entry] of load.sent) if (entry.answer?.status === 201) expect(await count(key)).toBe(1);
    expect(await violations()).toEqual([]);
  });

  it('answers every request when its database connections go silent, gives them up and goes on by itself', { timeout: 120_000 }, async () => {
    const { proxy, db, api } = await proxiedService({ LEDGER_STATEMENT_TIMEOUT_MS: '1000' });
    const { transfer } = await ledger(api);
    const load = storm(api, transfer, 4);
    await until('postings', () => load.succeeded() >= 30);

    // Every open connection, the pool's and the key cache's listener, stops carrying anything, without a
    // close or a reset: the statements sent on them are never answered.
    proxy.silence();
    const before = load.succeeded();
    await until('postings on new connections', () => load.succeeded() >= before + 30, 60);
    await load.stop();

    // Each request caught by the silence is answered once its connection is given up: its group, failed
    // before its commit, goes again write by write on new connections (201), or it is refused (503).
    const answers = [...load.sent.values()].flatMap((x) => (x.answer ? [x.answer] : []));
    expect(answers).toHaveLength(load.sent.size);
    expect(answers.filter((a) => a.status !== 201 && a.status !== 503)).toEqual([]);
    const { count, violations } = await inspect(db.url);
    for (const [key, entry] of load.sent) if (entry.answer?.status === 201) expect(await count(key)).toBe(1);
    expect(await violations()).toEqual([]);
  });

  it('on SIGTERM finishes the request in flight, refuses new ones, closes its pool and exits 0', { timeout: 120_000 }, async () => {
    const s = await service();
    const { transfer, assets } = await ledger(s.api);
    // Hold the account the request will post to, so that it is still in flight when the signal comes.
    const holder = new pg.Client({ connectionString: s.db.url });
    await holder.connect();
    cleanups.push(() => holder.end());
    await holder.query('begin');
    await holder.query('select id from accounts where id = $1 for update', [assets[0]]);

    const inFlight = s.api('POST', '/v1/transactions', transfer('in-flight', 0));
    await new Promise((r) => setTimeout(r, 500));
    s.running.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 500));
    const late = await s.api('GET', '/v1/funds').then(
      (a) => a.status,
      () => 'refused',
    );
    expect([503, 'refused']).toContain(late);
    await holder.query('commit');

    const finished = await inFlight;
    expect(finished.status).toBe(201);
    // Promptly: not after the keep-alive timeout (72 s) of the connection that carried the late request.
    const outcome = await Promise.race([s.running.exited, new Promise((r) => setTimeout(() => r('still running'), 20_000))]);
    expect(outcome).toBe(0);
    const { rows: left } = await holder.query('select count(*)::int as n from pg_stat_activity where datname = $1 and pid <> pg_backend_pid()', [s.db.name]);
    expect(left[0].n).toBe(0);
    const { count } = await inspect(s.db.url);
    expect(await count('in-flight')).toBe(1);
  });

  it('bounds how long a request waits on a lock or a slow statement, and such a request writes nothing', { timeout: 120_000 }, async () => {
    const db = await emptyPostgresDatabase(serverUrl);
    cleanups.push(() => db.drop());
    const start = async (timeouts: { lockTimeoutMs: number; statementTimeoutMs: number }) => {
      const database = openDatabase({ url: db.url, poolSize: 4, ...timeouts });
      await database.migrate();
      const app = await buildApp({ config: loadConfig({ LEDGER_ADMIN_TOKEN: ADMIN_TOKEN, LOG_LEVEL: 'silent', LEDGER_RATE_LIMIT: '0' }), database, idHashKey: ID_HASH_KEY });
      cleanups.push(async () => {
        await app.close();
        await database.close();
      });
      return async (method: string, url: string, body?: unknown, headers: Record<string, string> = {}) => {
        const r = await app.inject({ method: method as 'POST', url, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...headers }, ...(body ? { payload: body as object } : {}) });
        return { status: r.statusCode, body: r.json(), headers: r.headers };
      };
    };
    const byLock = await start({ lockTimeoutMs: 300, statementTimeoutMs: 60_000 });
    const byStatement = await start({ lockTimeoutMs: 60_000, statementTimeoutMs: 300 });
    const fund = await byLock('POST', '/v1/funds', { code: 'SLOW', name: '某乡防止返贫专项基金', organisation: '某乡', purpose: '超时测试' });
    const account = async (code: string, type: string) => (await byLock('POST', `/v1/funds/${fund.body.id}/accounts`, { code, name: code, type })).body.id as string;
    const [bank, income] = [await account('BANK', 'asset'), await account('INC', 'income')];
    const posting = { date: '2026-01-15', description: '超时', lines: [{ accountId: bank, direction: 'debit', amount: '1.00' }, { accountId: income, direction: 'credit', amount: '1.00' }] };
    const { database } = await inspect(db.url);
    const transactions = async () => Number((await rows<{ n: string }>(database.db, sql`select count(*)::text as n from transactions`))[0]!.n);

    const holder = new pg.Client({ connectionString: db.url });
    await holder.connect();
    cleanups.push(() => holder.end());
    await holder.query('begin');
    await holder.query('select id from accounts where id = $1 for update', [bank]);
    const before = await transactions();
    for (const [post, key] of [[byLock, 'k-lock'], [byStatement, 'k-statement']] as const) {
      const refused = await post('POST', '/v1/transactions', posting, { 'idempotency-key': key });
      expect(refused.status).toBe(503);
      expect(refused.body.code).toBe('database_timeout');
      expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
    expect(await transactions()).toBe(before);
    await holder.query('commit');

    // Nothing was kept of the refused requests: the same keys now post, fresh.
    for (const [post, key] of [[byLock, 'k-lock'], [byStatement, 'k-statement']] as const) {
      const posted = await post('POST', '/v1/transactions', posting, { 'idempotency-key': key });
      expect(posted.status).toBe(201);
      expect(posted.headers['idempotent-replayed']).toBeUndefined();
    }
    expect(await transactions()).toBe(before + 2);
  });
});

describe('faults on the embedded PGlite', () => {
  it('loses nothing acknowledged and half-writes nothing when killed with -9 mid-storm; retries get the original answers', { timeout: 240_000 }, async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'fl-faults-pglite-'));
    cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    const port = await freePort();
    const environment = { LEDGER_DATA_DIR: dataDir, PORT: String(port), LEDGER_ADMIN_TOKEN: ADMIN_TOKEN, LEDGER_ID_HASH_KEY: ID_HASH_KEY, LEDGER_RATE_LIMIT: '0' };
    const run = async () => {
      const running = startService(environment);
      cleanups.push(async () => {
        running.child.kill('SIGKILL');
        await running.exited;
      });
      await waitReady(port, running);
      return running;
    };
    const first = await run();
    const api = client(port);
    const { transfer } = await ledger(api);
    const load = storm(api, transfer, 8);
    await until('some postings', () => load.succeeded() >= 100, 120);
    first.child.kill('SIGKILL');
    await first.exited;
    await load.stop();
    expect([...load.sent.values()].filter((x) => x.answer && x.answer.status >= 500)).toEqual([]);

    // The lock the killed process left is stale: the restart takes the folder over.
    const second = await run();
    let unknown = 0;
    for (const [key, entry] of load.sent) {
      const again = await api('POST', '/v1/transactions', entry.body, { 'idempotency-key': key });
      expect(again.status).toBe(201);
      if (entry.answer?.status === 201) {
        expect(again.headers.get('idempotent-replayed')).toBe('true');
        expect(again.body).toEqual(entry.answer.body);
      } else if (!entry.answer) {
        unknown++;
      }
    }
    expect(unknown).toBeGreaterThan(0);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);

    // Every key is in the journal exactly once now, and every invariant holds.
    const database = openDatabase({ dataDir });
    cleanups.push(() => database.close());
    const counts = await rows<{ reference: string; n: string }>(database.db, sql`select reference, count(*)::text as n from transactions where reference is not null group by reference`);
    const byKey = new Map(counts.map((c) => [c.reference, Number(c.n)]));
    for (const key of load.sent.keys()) expect(byKey.get(key)).toBe(1);
    expect(await checkInvariants(database.db)).toEqual([]);
  });
});
