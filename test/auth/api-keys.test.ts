import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REVOCATION_SETTLE_MS } from '../../src/auth/key-sync.js';
import { rows } from '../../src/db/client.js';
import { startApp, type TestApp } from '../helpers/app.js';
import { backends } from '../helpers/database.js';
import { createFund, transfer } from '../helpers/fixtures.js';

const ALL = { all: true };

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

  it('tells a key who it is: id, role, permissions and reach, as the console needs', async () => {
    const issued = await t.call('POST', '/v1/api-keys', { body: { name: '甲乡经办员', role: 'officer', scopes: { townships: ['甲乡'] } } });
    const me = await t.call('GET', '/v1/me', { token: issued.body.token });
    expect(me.status).toBe(200);
    expect(me.body).toEqual({ id: issued.body.id, name: '甲乡经办员', role: 'officer', permissions: ['read', 'report', 'record'], reach: { townships: ['甲乡'], funds: [] } });
    const admin = await t.call('GET', '/v1/me');
    expect(admin.body).toMatchObject({ id: 'env-admin', role: 'admin', reach: null });
    expect((await t.call('GET', '/v1/me', { token: 'fl_unknown' })).status).toBe(401);
  });

  it('issues a key once and keeps only its hash', async () => {
    const issued = await t.call('POST', '/v1/api-keys', { body: { name: '县财政系统', role: 'reader', scopes: ALL } });
    expect(issued.status).toBe(201);
    expect(issued.body).toMatchObject({ name: '县财政系统', role: 'reader', scopes: ALL });
    expect(issued.body.token).toMatch(/^fl_[A-Za-z0-9_-]{43}$/);
    const stored = await rows<{ token_hash: string }>(t.database.db, sql`select token_hash from api_keys where id = ${issued.body.id}`);
    expect(stored[0]!.token_hash).not.toContain(issued.body.token);
    expect(stored[0]!.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect((await t.call('GET', '/v1/funds', { token: issued.body.token })).status).toBe(200);
  });

  it('lets each role do what it is for and nothing more', async () => {
    const [officer, approver, auditor, reader] = [await t.keyFor('officer'), await t.keyFor('approver'), await t.keyFor('auditor'), await t.keyFor('reader')];
    const f = await createFund(t);
    const posting = transfer('2026-01-01', f.accounts.bank!, f.accounts.income!, '5.00');

    const byOfficer = await t.call('POST', '/v1/transactions', { body: posting, token: officer });
    expect(byOfficer.status).toBe(201);
    expect(byOfficer.body.createdBy).not.toBe('env-admin');

    for (const token of [approver, auditor, reader]) {
      const write = await t.call('POST', '/v1/transactions', { body: posting, token });
      expect(write.status).toBe(403);
      expect(write.body.code).toBe('forbidden');
      expect((await t.call('GET', `/v1/accounts/${f.accounts.bank}`, { token })).body.balance).toBe('5.00');
    }
    for (const token of [officer, approver, auditor, reader]) {
      const issue = await t.call('POST', '/v1/api-keys', { body: { name: 'escalate', role: 'admin' }, token });
      expect(issue.status).toBe(403);
    }
  });

  it('refuses an Idempotency-Key on key issuing, so no token is ever stored in the clear', async () => {
    const r = await t.call('POST', '/v1/api-keys', { body: { name: 'x', role: 'reader', scopes: ALL }, headers: { 'idempotency-key': 'k1' } });
    expect(r.status).toBe(400);
    const stored = await rows(t.database.db, sql`select key from idempotency_keys`);
    expect(stored).toEqual([]);
  });

  it('lists keys without their tokens, with when each was last used', async () => {
    const issued = await t.call('POST', '/v1/api-keys', { body: { name: '监测系统', role: 'reader', scopes: ALL } });
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
    const issued = await t.call('POST', '/v1/api-keys', { body: { name: 'to revoke', role: 'officer', scopes: ALL } });
    expect((await t.call('GET', '/v1/funds', { token: issued.body.token })).status).toBe(200);
    // A query it does not know is a mistake to refuse, not to ignore: nothing is revoked.
    expect((await t.call('DELETE', `/v1/api-keys/${issued.body.id}?dryRun=true`)).status).toBe(400);
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
    // Changed in SQL, not through the API: every process hears of it within the key cache's trust window.
    await new Promise((resolve) => setTimeout(resolve, REVOCATION_SETTLE_MS));
    expect((await t.call('GET', '/v1/funds', { token: issued.body.token })).status).toBe(401);
    const past = await t.call('POST', '/v1/api-keys', { body: { name: 'x', role: 'reader', scopes: ALL, expiresAt: '2020-01-01T00:00:00+08:00' } });
    expect(past.status).toBe(400);
    expect((await t.call('POST', '/v1/api-keys', { body: { name: 'x', role: 'reader', scopes: ALL, expiresAt: 'tomorrow' } })).status).toBe(400);
  });

  it('refuses an unknown role', async () => {
    const r = await t.call('POST', '/v1/api-keys', { body: { name: 'x', role: 'superuser' } });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('validation_failed');
  });

  it('asks scoped roles for their scopes, and no other role', async () => {
    const f = await createFund(t);
    const issue = (body: object) => t.call('POST', '/v1/api-keys', { body: { name: 'x', ...body } });
    for (const role of ['officer', 'approver', 'reader']) {
      const none = await issue({ role });
      expect(none.status).toBe(400);
      expect(none.body.detail).toContain('"all": true');
      expect((await issue({ role, scopes: {} })).status).toBe(400);
      expect((await issue({ role, scopes: { all: true, townships: ['某乡'] } })).status).toBe(400);
      const scoped = await issue({ role, scopes: { townships: ['某乡', '某乡'], funds: [f.fundId] } });
      expect(scoped.status, JSON.stringify(scoped.body)).toBe(201);
      expect(scoped.body.scopes).toEqual({ townships: ['某乡'], funds: [f.fundId], all: false });
    }
    for (const role of ['admin', 'auditor']) {
      expect((await issue({ role, scopes: { all: true } })).status).toBe(400);
      expect((await issue({ role })).body.scopes).toBeNull();
    }
    const unknownFund = await issue({ role: 'reader', scopes: { funds: ['00000000-0000-4000-8000-000000000000'] } });
    expect(unknownFund.status).toBe(400);
    expect(unknownFund.body.detail).toContain('no fund with id 00000000-0000-4000-8000-000000000000');
  });
});

