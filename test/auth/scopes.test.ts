import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/client.js';
import { expectLedgerIntact, startApp, type TestApp } from '../helpers/app.js';
import { backends } from '../helpers/database.js';
import { createHousehold, createPreventionFund, idNumber, uniqueCode } from '../helpers/fixtures.js';

const MISSING = '00000000-0000-4000-8000-000000000000';

describe.each(backends)('scoped keys on $name', (backend) => {
  let t: TestApp;
  /** 甲乡 is the officer's township; 乙乡 is not; the county fund belongs to no township. */
  const a = { fundId: '', bank: '', villageId: '', villageCode: '', householdId: '', householdCode: '' };
  const b = { ...a };
  let countyFund = '';
  let officer: string;
  let approver: string;

  const written = async () =>
    (await rows<{ n: string }>(t.database.db, sql`select ((select count(*) from transactions) + (select count(*) from disbursements)
      + (select count(*) from households) + (select count(*) from villages) + (select count(*) from events))::text as n`))[0]!.n;

  async function place(into: typeof a, township: string) {
    const f = await createPreventionFund(t, { township });
    into.fundId = f.fundId;
    into.bank = f.byRole.bank!;
    const village = await t.call('POST', '/v1/villages', { body: { code: uniqueCode('V'), name: `${township}村`, township, county: '某县' } });
    into.villageId = village.body.id;
    into.villageCode = village.body.code;
    into.householdId = await createHousehold(t, village.body.id);
    into.householdCode = (await t.call('GET', `/v1/households/${into.householdId}`)).body.code;
    await t.call('POST', `/v1/funds/${f.fundId}/income`, { body: { source: 'donation', payer: '某银行', date: '2025-01-05', amount: '1000.00' } });
  }

  beforeAll(async () => {
    t = await startApp(backend);
    await place(a, '甲乡');
    await place(b, '乙乡');
    countyFund = (await createPreventionFund(t)).fundId;
    await t.call('POST', `/v1/funds/${countyFund}/income`, { body: { source: 'fiscal_transfer', payer: '县财政', date: '2025-01-05', amount: '1000.00' } });
    officer = await t.keyFor('officer', { townships: ['甲乡'] });
    approver = await t.keyFor('approver', { townships: ['甲乡'] });
  });
  afterAll(async () => {
    await expectLedgerIntact(t);
    await t.close();
  });

  /** The two answers with the ids they name blanked: equal means the caller cannot tell them apart. */
  const same = (x: any, y: any, ...ids: string[]) => {
    const blank = (body: unknown) => ids.reduce((s, id) => s.replaceAll(id, 'ID'), JSON.stringify(body));
    expect(blank(x)).toBe(blank(y));
  };

  it('answers ids of another township in a body as if they did not exist, writing nothing', async () => {
    const payment = { householdId: a.householdId, category: 'medical_subsidy', amount: '10.00', date: '2025-06-15' };
    const before = await written();
    const cases: [string, string, object, object][] = [
      ['/v1/disbursements', 'fund', { ...payment, fundId: b.fundId }, { ...payment, fundId: MISSING }],
      ['/v1/disbursements', 'household', { ...payment, fundId: a.fundId, householdId: b.householdId }, { ...payment, fundId: a.fundId, householdId: MISSING }],
      [
        '/v1/transactions',
        'account',
        { date: '2025-02-01', description: 'x', lines: [{ accountId: b.bank, direction: 'debit', amount: '1.00' }, { accountId: a.bank, direction: 'credit', amount: '1.00' }] },
        { date: '2025-02-01', description: 'x', lines: [{ accountId: MISSING, direction: 'debit', amount: '1.00' }, { accountId: a.bank, direction: 'credit', amount: '1.00' }] },
      ],
      [
        '/v1/households',
        'village',
        { code: uniqueCode('H'), headName: '王五', idNumber: idNumber(90001), villageId: b.villageId, memberCount: 2 },
        { code: uniqueCode('H'), headName: '王五', idNumber: idNumber(90002), villageId: MISSING, memberCount: 2 },
      ],
    ];
    for (const [url, what, outside, absent] of cases) {
      const refused = await t.call('POST', url, { body: outside, token: officer });
      expect(refused.status, what).toBeGreaterThanOrEqual(404);
      expect(refused.status, what).toBeLessThan(500);
      same(refused.body, (await t.call('POST', url, { body: absent, token: officer })).body, b.fundId, b.householdId, b.bank, b.villageId, MISSING);
    }
    expect(await written()).toBe(before);

    const elsewhere = await t.call('POST', '/v1/villages', { body: { code: uniqueCode('V'), name: '外村', township: '乙乡', county: '某县' }, token: officer });
    expect(elsewhere.status).toBe(403);
    expect(elsewhere.body.detail).toContain('乙乡');
    expect(await written()).toBe(before);
    expect((await t.call('POST', '/v1/villages', { body: { code: uniqueCode('V'), name: '新村', township: '甲乡', county: '某县' }, token: officer })).status).toBe(201);
  });

  it('lets a scoped officer and approver pay in their township, and nowhere else', async () => {
    const body = { fundId: a.fundId, householdId: a.householdId, category: 'medical_subsidy', amount: '10.00', date: '2025-06-15' };
    const requested = await t.call('POST', '/v1/disbursements', { body, token: officer });
    expect(requested.status).toBe(201);
    expect((await t.call('POST', `/v1/disbursements/${requested.body.id}/approve`, { token: approver })).status).toBe(200);
    expect((await t.call('POST', `/v1/disbursements/${requested.body.id}/pay`, { body: { bankReference: 'YKT-1' }, token: approver })).status).toBe(200);

    const theirs = await t.call('POST', '/v1/disbursements', { body: { ...body, fundId: b.fundId, householdId: b.householdId } });
    const refused = await t.call('POST', `/v1/disbursements/${theirs.body.id}/approve`, { token: approver });
    expect(refused.status).toBe(404);
    expect(refused.body.detail).toBe(`Disbursement ${theirs.body.id} does not exist.`);
    expect((await t.call('GET', `/v1/disbursements/${theirs.body.id}`)).body.status).toBe('requested');
  });

  it('imports only into its villages, and says no more of other townships than that a code or ID number is taken', async () => {
    const header = 'householdCode,headName,idNumber,villageCode,memberCount';
    const theirId = idNumber(91001);
    await t.call('POST', '/v1/households', { body: { code: uniqueCode('H'), headName: '赵六', idNumber: theirId, villageId: b.villageId, memberCount: 2 } });
    const csv = [
      header,
      `${uniqueCode('H')},李四,${idNumber(91002)},${b.villageCode},3`,
      `${b.householdCode},李四,${idNumber(91003)},${a.villageCode},3`,
      `${uniqueCode('H')},李四,${theirId},${a.villageCode},3`,
    ].join('\n');
    const before = await written();
    const r = await t.call('POST', '/v1/households/import', { body: csv, token: officer, headers: { 'content-type': 'text/csv' } });
    expect(r.status).toBe(422);
    expect(r.body.errors).toEqual([
      expect.objectContaining({ line: 2, column: 'villageCode', code: 'unknown_village', message: `no village with code ${b.villageCode}` }),
      expect.objectContaining({ line: 3, column: 'householdCode', code: 'already_exists', message: `household code ${b.householdCode} is already taken` }),
      expect.objectContaining({ line: 4, column: 'idNumber', code: 'already_exists', message: 'this ID number is already registered to another household' }),
    ]);
    expect(await written()).toBe(before);
  });

  it('reaches, through a county fund, every village; through a township fund, its township only', async () => {
    const county = await t.keyFor('reader', { funds: [countyFund] });
    const township = await t.keyFor('reader', { funds: [a.fundId] });
    const villages = async (token: string) => (await t.call('GET', '/v1/villages?limit=500', { token })).body.items.map((v: any) => v.id);
    expect(await villages(county)).toEqual(expect.arrayContaining([a.villageId, b.villageId]));
    expect(await villages(township)).toContain(a.villageId);
    expect(await villages(township)).not.toContain(b.villageId);
    const funds = async (token: string) => (await t.call('GET', '/v1/funds', { token })).body.items.map((f: any) => f.id);
    expect(await funds(county)).toEqual([countyFund]);
    expect(await funds(township)).toEqual([a.fundId]);
    expect((await t.call('GET', `/v1/households/${b.householdId}`, { token: township })).status).toBe(404);
    expect((await t.call('GET', `/v1/households/${b.householdId}`, { token: county })).body.headName).toBe('张*明');
  });

  it("shows a household's benefits, the feed and the journal only from funds in reach", async () => {
    const pay = async (fundId: string) => {
      const d = await t.call('POST', '/v1/disbursements', { body: { fundId, householdId: a.householdId, category: 'temporary_relief', amount: '5.00', date: '2025-06-20' } });
      await t.call('POST', `/v1/disbursements/${d.body.id}/approve`, { token: approver });
      const admin = await t.keyFor('approver');
      await t.call('POST', `/v1/disbursements/${d.body.id}/approve`, { token: admin });
      expect((await t.call('POST', `/v1/disbursements/${d.body.id}/pay`, { body: { bankReference: 'R' }, token: admin })).status).toBe(200);
    };
    await pay(a.fundId);
    await pay(countyFund);
    const benefits = async (token?: string) => (await t.call('GET', `/v1/households/${a.householdId}/benefits`, { token })).body.items.map((i: any) => i.fundId);
    expect(new Set(await benefits())).toEqual(new Set([a.fundId, countyFund]));
    expect(new Set(await benefits(officer))).toEqual(new Set([a.fundId]));
    // The scoped answer says that it is not the household's whole, the admin's that it is.
    const coverage = async (token?: string) => (await t.call('GET', `/v1/households/${a.householdId}/benefits`, { token })).body.coverage;
    expect([await coverage(), await coverage(officer)]).toEqual(['all_funds', 'funds_in_reach']);

    const feed = (await t.call('GET', '/v1/events?limit=500', { token: officer })).body.items;
    expect(feed.length).toBeGreaterThan(0);
    expect(feed.every((e: any) => e.fundId === a.fundId)).toBe(true);
    const journal = (await t.call('GET', '/v1/transactions?limit=500', { token: officer })).body.items;
    expect(journal.length).toBeGreaterThan(0);
    expect(journal.every((tx: any) => tx.lines.every((l: any) => l.fundId === a.fundId))).toBe(true);
  });
});
