import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../helpers/app.js';
import { backends } from '../helpers/database.js';

describe.each(backends)('HTTP edges on $name', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(backend);
  });
  afterAll(() => t.close());

  const problemOf = async (status: number, code: string, r: Promise<{ status: number; body: any; headers: any }>) => {
    const reply = await r;
    expect(reply.status).toBe(status);
    expect(reply.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(reply.body).toMatchObject({ status, code, title: expect.any(String), detail: expect.any(String) });
    expect(JSON.stringify(reply.body)).not.toMatch(/at .*\.ts:\d+/);
    return reply.body;
  };

  it('answers malformed JSON, a wrong media type and an oversize body with problems', async () => {
    const headers = { 'content-type': 'application/json' };
    await problemOf(400, 'validation_failed', t.call('POST', '/v1/funds', { body: '{"code": ', headers }));
    await problemOf(415, 'unsupported_media_type', t.call('POST', '/v1/funds', { body: 'code=x', headers: { 'content-type': 'text/plain' } }));
    await problemOf(413, 'payload_too_large', t.call('POST', '/v1/funds', { body: JSON.stringify({ code: 'x'.repeat(2_000_000) }), headers }));
    await problemOf(400, 'validation_failed', t.call('POST', '/v1/funds', { body: '', headers }));
  });

  it('answers unknown routes with a 404 problem, authenticated or not', async () => {
    await problemOf(404, 'not_found', t.call('GET', '/v1/nothing-here'));
    await problemOf(404, 'not_found', t.call('GET', '/nothing-here', { token: null }));
    await problemOf(401, 'unauthorized', t.call('GET', '/v1/nothing-here', { token: null }));
  });

  it('lists every invalid field of a body in one answer', async () => {
    const body = await problemOf(400, 'validation_failed', t.call('POST', '/v1/funds', { body: { code: '', name: 1 } }));
    const paths = body.errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['/code', '/name', '/organisation', '/purpose']));
  });

  it('serves health, readiness and the API description without a token', async () => {
    expect((await t.call('GET', '/healthz', { token: null })).body).toEqual({ status: 'ok' });
    expect((await t.call('GET', '/readyz', { token: null })).body).toEqual({ status: 'ready', database: backend.name });
    const doc = await t.call('GET', '/docs/json', { token: null });
    expect(doc.body.openapi).toBe('3.1.0');
    expect(Object.keys(doc.body.paths)).toContain('/v1/transactions');
  });
});
