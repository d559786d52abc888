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
    expect(replies[5]!.headers['retry-after']).toEqual(expect.any(String));
    const other = await t.keyFor('reader');
    expect((await t.call('GET', '/v1/funds', { token: other })).status).toBe(200);
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
