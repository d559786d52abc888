import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { openDatabase } from '../../src/db/client.js';
import { resolveIdHashKey } from '../../src/secrets.js';
import { ID_HASH_KEY } from '../helpers/app.js';
import { emptyPostgresDatabase, realPostgres } from '../helpers/database.js';
import { freePort, startService, waitReady } from '../helpers/process.js';

const root = new URL('../..', import.meta.url).pathname;

/** A script as a user runs it (`npm run demo` is tsx), with the environment given and no database settings of ours. */
function run(script: string, env: Record<string, string>, args: string[] = []) {
  const clean: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ['DATABASE_URL', 'LEDGER_DATA_DIR', 'LEDGER_ADMIN_TOKEN', 'LEDGER_ID_HASH_KEY', 'LEDGER_URL', 'LEDGER_TOKEN']) delete clean[name];
  return new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(join(root, 'node_modules/.bin/tsx'), [script, ...args], { cwd: root, env: { ...clean, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (status) => resolve({ status, stdout, stderr }));
  });
}
const demo = (env: Record<string, string> = {}) => run('scripts/demo.ts', env);

/** The figures the README describes: one whole scenario, balanced. */
function expectScenario(out: string) {
  expect(out).toMatch(/青山村\s+project\s+52800\.00/);
  expect(out.match(/radiating\s+26400\.00/g)).toHaveLength(3);
  expect(out).toMatch(/资产收益分红收入\s+0\.00\s+320000\.00/);
  expect(out.match(/→ balanced/g)).toHaveLength(2);
  expect(out).toMatch(/premium 2500000\.00, 2 households paid 39000\.00, pool 2461000\.00/);
  expect(out).toMatch(/total\s+33300\.00/);
  expect(out).not.toMatch(/\d{17}[\dX]/);
}

const printedKey = (out: string, name: RegExp) => new RegExp(`${name.source}\\s+(fl_\\S+)`).exec(out)?.[1];

