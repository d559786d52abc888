import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, startService as start, waitReady } from './helpers/process.js';

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
