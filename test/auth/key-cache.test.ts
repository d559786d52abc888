import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REVOCATION_SETTLE_MS } from '../../src/auth/key-sync.js';
import { startApp, type TestApp } from '../helpers/app.js';
import { backends } from '../helpers/database.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));
const until = async (what: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
};

describe.each(backends)('the API key cache on $name', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(backend);
    await until(() => t.app.ctx.apiKeys.cacheStatus().trusted);
  });
  afterAll(() => t.close());

  it('answers repeated requests with a valid key without reading api_keys, and still notes its last use', async () => {
    const reader = await t.keyFor('reader');
    // Issuing it notified every process; once that is heard nothing else changes.
    await sleep(REVOCATION_SETTLE_MS);
    const before = t.app.ctx.apiKeys.lookups;
    for (let i = 0; i < 50; i++) expect((await t.call('GET', '/v1/me', { token: reader })).status).toBe(200);
    console.log(`${backend.name}: 50 requests with one key cost ${t.app.ctx.apiKeys.lookups - before} lookup(s)`);
    expect(t.app.ctx.apiKeys.lookups - before).toBeLessThanOrEqual(1);
    const listed = (await t.call('GET', '/v1/api-keys?limit=100')).body.items;
    expect(listed.every((k: { lastUsedAt: string | null; name: string }) => k.name !== 'reader for tests' || k.lastUsedAt)).toBe(true);
  });

  it('forgets a key changed in SQL directly, and refuses a cached key past its expiry without the database', async () => {
    const expiresAt = Date.now() + 2_000;
    const issued = await t.call('POST', '/v1/api-keys', { body: { name: 'short', role: 'auditor', expiresAt: new Date(expiresAt).toISOString() } });
    expect((await t.call('GET', '/v1/me', { token: issued.body.token })).status).toBe(200);
    await t.database.db.execute(sql`update api_keys set name = 'renamed' where id = ${issued.body.id}`);
    // A change made in SQL, not through the API, is heard within the trust window.
    await sleep(REVOCATION_SETTLE_MS);
    expect((await t.call('GET', '/v1/me', { token: issued.body.token })).body.name).toBe('renamed');
    const before = t.app.ctx.apiKeys.lookups;
    expect((await t.call('GET', '/v1/me', { token: issued.body.token })).status).toBe(200);
    await sleep(expiresAt - Date.now() + 50);
    expect((await t.call('GET', '/v1/me', { token: issued.body.token })).status).toBe(401);
    expect(t.app.ctx.apiKeys.lookups).toBe(before);
  });

  it.runIf(backend.name === 'postgres')('looks keys up in the database while its listening connection is down, and caches again once it listens', async () => {
    const reader = await t.keyFor('reader');
    await sleep(REVOCATION_SETTLE_MS);
    expect((await t.call('GET', '/v1/me', { token: reader })).status).toBe(200);
    await t.database.db.execute(sql`select pg_terminate_backend(pid) from pg_stat_activity
      where application_name = 'fund-ledger key cache' and datname = current_database()`);
    await until(() => !t.app.ctx.apiKeys.cacheStatus().listening);
    const before = t.app.ctx.apiKeys.lookups;
    for (let i = 0; i < 3; i++) expect((await t.call('GET', '/v1/me', { token: reader })).status).toBe(200);
    expect(t.app.ctx.apiKeys.lookups - before).toBe(3);
    await until(() => t.app.ctx.apiKeys.cacheStatus().trusted);
    expect((await t.call('GET', '/v1/me', { token: reader })).status).toBe(200);
    const cached = t.app.ctx.apiKeys.lookups;
    for (let i = 0; i < 3; i++) expect((await t.call('GET', '/v1/me', { token: reader })).status).toBe(200);
    expect(t.app.ctx.apiKeys.lookups).toBe(cached);
  });
});
