import { postTransaction } from '../../src/ledger/posting.js';
import { inLedgerTransaction } from '../../src/ledger/commit.js';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/client.js';
import { expectLedgerIntact, startApp, type TestApp } from '../helpers/app.js';
import { backends } from '../helpers/database.js';
import { createFund, createPreventionFund, createVillage, uniqueCode } from '../helpers/fixtures.js';

describe.each(backends)('industries and dividends on $name', (backend) => {
  let t: TestApp;

  /** A village whose code ends with `suffix`, so tests know how codes order. */
  const village = async (prefix: string, suffix: string, name = `${suffix}村`) => {
    const r = await t.call('POST', '/v1/villages', { body: { code: `${prefix}-${suffix}`, name, township: '某乡', county: '某县' } });
    expect(r.status).toBe(201);
    return r.body.id as string;
  };

  /** A prevention fund with a project village P and radiating villages A, B, C (codes in that order: A < B < C < P). */
  async function setting() {
    const fund = await createPreventionFund(t);
    const prefix = uniqueCode('IV');
    const [P, A, B, C] = [await village(prefix, 'P'), await village(prefix, 'A'), await village(prefix, 'B'), await village(prefix, 'C')];
    return { ...fund, P: P!, A: A!, B: B!, C: C! };
  }

  type Setting = Awaited<ReturnType<typeof setting>>;

  const createIndustry = (s: Setting, extra: Record<string, unknown> = {}) =>
    t.call('POST', '/v1/industries', {
      body: {
        fundId: s.fundId,
        name: '某县肉牛养殖有限公司',
        projectVillageId: s.P,
        radiatingVillages: [{ villageId: s.A }, { villageId: s.B }, { villageId: s.C }],
        projectVillageShare: '0.40',
        ...extra,
      },
    });

  const dividend = (industryId: string, date: string, amount: string, headers?: Record<string, string>) =>
    t.call('POST', `/v1/industries/${industryId}/dividends`, { body: { date, amount, reference: `分红-${date}` }, headers });

  const balance = async (accountId: string) => (await t.call('GET', `/v1/accounts/${accountId}`)).body.balance as string;

  const count = async (table: string) =>
    Number((await rows<{ n: string }>(t.database.db, sql`select count(*)::text as n from ${sql.identifier(table)}`))[0]!.n);

  const counts = async () => ({
    industries: await count('industries'),
    rules: await count('distribution_rules'),
    ruleVillages: await count('distribution_rule_villages'),
    dividends: await count('dividends'),
    allocations: await count('dividend_allocations'),
    transactions: await count('transactions'),
    accounts: await count('accounts'),
    events: await count('events'),
  });

  const allocationsOf = async (villageId: string, asOf?: string) =>
    (await t.call('GET', `/v1/villages/${villageId}/allocations${asOf ? `?asOf=${asOf}` : ''}`)).body;

  beforeAll(async () => {
    t = await startApp(backend);
  });
  afterAll(async () => {
    await expectLedgerIntact(t);
    await t.close();
  });

  it('splits the field figure 132,000.00 at 40/60 into 52,800.00 and 26,400.00 three times, in one balanced voucher', async () => {
    const s = await setting();
    const industry = await createIndustry(s);
    expect(industry.status).toBe(201);
    expect(industry.body.rules).toEqual([
      expect.objectContaining({
        version: 1,
        effectiveFrom: '1900-01-01',
        projectVillageShare: '0.40000000',
        radiatingShare: '0.60000000',
        radiatingVillages: [
          { villageId: s.A, weight: '1.0000' },
          { villageId: s.B, weight: '1.0000' },
          { villageId: s.C, weight: '1.0000' },
        ],
      }),
    ]);

    const r = await dividend(industry.body.id, '2026-06-30', '132000.00');
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ industryId: industry.body.id, fundId: s.fundId, date: '2026-06-30', amount: '132000.00', ruleVersion: 1 });
    expect(r.body.ruleId).toBe(industry.body.rules[0].id);
    expect(r.body.allocations).toEqual([
      { villageId: s.P, role: 'project', amount: '52800.00' },
      { villageId: s.A, role: 'radiating', amount: '26400.00' },
      { villageId: s.B, role: 'radiating', amount: '26400.00' },
      { villageId: s.C, role: 'radiating', amount: '26400.00' },
    ]);

    // Dr bank, Cr dividend income; Dr income allocated to villages, Cr each village's allocation.
    const voucher = (await t.call('GET', `/v1/transactions/${r.body.transactionId}`)).body;
    const villageAccounts = Object.fromEntries(
      await Promise.all([s.P, s.A, s.B, s.C].map(async (v) => [v, (await allocationsOf(v)).funds[0].accountId] as const)),
    );
    expect(voucher.lines.map((l: any) => [l.accountId, l.direction, l.amount])).toEqual([
      [s.byRole.bank, 'debit', '132000.00'],
      [s.byRole.dividend_income, 'credit', '132000.00'],
      [s.byRole.village_distribution, 'debit', '132000.00'],
      [villageAccounts[s.P], 'credit', '52800.00'],
      [villageAccounts[s.A], 'credit', '26400.00'],
      [villageAccounts[s.B], 'credit', '26400.00'],
      [villageAccounts[s.C], 'credit', '26400.00'],
    ]);
    expect(voucher.reference).toBe('分红-2026-06-30');

    expect(await balance(s.byRole.bank!)).toBe('132000.00');
    expect(await balance(s.byRole.dividend_income!)).toBe('132000.00');
    expect(await balance(s.byRole.village_distribution!)).toBe('-132000.00');
    const villageAccount = (await t.call('GET', `/v1/accounts/${villageAccounts[s.P]}`)).body;
    expect(villageAccount).toMatchObject({ role: 'village_allocation', villageId: s.P, type: 'liability', balance: '52800.00' });
    for (const v of [s.A, s.B, s.C]) expect(await balance(villageAccounts[v]!)).toBe('26400.00');

    const tb = (await t.call('GET', `/v1/funds/${s.fundId}/trial-balance`)).body;
    expect(tb.balanced).toBe(true);
    expect(tb.totals.debitTotal).toBe('264000.00');

    const stored = await rows<{ rule_id: string; n: string }>(
      t.database.db,
      sql`select d.rule_id, (select count(*)::text from dividend_allocations a where a.dividend_id = d.id) as n from dividends d where d.id = ${r.body.dividendId}`,
    );
    expect(stored).toEqual([{ rule_id: industry.body.rules[0].id, n: '4' }]);
    const events = await rows<{ type: string; payload: any }>(
      t.database.db,
      sql`select type, payload from events where subject_id = ${r.body.dividendId}`,
    );
    expect(events).toEqual([{ type: 'dividend.recorded', payload: expect.objectContaining({ ruleVersion: 1, amount: '132000.00' }) }]);
  });

  it('gives the one leftover fen of 100.01 to the project village (40.01), the radiating villages 20.00 each', async () => {
    const s = await setting();
    const industry = (await createIndustry(s)).body;
    const r = await dividend(industry.id, '2026-07-01', '100.01');
    expect(r.status).toBe(201);
    expect(r.body.allocations.map((a: any) => [a.villageId, a.amount])).toEqual([
      [s.P, '40.01'],
      [s.A, '20.00'],
      [s.B, '20.00'],
      [s.C, '20.00'],
    ]);
    expect(await balance(s.byRole.bank!)).toBe('100.01');
  });

  it('previews exactly the split a dividend then books, by the rule in force on its date, writing nothing', async () => {
    const s = await setting();
    const industry = (await createIndustry(s, { effectiveFrom: '2026-01-01' })).body;
    const v2 = await t.call('POST', `/v1/industries/${industry.id}/rules`, {
      body: { effectiveFrom: '2026-07-01', projectVillageShare: '0.50', radiatingVillages: [{ villageId: s.A }, { villageId: s.B }] },
    });
    expect(v2.status, JSON.stringify(v2.body)).toBe(201);
    const preview = (date: string, amount: string) =>
      t.call('GET', `/v1/industries/${industry.id}/dividends/preview?date=${date}&amount=${amount}`);

    const before = await preview('2026-06-30', '100.01');
    expect(before.status).toBe(200);
    expect(before.body.ruleVersion).toBe(1);
    expect(before.body.allocations.map((a: any) => [a.villageId, a.role, a.amount])).toEqual([
      [s.P, 'project', '40.01'],
      [s.A, 'radiating', '20.00'],
      [s.B, 'radiating', '20.00'],
      [s.C, 'radiating', '20.00'],
    ]);
    expect(before.body.allocations[0].villageName).toBe('P村');
    const after = await preview('2026-07-01', '100.01');
    expect(after.body.ruleVersion).toBe(2);
    expect(after.body.allocations.map((a: any) => a.amount)).toEqual(['50.01', '25.00', '25.00']);
    expect(await t.call('GET', `/v1/industries/${industry.id}/dividends`).then((r) => r.body.items)).toHaveLength(0);
    expect(await balance(s.byRole.bank!)).toBe('0.00');

    const booked = await dividend(industry.id, '2026-06-30', '100.01');
    expect(booked.body.allocations).toEqual(before.body.allocations.map(({ villageId, role, amount }: any) => ({ villageId, role, amount })));

    expect((await preview('2026-06-30', '1.234')).status).toBe(400);
    const tooEarly = await preview('2025-12-31', '100.00');
    expect(tooEarly.status).toBe(400);
    expect(tooEarly.body).toMatchObject({ code: 'validation_failed', field: 'date' });
    expect((await preview('2999-01-01', '100.00')).body.code).toBe('date_in_future');
    expect((await t.call('GET', `/v1/industries/00000000-0000-4000-8000-000000000000/dividends/preview?date=2026-06-30&amount=1.00`)).status).toBe(404);
  });

  it('breaks equal remainders by village code, not by the order the rule lists the villages', async () => {
    const s = await setting();
    const industry = (await createIndustry(s, { radiatingVillages: [{ villageId: s.C }, { villageId: s.B }, { villageId: s.A }] })).body;
    // 100.02: P 40.008, each radiating village 20.004; two fen left: P, then A (the smallest code).
    const r = await dividend(industry.id, '2026-07-01', '100.02');
    expect(r.body.allocations.map((a: any) => [a.villageId, a.amount])).toEqual([
      [s.P, '40.01'],
      [s.A, '20.01'],
      [s.B, '20.00'],
      [s.C, '20.00'],
    ]);
  });

  it('splits the radiating share by unequal weights', async () => {
    const s = await setting();
    const industry = await createIndustry(s, {
      radiatingVillages: [
        { villageId: s.A, weight: '2' },
        { villageId: s.B, weight: '1' },
        { villageId: s.C, weight: '1' },
      ],
    });
    expect(industry.status).toBe(201);
    const r = await dividend(industry.body.id, '2026-07-01', '1000.00');
    expect(r.body.allocations.map((a: any) => a.amount)).toEqual(['400.00', '300.00', '150.00', '150.00']);
  });

  it('books no line for a village whose part is 0.00, yet keeps its 0.00 part on record', async () => {
    const s = await setting();
    const whole = (await createIndustry(s, { projectVillageShare: '1', radiatingVillages: [] })).body;
    expect(whole.rules[0]).toMatchObject({ projectVillageShare: '1.00000000', radiatingShare: '0.00000000', radiatingVillages: [] });
    const all = await dividend(whole.id, '2026-07-01', '50.00');
    expect(all.body.allocations).toEqual([{ villageId: s.P, role: 'project', amount: '50.00' }]);

    const none = (await createIndustry(s, { projectVillageShare: '0' })).body;
    const fen = await dividend(none.id, '2026-07-01', '0.01');
    expect(fen.status).toBe(201);
    // Exact shares: P nothing, A/B/C a third of a fen each; the fen goes to A, the smallest code.
    expect(fen.body.allocations.map((a: any) => [a.villageId, a.amount])).toEqual([
      [s.P, '0.00'],
      [s.A, '0.01'],
      [s.B, '0.00'],
      [s.C, '0.00'],
    ]);
    const voucher = (await t.call('GET', `/v1/transactions/${fen.body.transactionId}`)).body;
    expect(voucher.lines.map((l: any) => [l.direction, l.amount])).toEqual([
      ['debit', '0.01'],
      ['credit', '0.01'],
      ['debit', '0.01'],
      ['credit', '0.01'],
    ]);
    expect((await allocationsOf(s.B)).funds).toEqual([]);
  });

  it('uses the rule version in force on the dividend date', async () => {
    const s = await setting();
    const industry = (await createIndustry(s, { effectiveFrom: '2025-01-01' })).body;
    const v2 = await t.call('POST', `/v1/industries/${industry.id}/rules`, {
      body: {
        effectiveFrom: '2026-01-01',
        projectVillageShare: '0.50',
        radiatingShare: '0.50',
        radiatingVillages: [
          { villageId: s.A, weight: '3' },
          { villageId: s.B, weight: '2' },
        ],
      },
    });
    expect(v2.status).toBe(201);
    expect(v2.body).toMatchObject({ version: 2, effectiveFrom: '2026-01-01', projectVillageShare: '0.50000000', industryId: industry.id });

    const before = await dividend(industry.id, '2025-12-31', '1000.00');
    expect(before.status).toBe(201);
    expect(before.body.ruleVersion).toBe(1);
    expect(before.body.allocations.map((a: any) => [a.villageId, a.amount])).toEqual([
      [s.P, '400.00'],
      [s.A, '200.00'],
      [s.B, '200.00'],
      [s.C, '200.00'],
    ]);

    const onTheDay = await dividend(industry.id, '2026-01-01', '1000.00');
    expect(onTheDay.body.ruleVersion).toBe(2);
    expect(onTheDay.body.ruleId).toBe(v2.body.id);
    expect(onTheDay.body.allocations.map((a: any) => [a.villageId, a.amount])).toEqual([
      [s.P, '500.00'],
      [s.A, '300.00'],
      [s.B, '200.00'],
    ]);
    const later = await dividend(industry.id, '2026-09-30', '10.00');
    expect(later.body.ruleVersion).toBe(2);

    const read = (await t.call('GET', `/v1/industries/${industry.id}`)).body;
    expect(read.rules.map((r: any) => [r.version, r.effectiveFrom])).toEqual([
      [1, '2025-01-01'],
      [2, '2026-01-01'],
    ]);

    const list = await t.call('GET', `/v1/industries/${industry.id}/dividends?limit=2`);
    expect(list.body.items.map((d: any) => [d.date, d.ruleVersion])).toEqual([
      ['2025-12-31', 1],
      ['2026-01-01', 2],
    ]);
    const rest = await t.call('GET', `/v1/industries/${industry.id}/dividends?limit=2&cursor=${list.body.nextCursor}`);
    expect(rest.body.items.map((d: any) => d.dividendId)).toEqual([later.body.dividendId]);
    expect(rest.body.nextCursor).toBeNull();
    expect(rest.body.items[0].allocations).toEqual(later.body.allocations);

    const in2026 = await t.call('GET', `/v1/industries/${industry.id}/dividends?from=2026-01-01&to=2026-12-31`);
    expect(in2026.body.items.map((d: any) => d.date)).toEqual(['2026-01-01', '2026-09-30']);
  });

  it('refuses a new version that would start before the latest one or before a dividend already split', async () => {
    const s = await setting();
    const industry = (await createIndustry(s, { effectiveFrom: '2025-01-01' })).body;
    await dividend(industry.id, '2026-03-31', '100.00');
    const rule = (effectiveFrom: string) =>
      t.call('POST', `/v1/industries/${industry.id}/rules`, {
        body: { effectiveFrom, projectVillageShare: '0.30', radiatingVillages: [{ villageId: s.A }] },
      });
    const before = await counts();
    for (const day of ['2025-01-01', '2024-12-31', '2026-03-31']) {
      const r = await rule(day);
      expect(r.status).toBe(422);
      expect(r.body.code).toBe('invalid_rule');
    }
    expect(await counts()).toEqual(before);
    expect((await rule('2026-04-01')).body.version).toBe(2);
  });

  it('refuses dividends dated in the future or before the first rule takes effect', async () => {
    const s = await setting();
    const industry = (await createIndustry(s, { effectiveFrom: '2025-01-01' })).body;
    const before = await counts();
    const early = await dividend(industry.id, '2024-12-31', '100.00');
    expect(early.status).toBe(400);
    expect(early.body).toMatchObject({ code: 'validation_failed', firstEffectiveFrom: '2025-01-01' });
    const future = await dividend(industry.id, '2999-01-01', '100.00');
    expect(future.status).toBe(422);
    expect(future.body.code).toBe('date_in_future');
    expect((await dividend(industry.id, '2025-01-01', '0.00')).status).toBe(400);
    expect((await dividend(industry.id, '2025-01-01', '1.005')).status).toBe(400);
    expect((await dividend('00000000-0000-4000-8000-000000000000', '2025-01-01', '1.00')).status).toBe(404);
    expect(await counts()).toEqual(before);
  });

  it('refuses invalid rules and writes nothing', async () => {
    const s = await setting();
    const plain = await createFund(t);
    const before = await counts();
    const refusals: [Record<string, unknown>, number, string][] = [
      [{ radiatingShare: '0.50' }, 422, 'invalid_rule'],
      [{ projectVillageShare: '0.33333333', radiatingShare: '0.66666666' }, 422, 'invalid_rule'],
      [{ radiatingVillages: [{ villageId: s.A }, { villageId: s.P }] }, 422, 'invalid_rule'],
      [{ radiatingVillages: [{ villageId: s.A }, { villageId: s.A, weight: '2' }] }, 422, 'invalid_rule'],
      [{ radiatingVillages: [] }, 422, 'invalid_rule'],
      [{ radiatingVillages: [{ villageId: s.A }, { villageId: '00000000-0000-4000-8000-000000000000' }] }, 422, 'unknown_village'],
      [{ projectVillageId: '00000000-0000-4000-8000-000000000001' }, 422, 'unknown_village'],
      [{ fundId: plain.fundId }, 422, 'chart_account_missing'],
      [{ fundId: '00000000-0000-4000-8000-000000000000' }, 404, 'not_found'],
      [{ projectVillageShare: '1.5' }, 400, 'validation_failed'],
      [{ projectVillageShare: 0.4 }, 400, 'validation_failed'],
      [{ projectVillageShare: '0.123456789' }, 400, 'validation_failed'],
      [{ radiatingVillages: [{ villageId: s.A, weight: '0' }] }, 400, 'validation_failed'],
      [{ radiatingVillages: [{ villageId: s.A, weight: '1.00001' }] }, 400, 'validation_failed'],
      [{ effectiveFrom: '2026-02-30' }, 400, 'validation_failed'],
    ];
    for (const [extra, status, code] of refusals) {
      const r = await createIndustry(s, extra);
      expect([JSON.stringify(extra), r.status, r.body.code]).toEqual([JSON.stringify(extra), status, code]);
    }
    const industry = (await createIndustry(s)).body;
    const afterCreate = await counts();
    const badVersion = await t.call('POST', `/v1/industries/${industry.id}/rules`, {
      body: { effectiveFrom: '2026-01-01', projectVillageShare: '0.40', radiatingShare: '0.70', radiatingVillages: [{ villageId: s.A }] },
    });
    expect(badVersion.status).toBe(422);
    expect(badVersion.body.code).toBe('invalid_rule');
    expect(await counts()).toEqual(afterCreate);
    expect(afterCreate.industries).toBe(before.industries + 1);
    expect(afterCreate.rules).toBe(before.rules + 1);
  });

  it('records a dividend once for a repeated Idempotency-Key', async () => {
    const s = await setting();
    const industry = (await createIndustry(s)).body;
    const first = await dividend(industry.id, '2026-08-01', '132000.00', { 'idempotency-key': `div-${industry.id}` });
    expect(first.status).toBe(201);
    const before = await counts();
    const again = await dividend(industry.id, '2026-08-01', '132000.00', { 'idempotency-key': `div-${industry.id}` });
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(await counts()).toEqual(before);
    expect(await balance(s.byRole.bank!)).toBe('132000.00');
    const other = await dividend(industry.id, '2026-08-01', '1.00', { 'idempotency-key': `div-${industry.id}` });
    expect(other.status).toBe(409);
  });

  it('reads what each village was allocated, spent and has left, per fund and as of a day', async () => {
    const s = await setting();
    const second = await createPreventionFund(t);
    const industry = (await createIndustry(s)).body;
    const other = (await createIndustry({ ...s, fundId: second.fundId })).body;
    await dividend(industry.id, '2026-03-31', '132000.00');
    await dividend(industry.id, '2026-06-30', '1000.00');
    await dividend(other.id, '2026-05-01', '500.00');

    const pAccount = (await allocationsOf(s.P)).funds.find((f: any) => f.fundId === s.fundId).accountId;
    // The village pays 2,000.00 of medical subsidies from its allocation: the earmark is used up by as much.
    // (Posted through the ledger core as the disbursement operation does: the API keeps these accounts to operations.)
    await inLedgerTransaction(t.database.db, (tx) =>
      postTransaction(
        tx,
        {
          date: '2026-07-15',
          description: '医疗补贴（青山村收益分配）',
          lines: [
            { accountId: s.byRole['expense:medical_subsidy']!, direction: 'debit', amount: '2000.00' },
            { accountId: s.byRole.bank!, direction: 'credit', amount: '2000.00' },
            { accountId: pAccount, direction: 'debit', amount: '2000.00' },
            { accountId: s.byRole.village_distribution!, direction: 'credit', amount: '2000.00' },
          ],
        },
        { actor: 'test', today: '2999-12-31' },
      ),
    );

    const now = await allocationsOf(s.P);
    expect(now.villageId).toBe(s.P);
    expect(now.asOf).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const byFund = (answer: any) => Object.fromEntries(answer.funds.map((f: any) => [f.fundId, [f.allocated, f.spent, f.remaining]]));
    expect(byFund(now)).toEqual({
      [s.fundId]: ['53200.00', '2000.00', '51200.00'],
      [second.fundId]: ['200.00', '0.00', '200.00'],
    });
    expect(byFund(await allocationsOf(s.P, '2026-03-31'))).toEqual({
      [s.fundId]: ['52800.00', '0.00', '52800.00'],
      [second.fundId]: ['0.00', '0.00', '0.00'],
    });
    expect(byFund(await allocationsOf(s.P, '2026-07-15'))).toEqual(byFund(now));
    expect((await allocationsOf(s.P, '2026-03-31')).asOf).toBe('2026-03-31');

    const nobody = await t.call('GET', `/v1/villages/${await createVillage(t)}/allocations`);
    expect(nobody.body).toMatchObject({ funds: [] });
    expect((await t.call('GET', '/v1/villages/00000000-0000-4000-8000-000000000000/allocations')).status).toBe(404);

    for (const fundId of [s.fundId, second.fundId]) {
      expect((await t.call('GET', `/v1/funds/${fundId}/trial-balance`)).body.balanced).toBe(true);
    }
  });

  it('lists industries of a fund by name, page by page', async () => {
    const s = await setting();
    await createIndustry(s, { name: '乙 肉牛' });
    await createIndustry(s, { name: '甲 光伏' });
    await createIndustry(s, { name: '乙 肉牛' });
    const first = await t.call('GET', `/v1/industries?fundId=${s.fundId}&limit=2`);
    expect(first.status).toBe(200);
    const second = await t.call('GET', `/v1/industries?fundId=${s.fundId}&limit=2&cursor=${first.body.nextCursor}`);
    const all = [...first.body.items, ...second.body.items];
    expect(all).toHaveLength(3);
    expect(new Set(all.map((i: any) => i.id)).size).toBe(3);
    // By name in code-point order (乙 U+4E59 before 甲 U+7532), then by id.
    expect(all.map((i: any) => i.name)).toEqual(['乙 肉牛', '乙 肉牛', '甲 光伏']);
    expect(all.every((i: any) => i.fundId === s.fundId && i.rules.length === 1)).toBe(true);
    expect(second.body.nextCursor).toBeNull();
    expect((await t.call('GET', '/v1/industries?cursor=bogus')).status).toBe(400);
    expect((await t.call('GET', '/v1/industries/00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });

  it('lets readers read and refuses their writes', async () => {
    const s = await setting();
    const industry = (await createIndustry(s)).body;
    const reader = await t.keyFor('reader');
    expect((await t.call('GET', `/v1/industries/${industry.id}`, { token: reader })).status).toBe(200);
    const r = await t.call('POST', `/v1/industries/${industry.id}/dividends`, { token: reader, body: { date: '2026-01-01', amount: '1.00' } });
    expect(r.status).toBe(403);
  });
});
