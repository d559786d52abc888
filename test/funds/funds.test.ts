import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../helpers/app.js';
import { backends } from '../helpers/database.js';
import { uniqueCode } from '../helpers/fixtures.js';

describe.each(backends)('funds and accounts on $name', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(backend);
  });
  afterAll(() => t.close());

  const newFund = (code = uniqueCode('FUND')) =>
    t.call('POST', '/v1/funds', { body: { code, name: '防贫保专项基金', organisation: '某县财政局', purpose: '防贫保险保费与理赔' } });

  it('creates a fund, reads it back, and refuses a second fund with the same code', async () => {
    const created = await newFund('COUNTY-INS');
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ code: 'COUNTY-INS', name: '防贫保专项基金', status: 'active' });
    expect((await t.call('GET', `/v1/funds/${created.body.id}`)).body).toEqual(created.body);
    const duplicate = await newFund('COUNTY-INS');
    expect(duplicate.status).toBe(409);
    expect(duplicate.body.code).toBe('already_exists');
  });

  it('opens accounts with the normal side of their type and the no-overdraft default for assets', async () => {
    const fund = await newFund();
    const open = (body: object) => t.call('POST', `/v1/funds/${fund.body.id}/accounts`, { body });
    const bank = await open({ code: '1002', name: '银行存款（专户）', type: 'asset' });
    const income = await open({ code: '4101', name: '资产收益分红收入', type: 'income' });
    const loose = await open({ code: '1221', name: '其他应收款', type: 'asset', noOverdraft: false });
    expect(bank.body).toMatchObject({ type: 'asset', normalSide: 'debit', noOverdraft: true, balance: '0.00' });
    expect(income.body).toMatchObject({ type: 'income', normalSide: 'credit', noOverdraft: false });
    expect(loose.body.noOverdraft).toBe(false);

    const duplicate = await open({ code: '1002', name: 'again', type: 'asset' });
    expect(duplicate.status).toBe(409);
    const badType = await open({ code: '9999', name: 'x', type: 'cash' });
    expect(badType.status).toBe(400);
    const list = await t.call('GET', `/v1/funds/${fund.body.id}/accounts`);
    expect(list.body.items.map((a: { code: string }) => a.code)).toEqual(['1002', '1221', '4101']);
  });

  it('pages funds by cursor without gaps or repeats', async () => {
    for (let i = 0; i < 5; i++) await newFund(`PAGE-${i}`);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const r: any = await t.call('GET', `/v1/funds?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      expect(r.status).toBe(200);
      seen.push(...r.body.items.map((f: { code: string }) => f.code));
      cursor = r.body.nextCursor;
    } while (cursor);
    const all = (await t.call('GET', '/v1/funds?limit=500')).body.items.map((f: { code: string }) => f.code);
    expect(seen).toEqual(all);
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('answers unknown and malformed ids, limits and cursors with problems', async () => {
    expect((await t.call('GET', '/v1/funds/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await t.call('GET', '/v1/accounts/00000000-0000-4000-8000-000000000000')).status).toBe(404);
    const notUuid = await t.call('GET', '/v1/funds/123');
    expect(notUuid.status).toBe(400);
    expect(notUuid.body.detail).toMatch(/fundId/);
    expect((await t.call('GET', '/v1/funds?limit=0')).status).toBe(400);
    expect((await t.call('GET', '/v1/funds?limit=501')).status).toBe(400);
    const cursor = await t.call('GET', '/v1/funds?cursor=not-a-cursor');
    expect(cursor.status).toBe(400);
    expect(cursor.body.detail).toMatch(/cursor/);
    const missing = await t.call('POST', '/v1/funds/00000000-0000-4000-8000-000000000000/accounts', {
      body: { code: 'x', name: 'x', type: 'asset' },
    });
    expect(missing.status).toBe(404);
  });
});
