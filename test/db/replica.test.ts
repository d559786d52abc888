import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { appendFile, chown, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/db/client.js';
import { ADMIN_TOKEN, startApp, type TestApp } from '../helpers/app.js';
import { realPostgres } from '../helpers/database.js';
import { createFund, transfer } from '../helpers/fixtures.js';

/**
 * A real streaming replica of the test server: a second cluster on a free port, copied with
 * pg_basebackup -R, hot standby. The service is opened with DATABASE_URL and DATABASE_READ_URL, and the
 * test shows which server answers whom by pausing the replica's replay (a reader then sees the old
 * balance while an officer sees the new one) and by stopping the replica (a reader gets 503, an
 * officer does not).
 *
 * The primary is never restarted (other test files use it). If it refuses replication connections
 * from loopback, one pg_hba.conf line allowing them (like the trust line for ordinary connections it
 * has already) is appended and the configuration reloaded; the line stays for the next run.
 */

const run = promisify(execFile);
const serverUrl = process.env.TEST_DATABASE_URL ?? '';

/** Bounded polling: the replica applies the primary's WAL a moment later, never at a known instant. */
async function eventually<T>(what: string, probe: () => Promise<T | undefined>, seconds = 30): Promise<T> {
  const until = Date.now() + seconds * 1000;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`gave up waiting for ${what} after ${seconds} s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function query<T = Record<string, string>>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, values)).rows as T[];
  } finally {
    await client.end();
  }
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

const withDatabase = (url: string, name: string) => {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
};

/** The server's binaries run as the postgres user: PostgreSQL refuses to run as root. */
class ReplicaCluster {
  dir?: string;
  port?: number;
  private bin = '';
  private asPostgres: string[] = [];

  get dataDir() {
    return join(this.dir!, 'data');
  }

  private async pg(tool: string, args: string[]) {
    const [command, ...rest] = [...this.asPostgres, join(this.bin, tool), ...args];
    return run(command!, rest, { timeout: 120_000 });
  }

  async start(primaryUrl: string) {
    const primary = new URL(primaryUrl);
    const [settings] = await query<Record<string, string>>(
      primaryUrl,
      `select current_setting('server_version_num') as version, current_setting('wal_level') as wal_level,
              current_setting('hba_file') as hba_file,
              current_setting('max_connections') as max_connections, current_setting('max_worker_processes') as max_worker_processes,
              current_setting('max_wal_senders') as max_wal_senders, current_setting('max_prepared_transactions') as max_prepared_transactions,
              current_setting('max_locks_per_transaction') as max_locks_per_transaction`,
    );
    if (settings!.wal_level === 'minimal') throw new Error('the primary has wal_level = minimal: streaming needs wal_level = replica, which only a restart can set');
    this.bin = `/usr/lib/postgresql/${Math.floor(Number(settings!.version) / 10000)}/bin`;
    if (!existsSync(join(this.bin, 'pg_basebackup'))) throw new Error(`no PostgreSQL binaries in ${this.bin}`);

    this.dir = await mkdtemp(join(tmpdir(), 'fund-ledger-replica-'));
    if (process.getuid?.() === 0) {
      this.asPostgres = ['runuser', '-u', 'postgres', '--'];
      const uid = Number((await run('id', ['-u', 'postgres'])).stdout);
      const gid = Number((await run('id', ['-g', 'postgres'])).stdout);
      await chown(this.dir, uid, gid);
    }
    await allowReplication(primaryUrl, settings!.hba_file!, this.bin);

    // Tablespaces outside the data folder would be copied onto their own paths: give them new ones.
    const tablespaces = await query<{ location: string }>(
      primaryUrl,
      `select pg_tablespace_location(oid) as location from pg_tablespace where pg_tablespace_location(oid) <> ''`,
    );
    const mappings = tablespaces.flatMap((t, i) => ['-T', `${t.location}=${join(this.dir!, `tablespace${i}`)}`]);
    await this.pg('pg_basebackup', [
      '-h', primary.hostname, '-p', primary.port || '5432', '-U', decodeURIComponent(primary.username || 'postgres'),
      '-D', this.dataDir, '-X', 'stream', '-R', '--checkpoint=fast', '--no-sync', ...mappings,
    ]);

    this.port = await freePort();
    // Debian keeps the configuration outside the data folder, so the copy has none: write the replica's
    // own. postgresql.auto.conf (ALTER SYSTEM's file, copied from the primary, with -R's primary_conninfo)
    // is read last, so these lines are appended there and win. Standby limits must not be below the primary's.
    await writeFile(join(this.dataDir, 'postgresql.conf'), '# test replica: see postgresql.auto.conf\n');
    await writeFile(join(this.dataDir, 'pg_hba.conf'), 'local all all trust\nhost all all 127.0.0.1/32 trust\n');
    await writeFile(join(this.dataDir, 'pg_ident.conf'), '');
    const own = (name: string, value: string) => `${name} = '${value}'\n`;
    await appendFile(
      join(this.dataDir, 'postgresql.auto.conf'),
      own('port', String(this.port)) +
        own('listen_addresses', '127.0.0.1') +
        own('unix_socket_directories', this.dir) +
        own('hot_standby', 'on') +
        own('archive_mode', 'off') +
        own('ssl', 'off') +
        own('shared_buffers', '32MB') +
        own('fsync', 'off') +
        ['max_connections', 'max_worker_processes', 'max_wal_senders', 'max_prepared_transactions', 'max_locks_per_transaction']
          .map((name) => own(name, settings![name]!))
          .join(''),
    );
    if (this.asPostgres.length) {
      const { uid, gid } = await stat(this.dataDir);
      for (const file of ['postgresql.conf', 'pg_hba.conf', 'pg_ident.conf', 'postgresql.auto.conf']) await chown(join(this.dataDir, file), uid, gid);
    }
    await this.pg('pg_ctl', ['start', '-w', '-t', '60', '-D', this.dataDir, '-l', join(this.dir, 'replica.log')]);
    await eventually('the replica to stream from the primary', async () => {
      const [receiver] = await query<{ status: string }>(this.url('postgres'), 'select status from pg_stat_wal_receiver');
      return receiver?.status === 'streaming' ? true : undefined;
    });
  }

  url(database: string) {
    return `postgres://postgres@127.0.0.1:${this.port}/${database}`;
  }

  async log() {
    return this.dir ? readFile(join(this.dir, 'replica.log'), 'utf8').catch(() => '') : '';
  }

  async stop(mode: 'fast' | 'immediate' = 'fast') {
    if (this.dir && existsSync(join(this.dataDir, 'postmaster.pid'))) {
      await this.pg('pg_ctl', ['stop', '-w', '-m', mode, '-D', this.dataDir]);
    }
  }

  async remove() {
    try {
      await this.stop('immediate');
    } finally {
      if (this.dir) await rm(this.dir, { recursive: true, force: true });
    }
  }
}

