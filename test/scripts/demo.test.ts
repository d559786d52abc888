import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { openDatabase } from '../../src/db/client.js';
import { resolveIdHashKey } from '../../src/secrets.js';

const root = new URL('../..', import.meta.url).pathname;

// `npm run demo` is documented in the README as the field scenario: it must keep running, and its figures hold.
describe('npm run demo', () => {
  it('loads the field scenario through the API and prints balanced books', () => {
    const env = { ...process.env };
    delete env.DATABASE_URL;
    delete env.LEDGER_DATA_DIR;
    const run = spawnSync(join(root, 'node_modules/.bin/tsx'), ['scripts/demo.ts'], { cwd: root, env, encoding: 'utf8', timeout: 170_000 });
    expect(run.status, run.stderr).toBe(0);
    const out = run.stdout;
    expect(out).toMatch(/青山村\s+project\s+52800\.00/);
    expect(out.match(/radiating\s+26400\.00/g)).toHaveLength(3);
    expect(out).toMatch(/资产收益分红收入\s+0\.00\s+320000\.00/);
    expect(out.match(/→ balanced/g)).toHaveLength(2);
    expect(out).toMatch(/premium 2500000\.00, 2 households paid 39000\.00, pool 2461000\.00/);
    expect(out).toMatch(/total\s+33300\.00/);
    expect(out).not.toMatch(/510700\d{12}/);
  }, 180_000);

  it('keeps the scenario in a folder when asked, and prints keys that open the console on it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'fl-demo-'));
    try {
      const env: NodeJS.ProcessEnv = { ...process.env, LEDGER_DATA_DIR: dataDir };
      delete env.DATABASE_URL;
      const run = spawnSync(join(root, 'node_modules/.bin/tsx'), ['scripts/demo.ts'], { cwd: root, env, encoding: 'utf8', timeout: 170_000 });
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout).toContain('http://127.0.0.1:3000/console/');
      const officer = /王会计\s+officer \(township fund\)\s+(fl_\S+)/.exec(run.stdout)?.[1];
      const auditor = /审计局 孙审计\s+auditor\s+(fl_\S+)/.exec(run.stdout)?.[1];
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
});