// `npm run demo` is documented in the README as the field scenario: it must keep running, and its figures hold.
describe('npm run demo', () => {
  it('loads the field scenario through the API and prints balanced books', async () => {
    const result = await demo();
    expect(result.status, result.stderr).toBe(0);
    expectScenario(result.stdout);
    expect(result.stdout).toContain('Done (in-memory database: nothing was kept).');
  }, 180_000);

  it('keeps the scenario in a folder when asked, and prints keys that open the console on it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'fl-demo-'));
    try {
      const result = await demo({ LEDGER_DATA_DIR: dataDir });
      expect(result.status, result.stderr).toBe(0);
      expect(result.stdout).toContain('http://127.0.0.1:3000/console/');
      const officer = printedKey(result.stdout, /王会计\s+officer \(township fund\)/);
      const auditor = printedKey(result.stdout, /审计局 孙审计\s+auditor/);
      expect(officer && auditor).toBeTruthy();

      const config = loadConfig({ LEDGER_DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
      const database = openDatabase({ dataDir });
      const app = await buildApp({ config, database, idHashKey: resolveIdHashKey(config) });
      try {
        const me = await app.inject({ method: 'GET', url: '/v1/me', headers: { authorization: `Bearer ${officer}` } });
        expect(me.json()).toMatchObject({ name: '王会计 (records)', role: 'officer' });
        const funds = await app.inject({ method: 'GET', url: '/v1/funds', headers: { authorization: `Bearer ${officer}` } });
        expect(funds.json().items).toHaveLength(1);
        const console = await app.inject({ method: 'GET', url: '/console/' });
        expect(console.statusCode).toBe(200);
      } finally {
        await app.close();
        await database.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 180_000);

  // The README's order on a fresh clone — `npm start` on a folder, then the demo while the service runs —
  // and every other program on that folder meanwhile (issue 12: they used to damage it silently).
  it('beside a running service: others refused on its folder, the demo loaded through its API twice, all there after a kill -9', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'fl-demo-service-'));
    const port = await freePort();
    const services = [startService({ LEDGER_DATA_DIR: dataDir, PORT: String(port) })];
    try {
      const first = services[0]!;
      await waitReady(port, first);
      const token = /fl_[A-Za-z0-9_-]{43}/.exec(first.output())?.[0];
      expect(token, first.output()).toBeDefined();
      const url = `http://127.0.0.1:${port}`;
      const get = async (path: string, key = token) => {
        const r = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${key}` } });
        return { status: r.status, body: (await r.json()) as any };
      };
      const folder = () => ({ files: readdirSync(dataDir).sort(), lock: readFileSync(join(dataDir, 'fund-ledger.lock'), 'utf8') });
      const before = folder();
      const held = `The embedded database in ${dataDir} is in use by process ${first.child.pid}`;

      const onFolder = await demo({ LEDGER_DATA_DIR: dataDir });
      expect(onFolder.status).toBe(1);
      expect(onFolder.stderr).toContain(held);
      expect(onFolder.stderr).toContain('LEDGER_URL=http://127.0.0.1:3000 LEDGER_TOKEN=fl_... npm run demo');
      expect(onFolder.stdout).toBe('');
      const csv = `${dataDir}.csv`;
      writeFileSync(csv, '户编号,户主姓名,身份证号,村编码,家庭人口\n');
      const importing = await run('scripts/import-households.ts', { LEDGER_DATA_DIR: dataDir }, [csv]);
      rmSync(csv);
      expect(importing.status).toBe(1);
      expect(importing.stderr).toContain(held);
      const second = startService({ LEDGER_DATA_DIR: dataDir, PORT: String(await freePort()) });
      services.push(second);
      expect(await second.exited).toBe(1);
      expect(second.output()).toContain(held);
      expect(second.output()).toContain(`kill ${first.child.pid}`);
      // The first keeps serving, and nothing of the folder changed.
      expect((await get('/v1/funds')).body.items).toEqual([]);
      expect(folder()).toEqual(before);

      const keys: string[] = [];
      for (const time of [1, 2]) {
        const loaded = await demo({ LEDGER_URL: url, LEDGER_TOKEN: token! });
        expect(loaded.status, loaded.stderr).toBe(0);
        expectScenario(loaded.stdout);
        expect(loaded.stdout).toContain(`Open ${url}/console/ with one of these keys`);
        keys.push(printedKey(loaded.stdout, /审计局 孙审计\s+auditor/)!);
        expect((await get('/v1/funds')).body.items, `after run ${time}`).toHaveLength(2 * time);
      }
      const refused = await demo({ LEDGER_URL: url, LEDGER_TOKEN: 'fl_not-a-key-of-this-service-000000000000000' });
      expect(refused.status).toBe(1);
      expect(refused.stderr).toContain('refused LEDGER_TOKEN (401)');

      // Killed without a chance to release the folder: the next start finds the lock stale and takes over.
      first.child.kill('SIGKILL');
      await first.exited;
      const third = startService({ LEDGER_DATA_DIR: dataDir, PORT: String(port) });
      services.push(third);
      await waitReady(port, third);
      expect(JSON.parse(folder().lock).pid).toBe(third.child.pid);
      const funds = (await get('/v1/funds')).body.items;
      expect(funds).toHaveLength(4);
      for (const auditor of keys) expect((await get('/v1/me', auditor)).body).toMatchObject({ name: '审计局 孙审计', role: 'auditor' });
      for (const fund of funds) {
        const verified = (await get(`/v1/funds/${fund.id}/verify`, keys[0])).body;
        expect([fund.code, verified.status, verified.checks.filter((c: any) => c.result !== 'passed')]).toEqual([fund.code, 'intact', []]);
      }
      third.child.kill('SIGTERM');
      expect(await third.exited).toBe(0);
      expect(readdirSync(dataDir)).not.toContain('fund-ledger.lock');
    } finally {
      for (const service of services) service.child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 300_000);

  it.skipIf(!realPostgres)('loads into the PostgreSQL of DATABASE_URL, twice, whole each time', async () => {
    const db = await emptyPostgresDatabase(process.env.TEST_DATABASE_URL!);
    try {
      const env = { DATABASE_URL: db.url, LEDGER_ID_HASH_KEY: ID_HASH_KEY };
      const outputs = [];
      for (let time = 0; time < 2; time++) {
        const loaded = await demo(env);
        expect(loaded.status, loaded.stderr).toBe(0);
        expectScenario(loaded.stdout);
        expect(loaded.stdout).toContain('Data kept in the PostgreSQL database of DATABASE_URL');
        outputs.push(loaded.stdout);
      }

      const config = loadConfig({ DATABASE_URL: db.url, LEDGER_ID_HASH_KEY: ID_HASH_KEY, LOG_LEVEL: 'silent' });
      const database = openDatabase({ url: db.url });
      const app = await buildApp({ config, database, idHashKey: ID_HASH_KEY });
      try {
        for (const out of outputs) {
          const officer = printedKey(out, /县财政 赵会计\s+officer \(county fund\)/);
          const funds = await app.inject({ method: 'GET', url: '/v1/funds', headers: { authorization: `Bearer ${officer}` } });
          expect(funds.json().items).toHaveLength(1);
        }
        const auditor = printedKey(outputs[1]!, /审计局 孙审计\s+auditor/);
        const funds = (await app.inject({ method: 'GET', url: '/v1/funds', headers: { authorization: `Bearer ${auditor}` } })).json().items;
        expect(funds).toHaveLength(4);
        for (const fund of funds) {
          const verified = (await app.inject({ method: 'GET', url: `/v1/funds/${fund.id}/verify`, headers: { authorization: `Bearer ${auditor}` } })).json();
          expect([fund.code, verified.status]).toEqual([fund.code, 'intact']);
        }
      } finally {
        await app.close();
        await database.close();
      }
    } finally {
      await db.drop();
    }
  }, 180_000);
});