/** Makes sure the primary accepts a physical replication connection from loopback, without a restart. */
async function allowReplication(primaryUrl: string, hbaFile: string, bin: string) {
  const u = new URL(primaryUrl);
  const canReplicate = () =>
    run(join(bin, 'psql'), [
      `host=${u.hostname} port=${u.port || '5432'} user=${decodeURIComponent(u.username || 'postgres')} dbname=postgres replication=true`,
      '-Atc',
      'IDENTIFY_SYSTEM',
    ]).then(
      () => true,
      () => undefined,
    );
  if (await canReplicate()) return;
  const hba = await readFile(hbaFile, 'utf8');
  const marker = '# fund-ledger test/db/replica.test.ts';
  if (!hba.includes(marker)) {
    await appendFile(hbaFile, `\n${marker}: streaming replicas of this server on loopback\nhost replication all 127.0.0.1/32 trust\n`);
  }
  await query(primaryUrl, 'select pg_reload_conf()');
  await eventually('the primary to accept replication connections', canReplicate, 10);
}

describe.skipIf(!realPostgres)('reads for other systems served by a streaming replica', () => {
  const name = `fl_test_replica_${process.pid}_${randomBytes(4).toString('hex')}`;
  const replica = new ReplicaCluster();
  let created = false;
  let t: TestApp | undefined;

  beforeAll(async () => {
    await query(serverUrl, `create database ${name}`);
    created = true;
    const migrating = openDatabase({ url: withDatabase(serverUrl, name) });
    try {
      await migrating.migrate();
    } finally {
      await migrating.close();
    }
    try {
      await replica.start(serverUrl);
    } catch (error) {
      throw new Error(`could not start the replica: ${(error as Error).message}\n${await replica.log()}`);
    }
    t = await startApp({
      name: 'postgres',
      async open() {
        const database = openDatabase({ url: withDatabase(serverUrl, name), readUrl: replica.url(name), poolSize: 4 });
        return { ...database, drop: () => database.close() };
      },
    });
  }, 120_000);

  afterAll(async () => {
    // Each step runs whatever the one before it did: nothing of the test may outlive it.
    try {
      await t?.close();
    } finally {
      try {
        await replica.remove();
      } finally {
        if (created) await query(serverUrl, `drop database if exists ${name} with (force)`);
      }
    }
  }, 120_000);

  it("serves a reader's GETs from the replica and everyone else's from the primary", async () => {
    const app = t!;
    const f = await createFund(app);
    // A scoped key: its scope checks read the replica too.
    const reader = await app.keyFor('reader', { funds: [f.fundId] });
    const officer = await app.keyFor('officer');
    const bank = f.accounts.bank!;
    const balanceAs = async (token: string) => {
      const r = await app.call('GET', `/v1/accounts/${bank}/balance`, { token });
      return r.status === 200 ? (r.body.balance as string) : `${r.status} ${r.body?.code}`;
    };

    expect((await app.call('POST', '/v1/transactions', { body: transfer('2026-01-05', bank, f.accounts.income!, '100.00') })).status).toBe(201);
    // The reader sees the balance once the replica has replayed the posting.
    await eventually('the balance to arrive on the replica', async () => ((await balanceAs(reader)) === '100.00' ? true : undefined));

    // With the replica's replay paused, what the reader sees can only have come from the replica.
    await query(replica.url('postgres'), 'select pg_wal_replay_pause()');
    await eventually('replay to pause', async () => {
      const [state] = await query<{ state: string }>(replica.url('postgres'), 'select pg_get_wal_replay_pause_state() as state');
      return state?.state === 'paused' ? true : undefined;
    });
    expect((await app.call('POST', '/v1/transactions', { body: transfer('2026-01-06', bank, f.accounts.income!, '25.50') })).status).toBe(201);
    expect(await balanceAs(officer)).toBe('125.50');
    expect(await balanceAs(ADMIN_TOKEN)).toBe('125.50');
    expect(await balanceAs(reader)).toBe('100.00');
    // The change feed is read from the primary (src/http/replica.ts): it has the second posting already.
    const feed = await app.call('GET', `/v1/events?limit=500`, { token: reader });
    expect(feed.status).toBe(200);
    expect(feed.body.items.filter((e: { type: string; fundId: string }) => e.type === 'transaction.posted' && e.fundId === f.fundId)).toHaveLength(2);

    await query(replica.url('postgres'), 'select pg_wal_replay_resume()');
    await eventually('the second posting to arrive on the replica', async () => ((await balanceAs(reader)) === '125.50' ? true : undefined));

    // Without the replica, other systems' reads fail; the officers' reads and all writes go on.
    await replica.stop('fast');
    await expect(app.database.readPing!()).rejects.toThrow();
    await expect(app.database.ping()).resolves.toBeUndefined();
    const refused = await app.call('GET', `/v1/accounts/${bank}/balance`, { token: reader });
    expect(refused.status).toBe(503);
    expect(refused.body.code).toBe('database_unavailable');
    expect(await balanceAs(officer)).toBe('125.50');
    expect((await app.call('POST', '/v1/transactions', { body: transfer('2026-01-07', bank, f.accounts.income!, '1.00') })).status).toBe(201);
    expect(await balanceAs(officer)).toBe('126.50');
  });
});
