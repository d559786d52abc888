import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/client.js';
import { startApp, type TestApp } from '../helpers/app.js';
import { backends } from '../helpers/database.js';
import { createVillage, idNumber, uniqueCode } from '../helpers/fixtures.js';

describe.each(backends)('villages and monitored households on $name', (backend) => {
  let t: TestApp;
  let villageId: string;
  beforeAll(async () => {
    t = await startApp(backend);
    villageId = await createVillage(t, '青山村');
  });
  afterAll(() => t.close());

  const register = (overrides: Record<string, unknown> = {}) =>
    t.call('POST', '/v1/households', {
      body: { code: uniqueCode('H'), headName: '李四', idNumber: idNumber(101), villageId, memberCount: 4, ...overrides },
    });

  it('registers villages and refuses a duplicate code', async () => {
    const v = await t.call('POST', '/v1/villages', { body: { code: 'QS-001', name: '青山村', township: '红旗乡', county: '某县' } });
    expect(v.status).toBe(201);
    expect(v.body).toMatchObject({ code: 'QS-001', name: '青山村', township: '红旗乡' });
    expect((await t.call('POST', '/v1/villages', { body: { code: 'QS-001', name: 'x', township: 'x', county: 'x' } })).status).toBe(409);
    const list = await t.call('GET', '/v1/villages?township=红旗乡');
    expect(list.body.items.map((x: any) => x.code)).toEqual(['QS-001']);
  });

  it('corrects a village without changing its code, within the key\'s townships', async () => {
    const code = uniqueCode('V');
    const v = (await t.call('POST', '/v1/villages', { body: { code, name: '育才村', township: '甲乡', county: '某县' } })).body;
    const fixed = await t.call('PATCH', `/v1/villages/${v.id}`, { body: { name: '玉才村' } });
    expect(fixed.status).toBe(200);
    expect(fixed.body).toMatchObject({ id: v.id, code, name: '玉才村', township: '甲乡', county: '某县' });
    expect((await t.call('GET', `/v1/villages/${v.id}`)).body.name).toBe('玉才村');

    // The code is what imports and rules name it by: not a field to change. Nor is an empty correction.
    for (const body of [{ code: 'X-1' }, {}, { name: '' }]) {
      const refused = await t.call('PATCH', `/v1/villages/${v.id}`, { body });
      expect(refused.status).toBe(400);
      expect(refused.body.code).toBe('validation_failed');
    }

    // A township's officer edits its own villages, and cannot move one out of its reach.
    const officer = await t.keyFor('officer', { townships: ['甲乡'] });
    expect((await t.call('PATCH', `/v1/villages/${v.id}`, { token: officer, body: { county: '另一县' } })).status).toBe(200);
    const moved = await t.call('PATCH', `/v1/villages/${v.id}`, { token: officer, body: { township: '乙乡' } });
    expect(moved.status).toBe(403);
    const other = (await t.call('POST', '/v1/villages', { body: { code: uniqueCode('V'), name: '别村', township: '乙乡', county: '某县' } })).body;
    expect((await t.call('PATCH', `/v1/villages/${other.id}`, { token: officer, body: { name: '改名' } })).status).toBe(404);
    expect((await t.call('GET', `/v1/villages/${v.id}`)).body).toMatchObject({ township: '甲乡', county: '另一县' });
    expect((await t.call('GET', `/v1/villages/${other.id}`)).body.name).toBe('别村');
    // A reader may not edit at all.
    const reader = await t.keyFor('reader');
    expect((await t.call('PATCH', `/v1/villages/${v.id}`, { token: reader, body: { name: 'x' } })).status).toBe(403);
  });

  it('keeps the ID number only as a keyed hash and shows it masked', async () => {
    const id = idNumber(4242);
    const created = await register({ idNumber: id });
    expect(created.status).toBe(201);
    expect(created.body.idNumberMasked).toBe(`${id.slice(0, 4)}**********${id.slice(-4)}`);
    expect(JSON.stringify(created.body)).not.toContain(id);
    expect(JSON.stringify((await t.call('GET', `/v1/households/${created.body.id}`)).body)).not.toContain(id);
    // Nothing in the table holds the number: a dump does not reveal it.
    const [row] = await rows<Record<string, unknown>>(t.database.db, sql`select * from households where id = ${created.body.id}`);
    expect(JSON.stringify(row)).not.toContain(id);
    expect(JSON.stringify(row)).not.toContain(id.slice(6, 14));

    const again = await register({ idNumber: id });
    expect(again.status).toBe(409);
    expect(again.body.detail).not.toContain(id);
  });

  it.each([
    ['a wrong check digit', (id: string) => id.slice(0, 17) + (id[17] === '0' ? '1' : '0')],
    ['17 characters', (id: string) => id.slice(0, 17)],
    ['a date of birth that is not a day', () => '510700' + '19700230' + '0011'],
  ])('refuses an ID number with %s, without echoing it', async (_label, spoil) => {
    const bad = spoil(idNumber(7));
    const r = await register({ idNumber: bad });
    expect(r.status).toBe(400);
    expect(r.body.code).toBe('validation_failed');
    expect(JSON.stringify(r.body)).not.toContain(bad);
  });

  it('refuses an unknown village', async () => {
    const r = await register({ villageId: '00000000-0000-4000-8000-000000000000', idNumber: idNumber(8) });
    expect(r.status).toBe(422);
    expect(r.body.code).toBe('unknown_village');
  });

  it('keeps a dated monitoring history: included, eliminated, included again', async () => {
    const h = await register({ idNumber: idNumber(9) });
    const monitoring = `/v1/households/${h.body.id}/monitoring`;
    const included = await t.call('POST', monitoring, { body: { category: 'marginal', riskCauses: ['illness', 'schooling'], since: '2025-01-01' } });
    expect(included.status).toBe(201);
    expect(included.body).toMatchObject({ category: 'marginal', riskCauses: ['illness', 'schooling'], since: '2025-01-01', eliminatedOn: null });
    expect((await t.call('GET', `/v1/households/${h.body.id}`)).body.monitoredToday).toBe(true);

    const twice = await t.call('POST', monitoring, { body: { category: 'unstable', riskCauses: ['illness'], since: '2025-02-01' } });
    expect(twice.status).toBe(409);
    expect(twice.body.code).toBe('already_monitored');

    const early = await t.call('POST', `${monitoring}/eliminate`, { body: { date: '2024-12-31', reason: '收入稳定' } });
    expect(early.status).toBe(400);
    const eliminated = await t.call('POST', `${monitoring}/eliminate`, { body: { date: '2025-06-01', reason: '收入稳定，风险消除' } });
    expect(eliminated.status).toBe(200);
    expect(eliminated.body).toMatchObject({ eliminatedOn: '2025-06-01', eliminationReason: '收入稳定，风险消除' });
    expect((await t.call('POST', `${monitoring}/eliminate`, { body: { date: '2025-07-01', reason: 'again' } })).body.code).toBe('invalid_state');

    const overlapping = await t.call('POST', monitoring, { body: { category: 'sudden_hardship', riskCauses: ['disaster'], since: '2025-05-01' } });
    expect(overlapping.status).toBe(400);
    const again = await t.call('POST', monitoring, { body: { category: 'sudden_hardship', riskCauses: ['disaster'], since: '2026-03-01' } });
    expect(again.status).toBe(201);

    const household = (await t.call('GET', `/v1/households/${h.body.id}`)).body;
    expect(household.monitoring.map((p: any) => [p.category, p.since, p.eliminatedOn])).toEqual([
      ['marginal', '2025-01-01', '2025-06-01'],
      ['sudden_hardship', '2026-03-01', null],
    ]);

    // Monitored on a day: from the inclusion, up to but not on the elimination date.
    const on = async (day: string) =>
      (await t.call('GET', `/v1/households?villageId=${villageId}&monitoredOn=${day}&limit=500`)).body.items.some((x: any) => x.id === h.body.id);
    expect(await on('2024-12-31')).toBe(false);
    expect(await on('2025-01-01')).toBe(true);
    expect(await on('2025-05-31')).toBe(true);
    expect(await on('2025-06-01')).toBe(false);
    expect(await on('2026-03-01')).toBe(true);
  });

  it('refuses unknown risk causes and future inclusion dates', async () => {
    const h = await register({ idNumber: idNumber(10) });
    const monitoring = `/v1/households/${h.body.id}/monitoring`;
    const cause = await t.call('POST', monitoring, { body: { category: 'unstable', riskCauses: ['gambling'], since: '2025-01-01' } });
    expect(cause.status).toBe(400);
    expect(cause.body.detail).toMatch(/illness/);
    const future = await t.call('POST', monitoring, { body: { category: 'unstable', riskCauses: ['illness'], since: '2999-01-01' } });
    expect(future.status).toBe(422);
    expect(future.body.code).toBe('date_in_future');
  });

  it('searches by part of the code or of the head\'s name (the name not for readers), taking % and _ literally', async () => {
    const villageId = await createVillage(t);
    const prefix = uniqueCode('Q');
    const made = async (suffix: string, headName: string, n: number) => {
      const r = await t.call('POST', '/v1/households', { body: { code: `${prefix}-${suffix}`, headName, idNumber: idNumber(900 + n), villageId, memberCount: 2 } });
      expect(r.status).toBe(201);
      return r.body.id as string;
    };
    const wang = await made('A1', '王建国', 1);
    const zhao = await made('B2', '赵建华', 2);
    await made('C3', '钱%_明', 3);
    const search = async (q: string, token?: string) =>
      (await t.call('GET', `/v1/households?villageId=${villageId}&q=${encodeURIComponent(q)}`, { token })).body.items.map((h: any) => h.id);
    expect(await search('建')).toEqual([wang, zhao]);
    expect(await search('王建国')).toEqual([wang]);
    expect(await search(`${prefix}-b2`.toLowerCase())).toEqual([zhao]);
    expect(await search('%')).toHaveLength(1);
    expect(await search('_')).toHaveLength(1);
    const reader = await t.keyFor('reader');
    expect(await search('建', reader)).toEqual([]);
    expect(await search('A1', reader)).toEqual([wang]);
    expect((await t.call('GET', `/v1/households?q=${'x'.repeat(51)}`)).status).toBe(400);
  });

  it('filters households by monitoring category and pages them', async () => {
    const village = await createVillage(t, '白水村');
    for (let i = 0; i < 3; i++) {
      const h = await register({ villageId: village, idNumber: idNumber(200 + i) });
      await t.call('POST', `/v1/households/${h.body.id}/monitoring`, {
        body: { category: i === 0 ? 'marginal' : 'unstable', riskCauses: ['illness'], since: '2025-01-01' },
      });
    }
    const marginal = await t.call('GET', `/v1/households?villageId=${village}&category=marginal`);
    expect(marginal.body.items).toHaveLength(1);
    const first = await t.call('GET', `/v1/households?villageId=${village}&limit=2`);
    const second = await t.call('GET', `/v1/households?villageId=${village}&limit=2&cursor=${first.body.nextCursor}`);
    expect([...first.body.items, ...second.body.items]).toHaveLength(3);
    expect(second.body.nextCursor).toBeNull();
  });

  it('answers benefits of a household that received nothing yet, and 404 for an unknown one', async () => {
    const h = await register({ idNumber: idNumber(11) });
    const benefits = await t.call('GET', `/v1/households/${h.body.id}/benefits`);
    expect(benefits.body).toMatchObject({ items: [], totalsByCategory: [], total: '0.00' });
    expect((await t.call('GET', '/v1/households/00000000-0000-4000-8000-000000000000/benefits')).status).toBe(404);
  });
});
