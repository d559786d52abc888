import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { loggerOptions } from '../../src/http/logging.js';
import { ADMIN_TOKEN, ID_HASH_KEY } from '../helpers/app.js';
import { backends } from '../helpers/database.js';
import { idNumber } from '../helpers/fixtures.js';

describe('the service log', () => {
  it('holds neither a token nor an ID number after a full scenario, at the most verbose level', async () => {
    const database = await backends[0]!.open();
    let log = '';
    const stream = new PassThrough();
    stream.on('data', (chunk) => (log += chunk));
    const app = await buildApp({
      config: loadConfig({ LEDGER_ADMIN_TOKEN: ADMIN_TOKEN, LEDGER_RATE_LIMIT: '0' }),
      database,
      idHashKey: ID_HASH_KEY,
      logger: loggerOptions('trace', stream),
    });
    const call = async (method: 'GET' | 'POST', url: string, token: string, body?: object) => {
      const r = await app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(body ? { payload: body } : {}) });
      return { status: r.statusCode, body: r.body ? JSON.parse(r.body) : undefined };
    };
    const officer = (await call('POST', '/v1/api-keys', ADMIN_TOKEN, { name: 'officer', role: 'officer', scopes: { all: true } })).body.token as string;
    const checker = (await call('POST', '/v1/api-keys', ADMIN_TOKEN, { name: 'checker', role: 'approver', scopes: { all: true } })).body.token as string;
    const village = (await call('POST', '/v1/villages', officer, { code: 'LOG-V', name: '日志村', township: '乡', county: '县' })).body;
    const id = idNumber(777);
    const household = (await call('POST', '/v1/households', officer, { code: 'LOG-H', headName: '王五', idNumber: id, villageId: village.id, memberCount: 2 })).body;
    await call('POST', `/v1/households/${household.id}/monitoring`, officer, { category: 'unstable', riskCauses: ['illness'], since: '2025-01-01' });
    // Mistakes a person makes: the ID number again, one digit wrong, and in a URL.
    expect((await call('POST', '/v1/households', officer, { code: 'LOG-H2', headName: '王五', idNumber: id, villageId: village.id, memberCount: 2 })).status).toBe(409);
    const spoilt = id.slice(0, 17) + (id[17] === '1' ? '2' : '1');
    expect((await call('POST', '/v1/households', officer, { code: 'LOG-H3', headName: '王五', idNumber: spoilt, villageId: village.id, memberCount: 2 })).status).toBe(400);
    expect((await call('GET', `/v1/households/${id}`, officer)).status).toBe(400);
    const fund = (
      await call('POST', '/v1/funds', ADMIN_TOKEN, {
        code: 'LOG-F', name: '基金', organisation: '乡', purpose: '防返贫', template: 'prevention', allowedCategories: ['medical_subsidy'],
      })
    ).body;
    await call('POST', `/v1/funds/${fund.id}/income`, officer, { source: 'donation', payer: '银行', date: '2026-01-02', amount: '1000.00' });
    const d = (await call('POST', '/v1/disbursements', officer, { fundId: fund.id, householdId: household.id, category: 'medical_subsidy', amount: '100.00', date: '2026-02-01' })).body;
    await call('POST', `/v1/disbursements/${d.id}/approve`, checker);
    await call('POST', `/v1/disbursements/${d.id}/pay`, officer, { bankReference: 'B-1' });
    expect((await call('GET', '/v1/funds', 'fl_wrong-token')).status).toBe(401);
    // A check that changes nothing is audited as it is answered, and is no reason to log an error.
    const checked = await call('POST', '/v1/statements/verify', ADMIN_TOKEN, { kind: 'trial-balance', params: { fundId: fund.id }, digest: '0'.repeat(64) });
    expect(checked).toMatchObject({ status: 200, body: { valid: false } });
    await app.close();
    await database.drop();

    expect(log.length).toBeGreaterThan(1000);
    expect(log).toContain('incoming request');
    // Nothing in an ordinary day's work is an error of the service.
    expect(log.split('\n').filter((line) => /"level":(50|60)/.test(line))).toEqual([]);
    for (const secret of [ADMIN_TOKEN, officer, checker, 'fl_wrong-token', id, spoilt, id.slice(0, 14)]) expect(log).not.toContain(secret);
  });
});
