import { connect, createServer, type Socket } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, ID_HASH_KEY } from '../helpers/app.js';
import { emptyPostgresDatabase, realPostgres } from '../helpers/database.js';
import { freePort, type Running, startService, waitReady } from '../helpers/process.js';

/**
 * A TCP proxy to the database that, while `stall` is set, holds back what the server sends to the key cache's
 * listening connections (known by their application_name), as a connection that silently stops delivering would.
 */
async function listenerProxy(databaseUrl: string) {
  const target = new URL(databaseUrl);
  const held: { socket: Socket; chunks: Buffer[] }[] = [];
  const sockets = new Set<Socket>();
  const state = { stall: false };
  const server = createServer((downstream) => {
    const upstream = connect(Number(target.port || 5432), target.hostname);
    sockets.add(downstream).add(upstream);
    const entry = { socket: downstream, chunks: [] as Buffer[] };
    let listener = false;
    downstream.on('data', (chunk) => {
      if (chunk.includes('fund-ledger key cache')) {
        listener = true;
        held.push(entry);
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      if (listener && state.stall) entry.chunks.push(chunk);
      else downstream.write(chunk);
    });
    const end = () => {
      downstream.destroy();
      upstream.destroy();
    };
    downstream.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = new URL(databaseUrl);
  url.host = `127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    url: url.toString(),
    set stall(value: boolean) {
      state.stall = value;
    },
    release() {
      state.stall = false;
      for (const h of held) for (const chunk of h.chunks.splice(0)) h.socket.write(chunk);
    },
    close() {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

/**
 * Two service processes on one PostgreSQL database, each with its own API key cache: a key revoked through one is
 * refused by the other on the very next request, and a cached key is answered, expiry included, without
 * reading api_keys (proved by holding a lock on it that any read would wait for).
 */
describe.runIf(realPostgres)('API keys across two service processes', () => {
  let database: Awaited<ReturnType<typeof emptyPostgresDatabase>>;
  const running: Running[] = [];
  let a: ReturnType<typeof client>;
  let b: ReturnType<typeof client>;
  let proxy: Awaited<ReturnType<typeof listenerProxy>>;

  function client(port: number) {
    return async (method: string, path: string, token: string, body?: unknown) => {
      const started = performance.now();
      const r = await fetch(`http://127.0.0.1:${port}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(20_000),
      });
      const text = await r.text();
      return { status: r.status, body: text ? JSON.parse(text) : undefined, ms: performance.now() - started };
    };
  }

  beforeAll(async () => {
    database = await emptyPostgresDatabase(process.env.TEST_DATABASE_URL!);
    const ports = [await freePort(), await freePort()];
    proxy = await listenerProxy(database.url);
    // B reaches the database through the proxy, which can hold back what its listening connection receives.
    for (const [i, port] of ports.entries()) {
      const url = i === 0 ? database.url : proxy.url;
      running.push(
        startService({ DATABASE_URL: url, PORT: String(port), LEDGER_ADMIN_TOKEN: ADMIN_TOKEN, LEDGER_ID_HASH_KEY: ID_HASH_KEY, LEDGER_RATE_LIMIT: '0' }),
      );
    }
    await Promise.all(ports.map((port, i) => waitReady(port, running[i]!)));
    [a, b] = ports.map(client) as [typeof a, typeof b];
  }, 120_000);

  afterAll(async () => {
    for (const r of running) {
      r.child.kill('SIGTERM');
      await r.exited;
    }
    await database?.drop();
    proxy?.close();
  });

  const issue = async (body: object) => {
    const r = await a('POST', '/v1/api-keys', ADMIN_TOKEN, body);
    expect(r.status).toBe(201);
    return r.body as { id: string; token: string };
  };

  it('refuses in process B a key revoked through process A, on the very next request, every time', async () => {
    for (let i = 0; i < 6; i++) {
      const key = await issue({ name: `revoked ${i}`, role: 'reader', scopes: { all: true } });
      // Used, hence cached, in both processes.
      for (let j = 0; j < 3; j++) {
        expect((await b('GET', '/v1/me', key.token)).status).toBe(200);
        expect((await a('GET', '/v1/me', key.token)).status).toBe(200);
      }
      expect((await a('DELETE', `/v1/api-keys/${key.id}`, ADMIN_TOKEN)).status).toBe(200);
      // Alternate which process is asked first, right after the answer.
      const [first, second] = i % 2 ? [a, b] : [b, a];
      expect((await first('GET', '/v1/me', key.token)).status).toBe(401);
      expect((await second('GET', '/v1/me', key.token)).status).toBe(401);
    }
  });

  it("refuses it too when B's listening connection stalls without a word: B stops trusting its cache", async () => {
    for (let i = 0; i < 3; i++) {
      const key = await issue({ name: `stalled ${i}`, role: 'reader', scopes: { all: true } });
      await new Promise((r) => setTimeout(r, 600));
      expect((await b('GET', '/v1/me', key.token)).status).toBe(200);
      // What the database sends B's listener is held back: the revocation's notification, and B's heartbeats.
      proxy.stall = true;
      try {
        expect((await a('DELETE', `/v1/api-keys/${key.id}`, ADMIN_TOKEN)).status).toBe(200);
        expect((await b('GET', '/v1/me', key.token)).status).toBe(401);
      } finally {
        proxy.release();
      }
    }
  });

  it('answers cached keys without reading api_keys, and refuses one past its expiry the same way', async () => {
    const expiresAt = Date.now() + 3_000;
    const shortLived = await issue({ name: 'short-lived', role: 'auditor', expiresAt: new Date(expiresAt).toISOString() });
    const lasting = await issue({ name: 'lasting', role: 'auditor' });
    // Both issues heard, then each key looked up once and cached.
    await new Promise((r) => setTimeout(r, 600));
    expect((await b('GET', '/v1/me', shortLived.token)).status).toBe(200);
    expect((await b('GET', '/v1/me', lasting.token)).status).toBe(200);

    const locker = new pg.Client({ connectionString: database.url });
    await locker.connect();
    try {
      // Any read of api_keys now waits for this lock (until the service's 5 s lock timeout, then 503).
      await locker.query('begin');
      await locker.query('lock table api_keys in access exclusive mode');
      for (let i = 0; i < 20; i++) {
        const r = await b('GET', '/v1/me', lasting.token);
        expect(r.status).toBe(200);
        expect(r.ms).toBeLessThan(1_000);
      }
      await new Promise((r) => setTimeout(r, Math.max(0, expiresAt - Date.now() + 100)));
      const expired = await b('GET', '/v1/me', shortLived.token);
      expect(expired.status).toBe(401);
      expect(expired.ms).toBeLessThan(1_000);
    } finally {
      await locker.query('rollback').catch(() => {});
      await locker.end();
    }
  });

  it('refuses LEDGER_ADMIN_TOKEN in process B as soon as process A has switched it off', async () => {
    const admin = await issue({ name: 'county admin', role: 'admin' });
    expect((await b('GET', '/v1/me', ADMIN_TOKEN)).status).toBe(200);
    expect((await b('GET', '/v1/me', ADMIN_TOKEN)).status).toBe(200);
    expect((await a('DELETE', '/v1/api-keys/env-admin', admin.token)).status).toBe(200);
    expect((await b('GET', '/v1/me', ADMIN_TOKEN)).status).toBe(401);
    expect((await b('GET', '/v1/me', admin.token)).status).toBe(200);
  });
});
