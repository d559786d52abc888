import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../helpers/app.js';
import { backends } from '../helpers/database.js';
import { createFund } from '../helpers/fixtures.js';

describe.each(backends)('period and request-id inputs on $name', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(backend);
  });
  afterAll(() => t.close());

  it('refuses crafted period cursors and years before 1900 with 400, never a 500', async () => {
    const f = await createFund(t);
    for (const p of ['abc', '9999-12x', '0050-03']) {
      const cursor = Buffer.from(JSON.stringify({ p })).toString('base64url');
      expect((await t.call('GET', `/v1/funds/${f.fundId}/periods?cursor=${cursor}`)).status).toBe(400);
    }
    expect((await t.call('POST', `/v1/funds/${f.fundId}/periods/0050-03/close`)).status).toBe(400);
  });

  it("keeps a caller's request id only when it looks like an id", async () => {
    await t.call('POST', '/v1/villages', {
      body: { code: 'RID-1', name: '甲村', township: '乙乡', county: '丙县' },
      headers: { 'x-request-id': 'county-sync.42' },
    });
    const replaced = await t.call('POST', '/v1/villages', {
      body: { code: 'RID-2', name: '丁村', township: '乙乡', county: '丙县' },
      headers: { 'x-request-id': '510700197001010011' },
    });
    const audit = await t.call('GET', '/v1/audit-log?route=/v1/villages&limit=2');
    const ids = audit.body.items.map((e: any) => e.requestId);
    expect(ids).toContain('county-sync.42');
    expect(JSON.stringify(audit.body)).not.toContain('510700197001010011');
    expect(replaced.status).toBe(201);
  });
});
