import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;
const tsx = join(root, 'node_modules/.bin/tsx');

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

interface Running {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function start(env: Record<string, string>): Running {
  const clean = { ...process.env };
  delete clean.DATABASE_URL;
  delete clean.LEDGER_ADMIN_TOKEN;
  delete clean.LEDGER_ID_HASH_KEY;
  const child = spawn(tsx, ['src/server.ts'], { cwd: root, env: { ...clean, LOG_LEVEL: 'warn', ...env } });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function waitReady(port: number, running: Running) {
  // Generous: PGlite takes seconds to open on a loaded 2-core machine.
  for (let i = 0; i < 900; i++) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/readyz`);
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  running.child.kill('SIGKILL');
  throw new Error(`service did not become ready:\n${running.output()}`);
}

// What `npm start` runs, as a user would: the embedded database, a data folder, a printed admin token.
describe('the service on its embedded default', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'fund-ledger-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('starts with no database server, prints an admin token once, keeps data, and stops cleanly', { timeout: 240_000 }, async () => {
    const port = await freePort();
    const first = start({ PORT: String(port), LEDGER_DATA_DIR: dataDir });
    await waitReady(port, first);
    const token = first.output().match(/fl_[A-Za-z0-9_-]{43}/)?.[0];
    expect(token, first.output()).toBeDefined();

    const created = await fetch(`http://127.0.0.1:${port}/v1/funds`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ code: 'TOWNSHIP-1', name: '某乡防返贫基金', organisation: '某乡', purpose: '防止返贫' }),
    });
    expect(created.status).toBe(201);
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    const second = start({ PORT: String(port), LEDGER_DATA_DIR: dataDir });
    await waitReady(port, second);
    expect(second.output()).not.toMatch(/fl_[A-Za-z0-9_-]{43}/);
    const list = await fetch(`http://127.0.0.1:${port}/v1/funds`, { headers: { authorization: `Bearer ${token}` } });
    expect(((await list.json()) as { items: { code: string }[] }).items.map((f) => f.code)).toEqual(['TOWNSHIP-1']);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });

  it('refuses to start on bad configuration, naming the variable', async () => {
    const bad = start({ PORT: 'eighty', LEDGER_DATA_DIR: dataDir, DATABASE_URL: 'mysql://nope' });
    expect(await bad.exited).toBe(1);
    expect(bad.output()).toMatch(/PORT/);
    expect(bad.output()).toMatch(/DATABASE_URL: must be a postgres/);
  });

  it('refuses to run on a server database without an ID-number hash key', async () => {
    const noKey = start({ LEDGER_DATA_DIR: dataDir, DATABASE_URL: 'postgres://postgres@127.0.0.1:1/none' });
    expect(await noKey.exited).toBe(1);
    expect(noKey.output()).toMatch(/LEDGER_ID_HASH_KEY must be set/);
  });
});