describe.each(backends)('the admin bootstrap token on $name', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(backend);
  });
  afterAll(() => t.close());

  it('can be switched off once another admin exists, for good, and the last admin is never revoked', async () => {
    // Alone, the environment's token cannot be switched off: nobody could issue keys any more.
    const alone = await t.call('DELETE', '/v1/api-keys/env-admin');
    expect(alone.status).toBe(409);
    expect(alone.body.code).toBe('last_admin');

    const admin = await t.call('POST', '/v1/api-keys', { body: { name: '县财政局管理员', role: 'admin' } });
    const off = await t.call('DELETE', '/v1/api-keys/env-admin', { token: admin.body.token });
    expect(off.status).toBe(200);
    expect(off.body).toMatchObject({ id: 'env-admin', role: 'admin', revokedAt: expect.any(String) });
    const refused = await t.call('GET', '/v1/funds');
    expect(refused.status).toBe(401);
    expect(refused.body.code).toBe('unauthorized');

    // The one admin key left cannot revoke itself.
    const last = await t.call('DELETE', `/v1/api-keys/${admin.body.id}`, { token: admin.body.token });
    expect(last.status).toBe(409);
    expect(last.body.code).toBe('last_admin');
    const second = await t.call('POST', '/v1/api-keys', { body: { name: 'second admin', role: 'admin' }, token: admin.body.token });
    expect((await t.call('DELETE', `/v1/api-keys/${admin.body.id}`, { token: second.body.token })).status).toBe(200);
    expect((await t.call('GET', '/v1/funds', { token: admin.body.token })).status).toBe(401);
    expect((await t.call('GET', '/v1/funds', { token: second.body.token })).status).toBe(200);
    // Switching it off again answers the same, and a restart with the same token changes nothing.
    expect((await t.call('DELETE', '/v1/api-keys/env-admin', { token: second.body.token })).body.revokedAt).toBe(off.body.revokedAt);
    const rows_ = await rows(t.database.db, sql`select token_hash from disabled_env_tokens`);
    expect(rows_).toHaveLength(1);
  });
});
