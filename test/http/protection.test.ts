import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../helpers/app.js';
import { backends } from '../helpers/database.js';

describe.each(backends)('security headers, CORS and rate limits on $name', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(backend, { LEDGER_RATE_LIMIT: '5', LEDGER_CORS_ORIGINS: 'https://console.example.gov.cn' });
  });
  afterAll(() => t.close());

  it('sends the usual security headers', async () => {
    const r = await t.call('GET', '/healthz', { token: null });
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(r.headers['strict-transport-security']).toMatch(/max-age/);
  });

  it('answers CORS only for a configured origin', async () => {
    const allowed = await t.call('GET', '/healthz', { token: null, headers: { origin: 'https://console.example.gov.cn' } });
    expect(allowed.headers['access-control-allow-origin']).toBe('https://console.example.gov.cn');
    const other = await t.call('GET', '/healthz', { token: null, headers: { origin: 'https://evil.example' } });
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('limits requests per API key with a 429 problem, counting other keys apart', async () => {
    const reader = await t.keyFor('reader');
    const replies = [];
    for (let i = 0; i < 6; i++) replies.push(await t.call('GET', '/v1/funds', { token: reader }));
    expect(replies.slice(0, 5).map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(replies[5]!.status).toBe(429);
    expect(replies[5]!.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(replies[5]!.body).toMatchObject({ code: 'rate_limited', status: 429 });
    expect(replies[5]!.headers['retry-after']).toMatch(/^[1-9]\d*$/);
    expect(replies[5]!.body.retryAfter).toBe(Number(replies[5]!.headers['retry-after']));
    const other = await t.keyFor('reader');
    expect((await t.call('GET', '/v1/funds', { token: other })).status).toBe(200);
  });
});

/** A 429 as the issue wants every one: a problem with its code, and Retry-After in whole seconds. */
function expectRateLimited(r: { statusCode: number; headers: Record<string, unknown>; body: string }) {
  expect(r.statusCode).toBe(429);
  expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(JSON.parse(r.body)).toMatchObject({ code: 'rate_limited', status: 429, retryAfter: expect.any(Number) });
  expect(String(r.headers['retry-after'])).toMatch(/^[1-9]\d*$/);
}

/**
 * Sends the key's request until it is answered from memory (bounded): on PostgreSQL the cache answers once its
 * first heartbeat has come back, and keeps a lookup only if no key change (the key's own issue) was heard meanwhile.
 */
async function cachedKey(t: TestApp, send: () => Promise<{ statusCode: number }>) {
  // Few tries, well apart (a heartbeat goes every 100 ms): each counts against the key's own limit.
  for (let i = 0; i < 3; i++) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    const before = t.app.ctx.apiKeys.lookups;
    expect((await send()).statusCode).toBe(200);
    if (t.app.ctx.apiKeys.lookups === before) return;
  }
  throw new Error('the key was never answered from memory');
}

describe.each(backends)('requests without a valid key on $name', (backend) => {
  const LIMIT = 5;
  let t: TestApp;
  const from = (remoteAddress: string, authorization?: string, headers: Record<string, string> = {}) =>
    t.app.inject({ method: 'GET', url: '/v1/funds', remoteAddress, headers: { ...headers, ...(authorization ? { authorization } : {}) } });
  beforeAll(async () => {
    t = await startApp(backend, { LEDGER_RATE_LIMIT: String(LIMIT) });
  });
  afterAll(() => t.close());

  it('are limited per client address before their token is looked up: 10,000 wrong tokens cost at most the budget in lookups', async () => {
    const before = t.app.ctx.apiKeys.lookups;
    const statuses = new Map<number, number>();
    let last;
    for (let i = 0; i < 10_000; i++) {
      // A guesser changes token on every try; a careless client sends none, or not a bearer token.
      const authorization = i % 10 === 0 ? undefined : i % 10 === 1 ? 'Basic dXNlcjpwYXNz' : `Bearer fl_${randomBytes(32).toString('base64url')}`;
      last = await from('198.51.100.7', authorization);
      statuses.set(last.statusCode, (statuses.get(last.statusCode) ?? 0) + 1);
    }
    expect(Object.fromEntries(statuses)).toEqual({ 401: LIMIT, 429: 10_000 - LIMIT });
    expect(t.app.ctx.apiKeys.lookups - before).toBeLessThanOrEqual(LIMIT);
    expectRateLimited(last!);

    // A key the service has not met yet is refused at that address too: telling it apart costs the lookup the budget saves.
    const reader = await t.keyFor('reader');
    expectRateLimited(await from('198.51.100.7', `Bearer ${reader}`));
    // Another address is not; and once the key is known, from memory, it passes at the flooded address as well.
    expect((await from('198.51.100.8', `Bearer ${reader}`)).statusCode).toBe(200);
    expect((await from('198.51.100.8', 'Bearer fl_wrong')).statusCode).toBe(401);
    await cachedKey(t, () => from('198.51.100.8', `Bearer ${reader}`));
    const lookups = t.app.ctx.apiKeys.lookups;
    expect((await from('198.51.100.7', `Bearer ${reader}`)).statusCode).toBe(200);
    expect(t.app.ctx.apiKeys.lookups).toBe(lookups);
    expectRateLimited(await from('198.51.100.7', `Bearer fl_${randomBytes(32).toString('base64url')}`));
  });

  it('do not spend the budget of an address on its valid keys', async () => {
    const officer = await t.keyFor('officer');
    for (let i = 0; i < LIMIT; i++) expect((await from('198.51.100.20', `Bearer ${officer}`)).statusCode).toBe(200);
    for (let i = 0; i < LIMIT; i++) expect((await from('198.51.100.20', 'Bearer fl_wrong')).statusCode).toBe(401);
    expectRateLimited(await from('198.51.100.20', 'Bearer fl_wrong'));
  });

  it('count an IPv6 client by its /64, as it usually holds all of it', async () => {
    for (let i = 0; i < LIMIT; i++) expect((await from(`2001:db8:1:2::${i + 1}`)).statusCode).toBe(401);
    expectRateLimited(await from('2001:db8:1:2:ffff::9'));
    expect((await from('2001:db8:1:3::1')).statusCode).toBe(401);
  });

  it('ignore X-Forwarded-For unless LEDGER_TRUST_PROXY names the proxy', async () => {
    for (let i = 0; i < LIMIT; i++) await from('198.51.100.30', undefined, { 'x-forwarded-for': `203.0.113.${i}` });
    expectRateLimited(await from('198.51.100.30', undefined, { 'x-forwarded-for': '203.0.113.99' }));
  });

  it('limit the unauthenticated routes per address too, with the same problem', async () => {
    let r;
    for (let i = 0; i <= LIMIT; i++) r = await t.app.inject({ method: 'GET', url: '/healthz', remoteAddress: '198.51.100.40' });
    expectRateLimited(r!);
  });
});

describe('behind a reverse proxy named in LEDGER_TRUST_PROXY', () => {
  it("counts each client by the address the proxy forwards, and a client talking directly by its own", async () => {
    const t = await startApp(backends[0]!, { LEDGER_RATE_LIMIT: '2', LEDGER_TRUST_PROXY: '10.0.0.0/8, ::1' });
    try {
      const via = (client: string) =>
        t.app.inject({ method: 'GET', url: '/v1/funds', remoteAddress: '10.1.2.3', headers: { 'x-forwarded-for': client, authorization: 'Bearer fl_wrong' } });
      expect((await via('203.0.113.1')).statusCode).toBe(401);
      expect((await via('203.0.113.1')).statusCode).toBe(401);
      expectRateLimited(await via('203.0.113.1'));
      // Another client behind the same proxy has its own budget.
      expect((await via('203.0.113.2')).statusCode).toBe(401);
      // A client not behind the proxy cannot choose its address by sending the header itself.
      const direct = (forwarded: string) =>
        t.app.inject({ method: 'GET', url: '/v1/funds', remoteAddress: '198.51.100.50', headers: { 'x-forwarded-for': forwarded } });
      expect((await direct('203.0.113.3')).statusCode).toBe(401);
      expect((await direct('203.0.113.4')).statusCode).toBe(401);
      expectRateLimited(await direct('203.0.113.5'));
    } finally {
      await t.close();
    }
  });
});

describe('CORS by default', () => {
  it('is closed', async () => {
    const t = await startApp(backends[0]!);
    const r = await t.call('GET', '/healthz', { token: null, headers: { origin: 'https://anything.example' } });
    expect(r.headers['access-control-allow-origin']).toBeUndefined();
    await t.close();
  });
});
