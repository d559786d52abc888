import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/client.js';
import { startApp, type TestApp } from '../helpers/app.js';
import { backends } from '../helpers/database.js';
import { createFund, transfer } from '../helpers/fixtures.js';

describe.each(backends)('API keys and roles on $name', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(backend);
  });
  afterAll(() => t.close());

  it('refuses requests without a token or with an unknown one', async () => {
    const none = await t.call('GET', '/v1/funds', { token: null });
    expect(none.status).toBe(401);
    expect(none.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(none.body.code).toBe('unauthorized');
    expect((await t.call('GET', '/v1/funds', { token: 'fl_not-a-real-token' })).body.code).toBe('unauthorized');
    const basic = await t.call('GET', '/v1/funds', { token: null, headers: { authorization: 'Basic YTpi' } });
    expect(basic.status).toBe(401);
  });

  it('issues a key once and keeps only its hash', async () => {
    const issued = await t.call('POST', '/v1/api-keys', { body: { name: '县财政系统', role: 'reader' } });
    expect(issued.status).toBe(201);
    expect(issued.body).toMatchObject({ name: '县财政系统', role: 'reader' });
    expect(issued.body.token).toMatch(/^fl_[A-Za-z0-9_-]{43}$/);
    const stored = await rows<{ token_hash: string }>(t.database.db, sql`select token_hash from api_keys where id = ${issued.body.id}`);
    expect(stored[0]!.token_hash).not.toContain(issued.body.token);
    expect(stored[0]!.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect((await t.call('GET', '/v1/funds', { token: issued.body.token })).status).toBe(200);
  });

  it('lets each role do what it is for and nothing more', async () => {
    const [officer, auditor, reader] = [await t.keyFor('officer'), await t.keyFor('auditor'), await t.keyFor('reader')];
    const f = await createFund(t);
    const posting = transfer('2026-01-01', f.accounts.bank!, f.accounts.income!, '5.00');

    const byOfficer = await t.call('POST', '/v1/transactions', { body: posting, token: officer });
    expect(byOfficer.status).toBe(201);
    expect(byOfficer.body.createdBy).not.toBe('env-admin');

    for (const token of [auditor, reader]) {
      const write = await t.call('POST', '/v1/transactions', { body: posting, token });
      expect(write.status).toBe(403);
      expect(write.body.code).toBe('forbidden');
      expect((await t.call('GET', `/v1/accounts/${f.accounts.bank}`, { token })).body.balance).toBe('5.00');
    }
    for (const token of [officer, auditor, reader]) {
      const issue = await t.call('POST', '/v1/api-keys', { body: { name: 'escalate', role: 'admin' }, token });
      expect(issue.status).toBe(403);
    }
  });

  it('refuses an Idempotency-Key on key issuing, so no token is ever stored in the clear', async () => {
    const r = await t.call('POST', '/v1/api-keys', { body: { name: 'x', role: 'reader' }, headers: { 'idempotency-key': 'k1' } });
    expect(r.status).toBe(400);
    const stored = await rows(t.database.db, sql`select key from idempotency_keys`);
    expect(stored).toEqual([]);
  });

  it('lists keys without their tokens, with when each was last used', async () => {
    const issued = await t.call('POST', '/v1/api-keys', { body: { name: '监测系统', role: 'reader' } });
    expect((await t.call('GET', '/v1/funds', { token: issued.body.token })).status).toBe(200);
    const all: any[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await t.call('GET', `/v1/api-keys?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      all.push(...page.body.items);
      cursor = page.body.nextCursor;
    } while (cursor);
    const listed = all.find((k) => k.id === issued.body.id);
    expect(listed).toMatchObject({ name: '监测系统', role: 'reader', revokedAt: null, expiresAt: null });
    expect(listed.lastUsedAt).toEqual(expect.any(String));
    expect(JSON.stringify(all)).not.toContain(issued.body.token);
    expect((await t.call('GET', '/v1/api-keys', { token: issued.body.token })).status).toBe(403);
  });

  it('revokes a key, effective on the next request', async () => {
    const issued = await t.call('POST', '/v1/api-keys', { body: { name: 'to revoke', role: 'officer' } });
    expect((await t.call('GET', '/v1/funds', { token: issued.body.token })).status).toBe(200);
    const revoked = await t.call('DELETE', `/v1/api-keys/${issued.body.id}`);
    expect(revoked.status).toBe(200);
    expect(revoked.body.revokedAt).toEqual(expect.any(String));
    const refused = await t.call('GET', '/v1/funds', { token: issued.body.token });
    expect(refused.status).toBe(401);
    expect((await t.call('DELETE', `/v1/api-keys/${issued.body.id}`)).body.revokedAt).toBe(revoked.body.revokedAt);
    expect((await t.call('DELETE', '/v1/api-keys/00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });

  it('refuses a key after its expiry, and an expiry in the past', async () => {
    const soon = new Date(Date.now() + 3_600_000).toISOString();
    const issued = await t.call('POST', '/v1/api-keys', { body: { name: 'temporary', role: 'auditor', expiresAt: soon } });
    expect(issued.status).toBe(201);
    expect(issued.body.expiresAt).toBe(soon);
    expect((await t.call('GET', '/v1/funds', { token: issued.body.token })).status).toBe(200);
    await t.database.db.execute(sql`update api_keys set expires_at = now() - interval '1 second' where id = ${issued.body.id}`);
    expect((await t.call('GET', '/v1/funds', { token: issued.body.token })).status).toBe(401);
    const past = await t.call('POST', '/v1/api-keys', { body: { name: 'x', role: 'reader', expiresAt: '2020-01-01T00:00:00+08:00' } });
    expect(past.status).toBe(400);
    expect((await t.call('POST', '/v1/api-keys', { body: { name: 'x', role: 'reader', expiresAt: 'tomorrow' } })).status).toBe(400);
  });

  it('refuses an unknown role', async () => {
    const r = await t.call('POST', '/v1/api-keys', { body: { name: 'x', role: 'superuser' } });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('validation_failed');
  });
});
