// What the HTTP benchmarks (posting.ts, batch-disbursement.ts) share: a database of their own, the real
// service started as a second process, its memory read from /proc, a small API client, the SQL ceiling and
// the grouped ceiling, and the machine the figures came from. Not a benchmark itself.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { emptyPostgresDatabase } from '../../helpers/database.js';
import { openDatabase } from '../../../src/db/client.js';
import { checkInvariants } from '../../../src/ledger/invariants.js';

export const projectRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const ADMIN_TOKEN = `bench-admin-${randomBytes(12).toString('hex')}`;
const ID_HASH_KEY = `bench-id-hash-${randomBytes(24).toString('hex')}`;

export const seconds = (since: bigint) => Number(process.hrtime.bigint() - since) / 1e9;
export const round = (n: number, digits = 1) => Number(n.toFixed(digits));

export function postgresServer(): string {
  return process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
}

/** A fresh database on the server, dropped by drop(). */
export async function createDatabase(server: string) {
  const empty = await emptyPostgresDatabase(server);
  const admin = new pg.Client({ connectionString: server });
  await admin.connect();
  const [{ server_version: version }] = (await admin.query('show server_version')).rows;
  await admin.end();
  return { ...empty, postgresVersion: version as string };
}

/** Every invariant of src/ledger/invariants.ts, on the database the service wrote (after it stopped, for PGlite). */
export async function invariantsHold(where: { url?: string; dataDir?: string }) {
  const database = openDatabase({ ...where, poolSize: 2 });
  try {
    const violations = await checkInvariants(database.db);
    if (violations.length) console.error('ledger invariants broken:', JSON.stringify(violations.slice(0, 5), null, 2));
    return { hold: violations.length === 0, violations: violations.length };
  } finally {
    await database.close();
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

export interface Service {
  url: string;
  pid: number;
  /** Current and peak resident memory of the service process, in MiB. */
  memory(): { rssMiB: number; peakMiB: number };
  stop(): Promise<number | null>;
}

/**
 * Starts src/server.ts with tsx's loader in one node process (`node --import tsx`, what `npx tsx` runs
 * behind its launcher), so that the pid is the service's own and /proc shows its memory. `database` is
 * a postgres:// URL or, for the embedded PGlite, { dataDir }.
 */
export async function startService(database: { url: string } | { dataDir: string }): Promise<Service> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.DATABASE_URL;
  delete env.TEST_DATABASE_URL;
  Object.assign(env, {
    PORT: String(port),
    HOST: '127.0.0.1',
    LEDGER_ADMIN_TOKEN: ADMIN_TOKEN,
    LEDGER_ID_HASH_KEY: ID_HASH_KEY,
    LEDGER_RATE_LIMIT: '0',
    LOG_LEVEL: 'warn',
    ...('url' in database ? { DATABASE_URL: database.url } : { LEDGER_DATA_DIR: database.dataDir }),
  });
  // BENCH_SERVICE_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", to profile the service under load.
  const nodeArgs = (process.env.BENCH_SERVICE_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', 'src/server.ts'], { cwd: projectRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let running = true;
  void exited.then(() => {
    running = false;
  });

  const url = `http://127.0.0.1:${port}`;
  const started = process.hrtime.bigint();
  for (;;) {
    if (!running) throw new Error(`the service exited while starting:\n${output}`);
    if (seconds(started) > 120) throw new Error(`the service did not become ready in 120 s:\n${output}`);
    try {
      if ((await fetch(`${url}/readyz`)).ok) break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }

  const status = () => readFileSync(`/proc/${child.pid}/status`, 'utf8');
  let stopping: Promise<number | null> | undefined;
  const kib = (text: string, field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? NaN);
  return {
    url,
    pid: child.pid!,
    memory() {
      const text = status();
      return { rssMiB: round(kib(text, 'VmRSS') / 1024), peakMiB: round(kib(text, 'VmHWM') / 1024) };
    },
    stop() {
      stopping ??= (async () => {
        if (running) child.kill('SIGTERM');
        const code = await exited;
        // Anything the service logged at warn or above is worth a look: it is printed, not judged.
        if (output.trim()) console.log(`service output (last part):\n${output.slice(-3000)}`);
        return code;
      })();
      return stopping;
    },
  };
}

export interface Reply {
  status: number;
  body: any;
}

/** A JSON client for the service, as one key. */
export function client(base: string, token: string) {
  return async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> => {
    const isText = typeof body === 'string';
    const response = await fetch(`${base}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': isText ? 'text/csv; charset=utf-8' : 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : isText ? body : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };
}

export type Call = ReturnType<typeof client>;

/** The call's answer body, or an error naming what failed: set-up steps must not fail quietly. */
export async function expect(status: number, reply: Promise<Reply>, what: string) {
  const r = await reply;
  if (r.status !== status) throw new Error(`${what}: ${r.status} ${JSON.stringify(r.body).slice(0, 1000)}`);
  return r.body;
}

/** Runs `work` over `items`, `width` at a time (set-up through the API, faster than one by one). */
export async function inParallel<T, R>(items: T[], width: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await work(items[i]!, i);
      }
    }),
  );
  return out;
}

/** An API key of `role` reaching the whole ledger. */
export async function keyFor(admin: Call, role: 'officer' | 'approver') {
  const key = await expect(201, admin('POST', '/v1/api-keys', { name: `bench ${role}`, role, scopes: { all: true } }), `${role} key`);
  return key.token as string;
}

/**
 * The SQL ceiling of ../shared/bench/ceiling (pgbench, the same transfer written straight in SQL): tps,
 * or null when the script is not beside the project.
 */
export function ceiling(variant: string, clients: number, duration: number): number | null {
  const script = process.env.BENCH_CEILING_SCRIPT ?? `${projectRoot}../shared/bench/ceiling/run.sh`;
  if (!existsSync(script)) {
    console.warn(`no ceiling: ${script} not found`);
    return null;
  }
  const run = spawnSync('bash', [script, variant, String(clients), String(duration)], { encoding: 'utf8' });
  const tps = /tps=([0-9.]+)/.exec(run.stdout)?.[1];
  if (!tps) console.warn(`ceiling ${variant} gave no figure: ${run.stdout}${run.stderr}`);
  return tps ? Number(tps) : null;
}

/**
 * The grouped ceiling of ../shared/bench/ceiling/group-http.mjs (a bare Node HTTP server that coalesces
 * 2-line transfers into one database transaction per group): tps and its mean group, or null when the
 * script is not beside the project or gave no figure. Run from the project root, whose `pg` it uses.
 */
export function groupCeiling(variant: 'random' | 'hot', clients: number, duration: number): { tps: number; groups: number; meanGroup: number } | null {
  const script = process.env.BENCH_GROUP_CEILING_SCRIPT ?? `${projectRoot}../shared/bench/ceiling/group-http.mjs`;
  if (!existsSync(script)) {
    console.warn(`no grouped ceiling: ${script} not found`);
    return null;
  }
  const run = spawnSync(process.execPath, [script, variant, String(clients), String(duration)], { cwd: projectRoot, encoding: 'utf8', timeout: (duration + 120) * 1000 });
  const line = /group_http_\S+ clients=\d+ tps=([0-9.]+) groups=(\d+) mean_group=([0-9.]+)(.*)/.exec(run.stdout ?? '');
  if (!line) {
    console.warn(`grouped ceiling ${variant} gave no figure: ${run.stdout ?? ''}${run.stderr ?? ''}${run.error ? String(run.error) : ''}`);
    return null;
  }
  if (line[4]?.trim()) console.warn(`grouped ceiling ${variant}: ${line[0]}`);
  return { tps: Number(line[1]), groups: Number(line[2]), meanGroup: Number(line[3]) };
}

export function machine(postgresVersion: string | null) {
  return {
    cpu: cpus()[0]?.model,
    cpus: cpus().length,
    memoryGiB: round(totalmem() / 2 ** 30),
    node: process.version,
    postgres: postgresVersion,
    load: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
  };
}

export function writeResults(name: string, results: object) {
  mkdirSync(new URL('../results/', import.meta.url), { recursive: true });
  writeFileSync(new URL(`../results/${name}.json`, import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
  console.log(`wrote test/bench/results/${name}.json`);
}
