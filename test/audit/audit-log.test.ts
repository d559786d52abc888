import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/client.js';
import { PAY_DATE, fundedPreventionFund } from '../disbursements/setup.js';
import { ADMIN_TOKEN, expectLedgerIntact, startApp, type TestApp } from '../helpers/app.js';
import { provokingInternalErrors } from '../helpers/contract.js';
import { backends } from '../helpers/database.js';
import { createFund, createHousehold, createVillage, type FundFixture, idNumber, transfer, uniqueCode } from '../helpers/fixtures.js';

interface AuditRow {
  id: string;
  actor_id: string | null;
  actor_role: string | null;
  request_id: string;
  client_address: string | null;
  method: string;
  route: string | null;
  path: string;
  target_ids: Record<string, string>;
  status: number;
  outcome: 'succeeded' | 'refused';
  error_code: string | null;
  replayed: boolean;
}

describe.each(backends)('audit log on $name', (backend) => {
  let t: TestApp;
  let f: FundFixture;
  const keys: Record<string, { id: string; token: string }> = {};

  /** Sends a request with a fresh X-Request-Id and returns the answer with the audit rows of that request. */
  async function audited(method: 'POST' | 'PATCH' | 'GET' | 'DELETE', url: string, options: { token?: string | null; body?: unknown; headers?: Record<string, string> } = {}) {
    const requestId = randomUUID();
    const reply = await t.call(method, url, { ...options, headers: { ...options.headers, 'x-request-id': requestId } });
    const logged = await rows<AuditRow>(t.database.db, sql`select * from audit_log where request_id = ${requestId} order by id`);
    return { reply, logged, requestId };
  }

  const count = async (table: string) =>
    Number((await rows<{ n: string }>(t.database.db, sql`select count(*)::text as n from ${sql.identifier(table)}`))[0]!.n);

  /** Everything the refused writes below could have changed. */
  const ledgerState = async () => ({
    transactions: await count('transactions'),
    lines: await count('transaction_lines'),
    funds: await count('funds'),
    households: await count('households'),
    villages: await count('villages'),
    apiKeys: await count('api_keys'),
    events: await count('events'),
  });

  beforeAll(async () => {
    t = await startApp(backend);
    for (const [name, role] of [
      ['maker', 'officer'],
      ['checker', 'approver'],
      ['reader', 'reader'],
      ['auditor', 'auditor'],
    ] as const) {
      const r = await t.call('POST', '/v1/api-keys', { body: { name, role, ...(role === 'auditor' ? {} : { scopes: { all: true } }) } });
      keys[name] = { id: r.body.id, token: r.body.token };
    }
    f = await createFund(t);
    await t.call('POST', '/v1/transactions', { body: transfer('2026-04-01', f.accounts.bank!, f.accounts.income!, '1000.00') });
  });
  afterAll(async () => {
    await expectLedgerIntact(t);
    await t.close();
  });

  describe('a successful write leaves one row, committed with the change', () => {
    it('creating a fund', async () => {
      const { reply, logged, requestId } = await audited('POST', '/v1/funds', {
        body: { code: uniqueCode('AF'), name: '某乡防止返贫专项基金', organisation: '某县某乡人民政府', purpose: '防止返贫' },
      });
      expect(reply.status).toBe(201);
      expect(logged).toHaveLength(1);
      expect(logged[0]).toMatchObject({
        actor_id: 'env-admin',
        actor_role: 'admin',
        request_id: requestId,
        client_address: '127.0.0.1',
        method: 'POST',
        route: '/v1/funds',
        path: '/v1/funds',
        target_ids: { id: reply.body.id },
        status: 201,
        outcome: 'succeeded',
        error_code: null,
        replayed: false,
      });
    });

    it('posting a transaction, with the voucher id and the officer who posted it', async () => {
      const { reply, logged } = await audited('POST', '/v1/transactions', {
        body: transfer('2026-04-02', f.accounts.expense!, f.accounts.bank!, '10.00'),
        token: keys.maker!.token,
      });
      expect(reply.status).toBe(201);
      expect(logged).toHaveLength(1);
      expect(logged[0]).toMatchObject({
        actor_id: keys.maker!.id,
        actor_role: 'officer',
        route: '/v1/transactions',
        target_ids: { id: reply.body.id },
        status: 201,
        outcome: 'succeeded',
      });
    });

    it('approving a disbursement, with the route parameter and the reservation voucher', async () => {
      const pf = await fundedPreventionFund(t, '5000.00');
      const householdId = await createHousehold(t, await createVillage(t));
      const requested = await t.call('POST', '/v1/disbursements', {
        body: { fundId: pf.fundId, householdId, category: 'medical_subsidy', amount: '300.00', date: PAY_DATE },
        token: keys.maker!.token,
      });
      expect(requested.status).toBe(201);
      const { reply, logged } = await audited('POST', `/v1/disbursements/${requested.body.id}/approve`, { token: keys.checker!.token });
      expect(reply.status).toBe(200);
      expect(logged).toHaveLength(1);
      expect(logged[0]).toMatchObject({
        actor_id: keys.checker!.id,
        actor_role: 'approver',
        route: '/v1/disbursements/:disbursementId/approve',
        path: `/v1/disbursements/${requested.body.id}/approve`,
        status: 200,
        outcome: 'succeeded',
      });
      expect(logged[0]!.target_ids).toMatchObject({
        disbursementId: requested.body.id,
        id: requested.body.id,
        approvalTransactionId: reply.body.approvalTransactionId,
        fundId: pf.fundId,
        householdId,
      });
    });

    it('approving a batch, with the batch id', async () => {
      const pf = await fundedPreventionFund(t, '5000.00');
      const villageId = await createVillage(t);
      const households = [await createHousehold(t, villageId), await createHousehold(t, villageId)];
      const batch = await t.call('POST', '/v1/disbursement-batches', {
        body: { fundId: pf.fundId, date: PAY_DATE, items: households.map((householdId) => ({ householdId, amount: '100.00' })) },
        token: keys.maker!.token,
      });
      expect(batch.status).toBe(201);
      const { reply, logged } = await audited('POST', `/v1/disbursement-batches/${batch.body.id}/approve`, { token: keys.checker!.token });
      expect(reply.status, JSON.stringify(reply.body)).toBe(200);
      expect(logged).toHaveLength(1);
      expect(logged[0]!.route).toBe('/v1/disbursement-batches/:batchId/approve');
      expect(logged[0]!.target_ids).toMatchObject({ batchId: batch.body.id, id: batch.body.id, approvalTransactionId: reply.body.approvalTransactionId });
    });

    it('issuing an API key: its id, never its token', async () => {
      const { reply, logged } = await audited('POST', '/v1/api-keys', { body: { name: '审计员', role: 'auditor' } });
      expect(reply.status).toBe(201);
      expect(logged).toHaveLength(1);
      expect(logged[0]).toMatchObject({ route: '/v1/api-keys', target_ids: { id: reply.body.id }, status: 201, outcome: 'succeeded' });
      const leaks = await rows(t.database.db, sql`select id from audit_log where audit_log::text like ${`%${reply.body.token}%`}`);
      expect(leaks).toEqual([]);
    });

    it('an idempotent replay is logged as a success marked replayed, and writes nothing else', async () => {
      const body = transfer('2026-04-03', f.accounts.expense!, f.accounts.bank!, '5.00');
      const first = await audited('POST', '/v1/transactions', { body, headers: { 'idempotency-key': 'audit-replay-1' } });
      expect(first.logged[0]).toMatchObject({ outcome: 'succeeded', replayed: false, target_ids: { id: first.reply.body.id } });
      const before = await ledgerState();
      const again = await audited('POST', '/v1/transactions', { body, headers: { 'idempotency-key': 'audit-replay-1' } });
      expect(again.reply.headers['idempotent-replayed']).toBe('true');
      expect(again.logged).toHaveLength(1);
      expect(again.logged[0]).toMatchObject({ outcome: 'succeeded', replayed: true, status: 201, target_ids: { id: first.reply.body.id } });
      expect(await ledgerState()).toEqual(before);
    });

    it('reads are not logged', async () => {
      const { reply, logged } = await audited('GET', `/v1/funds/${f.fundId}`);
      expect(reply.status).toBe(200);
      expect(logged).toEqual([]);
    });
  });

  describe('a refused write leaves one refused row and changes nothing', () => {
    async function refused(
      method: 'POST' | 'PATCH' | 'DELETE',
      url: string,
      options: { token?: string | null; body?: unknown; headers?: Record<string, string> },
      expected: { status: number; code: string },
    ) {
      const before = await ledgerState();
      const result = await audited(method, url, options);
      expect(result.reply.status, JSON.stringify(result.reply.body)).toBe(expected.status);
      expect(result.logged).toHaveLength(1);
      expect(result.logged[0]).toMatchObject({ outcome: 'refused', status: expected.status, error_code: expected.code, replayed: false });
      expect(await ledgerState()).toEqual(before);
      return result.logged[0]!;
    }

    it('an unbalanced transaction (422)', async () => {
      const body = {
        date: '2026-04-02',
        description: '不平',
        lines: [
          { accountId: f.accounts.expense!, direction: 'debit', amount: '10.00' },
          { accountId: f.accounts.bank!, direction: 'credit', amount: '9.00' },
        ],
      };
      const row = await refused('POST', '/v1/transactions', { body, token: keys.maker!.token }, { status: 422, code: 'unbalanced_transaction' });
      expect(row).toMatchObject({ actor_id: keys.maker!.id, actor_role: 'officer', route: '/v1/transactions', target_ids: {} });
    });

    it('an invalid body (400), with the route parameters as targets', async () => {
      const row = await refused(
        'POST',
        `/v1/funds/${f.fundId}/accounts`,
        { body: { code: 'x', name: 'x', type: 'nonsense' } },
        { status: 400, code: 'validation_failed' },
      );
      expect(row).toMatchObject({ actor_id: 'env-admin', route: '/v1/funds/:fundId/accounts', target_ids: { fundId: f.fundId } });
    });

    it('a reader writing (403)', async () => {
      const row = await refused(
        'POST',
        '/v1/funds',
        { body: { code: uniqueCode('AF'), name: 'x', organisation: 'x', purpose: 'x' }, token: keys.reader!.token },
        { status: 403, code: 'forbidden' },
      );
      expect(row).toMatchObject({ actor_id: keys.reader!.id, actor_role: 'reader', route: '/v1/funds' });
    });

    it('no token, or an unknown one (401): no actor, but the client address', async () => {
      const body = transfer('2026-04-02', f.accounts.expense!, f.accounts.bank!, '10.00');
      for (const token of [null, 'fl_not-a-real-token']) {
        const row = await refused('POST', '/v1/transactions', { body, token }, { status: 401, code: 'unauthorized' });
        expect(row).toMatchObject({ actor_id: null, actor_role: null, client_address: '127.0.0.1', route: '/v1/transactions' });
      }
      const tokens = await rows(t.database.db, sql`select id from audit_log where audit_log::text like '%not-a-real-token%'`);
      expect(tokens).toEqual([]);
    });

    it('an Idempotency-Key reused with another body (409)', async () => {
      const body = transfer('2026-04-02', f.accounts.expense!, f.accounts.bank!, '1.00');
      await t.call('POST', '/v1/transactions', { body, headers: { 'idempotency-key': 'audit-conflict-1' } });
      const other = transfer('2026-04-02', f.accounts.expense!, f.accounts.bank!, '2.00');
      await refused('POST', '/v1/transactions', { body: other, headers: { 'idempotency-key': 'audit-conflict-1' } }, { status: 409, code: 'idempotency_conflict' });
    });

    it('a write to no route (404), without echoing what the path held', async () => {
      const id = idNumber(424242);
      const row = await refused('POST', `/v1/households/${id}/nowhere?idNumber=${id}`, { body: {} }, { status: 404, code: 'not_found' });
      expect(row).toMatchObject({ route: null, path: '/v1/households/*/nowhere', target_ids: {} });
    });

    it("a write whose audit row cannot be committed is rolled back whole: the change never stands without its 'succeeded' row", async () => {
      // The database refuses the success row of village registrations, as a failing disk or a bug would.
      await t.database.db.execute(sql`
        create function refuse_village_success() returns trigger language plpgsql as $$
        begin
          if new.outcome = 'succeeded' and new.route = '/v1/villages' then raise exception 'audit log unavailable'; end if;
          return new;
        end $$`);
      await t.database.db.execute(sql`create trigger refuse_village_success before insert on audit_log for each row execute function refuse_village_success()`);
      try {
        const code = uniqueCode('V');
        const row = await provokingInternalErrors(() =>
          refused('POST', '/v1/villages', { body: { code, name: '白水村', township: '某乡', county: '某县' } }, { status: 500, code: 'internal_error' }),
        );
        expect(row.route).toBe('/v1/villages');
        expect(await rows(t.database.db, sql`select id from villages where code = ${code}`)).toEqual([]);
      } finally {
        await t.database.db.execute(sql`drop trigger refuse_village_success on audit_log`);
        await t.database.db.execute(sql`drop function refuse_village_success()`);
      }
    });

    it('a refusal whose audit row cannot be written still gets its answer, and the service goes on', async () => {
      await t.database.db.execute(sql`
        create function refuse_all_audit() returns trigger language plpgsql as $$
        begin raise exception 'audit log unavailable'; end $$`);
      await t.database.db.execute(sql`create trigger refuse_all_audit before insert on audit_log for each row execute function refuse_all_audit()`);
      try {
        const r = await t.call('POST', '/v1/villages', { body: { code: '' } });
        expect(r.status).toBe(400);
        expect(r.body.code).toBe('validation_failed');
      } finally {
        await t.database.db.execute(sql`drop trigger refuse_all_audit on audit_log`);
        await t.database.db.execute(sql`drop function refuse_all_audit()`);
      }
      expect((await t.call('GET', '/v1/funds')).status).toBe(200);
    });
  });

  describe('personal data', () => {
    it('keeps no request body: an ID number or name posted to /v1/households appears nowhere in the log', async () => {
      const villageId = await createVillage(t);
      const id = idNumber(777_001);
      const body = { code: uniqueCode('H'), headName: '王秘密', idNumber: id, villageId, memberCount: 4 };
      const created = await audited('POST', '/v1/households', { body });
      expect(created.reply.status).toBe(201);
      expect(created.logged[0]!.target_ids).toMatchObject({ id: created.reply.body.id, villageId });
      // Refused too: the same ID number again (409), and a malformed body echoing it (400).
      expect((await audited('POST', '/v1/households', { body: { ...body, code: uniqueCode('H') } })).reply.status).toBe(409);
      expect((await audited('POST', '/v1/households', { body: { ...body, memberCount: 'many' } })).reply.status).toBe(400);
      for (const secret of [id, id.slice(0, 17), '王秘密', body.code]) {
        const leaks = await rows(t.database.db, sql`select id from audit_log where audit_log::text like ${`%${secret}%`}`);
        expect(leaks, secret).toEqual([]);
      }
      const bearer = await rows(t.database.db, sql`select id from audit_log where audit_log::text like ${`%${ADMIN_TOKEN}%`}`);
      expect(bearer).toEqual([]);
    });
  });

  describe('the database keeps it append-only', () => {
    it('refuses UPDATE, DELETE and TRUNCATE', async () => {
      const before = await count('audit_log');
      await expect(t.database.db.execute(sql`update audit_log set outcome = 'succeeded' where outcome = 'refused'`)).rejects.toThrow();
      await expect(t.database.db.execute(sql`delete from audit_log`)).rejects.toThrow();
      await expect(t.database.db.execute(sql`truncate audit_log`)).rejects.toThrow();
      expect(await count('audit_log')).toBe(before);
      const [refusedRows] = await rows<{ n: string }>(t.database.db, sql`select count(*)::text as n from audit_log where outcome = 'refused'`);
      expect(Number(refusedRows!.n)).toBeGreaterThan(0);
    });
  });

  describe('GET /v1/audit-log', () => {
    it('is for auditors and admins only', async () => {
      expect((await t.call('GET', '/v1/audit-log', { token: keys.reader!.token })).status).toBe(403);
      expect((await t.call('GET', '/v1/audit-log', { token: keys.maker!.token })).status).toBe(403);
      expect((await t.call('GET', '/v1/audit-log', { token: keys.auditor!.token })).status).toBe(200);
      expect((await t.call('GET', '/v1/audit-log')).status).toBe(200);
      expect((await t.call('GET', '/v1/audit-log', { token: null })).status).toBe(401);
    });

    it('answers entries newest first, with every field', async () => {
      const { reply } = await audited('POST', '/v1/transactions', {
        body: transfer('2026-04-04', f.accounts.expense!, f.accounts.bank!, '1.00'),
        token: keys.maker!.token,
      });
      const r = await t.call('GET', '/v1/audit-log?limit=5', { token: keys.auditor!.token });
      expect(r.status).toBe(200);
      const ids = r.body.items.map((e: { id: number }) => e.id);
      expect(ids).toEqual([...ids].sort((a, b) => b - a));
      expect(r.body.items[0]).toMatchObject({
        actorId: keys.maker!.id,
        actorRole: 'officer',
        method: 'POST',
        route: '/v1/transactions',
        path: '/v1/transactions',
        clientAddress: '127.0.0.1',
        targetIds: { id: reply.body.id },
        status: 201,
        outcome: 'succeeded',
        errorCode: null,
        replayed: false,
      });
      expect(new Date(r.body.items[0].at).toString()).not.toBe('Invalid Date');
    });

    it('filters by actor, outcome, route and target', async () => {
      const byActor = await t.call('GET', `/v1/audit-log?actorId=${keys.reader!.id}`, { token: keys.auditor!.token });
      expect(byActor.body.items.length).toBeGreaterThan(0);
      expect(byActor.body.items.every((e: any) => e.actorId === keys.reader!.id && e.outcome === 'refused')).toBe(true);

      const refusedOnes = await t.call('GET', '/v1/audit-log?outcome=refused&route=/v1/transactions&limit=500', { token: keys.auditor!.token });
      const codes = new Set(refusedOnes.body.items.map((e: any) => e.errorCode));
      expect(codes).toEqual(new Set(['unbalanced_transaction', 'unauthorized', 'idempotency_conflict']));
      expect(refusedOnes.body.items.every((e: any) => e.route === '/v1/transactions' && e.outcome === 'refused')).toBe(true);

      const pf = await fundedPreventionFund(t, '1000.00');
      const householdId = await createHousehold(t, await createVillage(t));
      const d = await t.call('POST', '/v1/disbursements', {
        body: { fundId: pf.fundId, householdId, category: 'medical_subsidy', amount: '50.00', date: PAY_DATE },
        token: keys.maker!.token,
      });
      await t.call('POST', `/v1/disbursements/${d.body.id}/approve`, { token: keys.maker!.token }); // refused: an officer does not approve
      await t.call('POST', `/v1/disbursements/${d.body.id}/approve`, { token: keys.checker!.token });
      const trail = await t.call('GET', `/v1/audit-log?targetId=${d.body.id}`, { token: keys.auditor!.token });
      expect(
        trail.body.items.map((e: any) => [e.route, e.actorId, e.outcome, e.errorCode]),
      ).toEqual([
        ['/v1/disbursements/:disbursementId/approve', keys.checker!.id, 'succeeded', null],
        ['/v1/disbursements/:disbursementId/approve', keys.maker!.id, 'refused', 'forbidden'],
        ['/v1/disbursements', keys.maker!.id, 'succeeded', null],
      ]);
    });

    it('filters by time: a moment, or whole days', async () => {
      const route = `/v1/funds/${f.fundId}/accounts`;
      const first = await t.call('POST', route, { body: { code: uniqueCode('A'), name: '甲', type: 'asset' } });
      // PGlite's clock moves in whole milliseconds: two quick requests and the moment between them could share one.
      const tick = () => new Promise((resolve) => setTimeout(resolve, 3));
      await tick();
      const [{ mid }] = (await rows<{ mid: string }>(
        t.database.db,
        sql`select to_char(clock_timestamp() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as mid`,
      )) as [{ mid: string }];
      await tick();
      const second = await t.call('POST', route, { body: { code: uniqueCode('A'), name: '乙', type: 'asset' } });
      const targets = async (query: string) =>
        (await t.call('GET', `/v1/audit-log?route=/v1/funds/:fundId/accounts&outcome=succeeded&${query}`, { token: keys.auditor!.token })).body.items.map(
          (e: any) => e.targetIds.id,
        );
      expect(await targets(`from=${mid}`)).toEqual([second.body.id]);
      expect(await targets(`to=${mid}`)).toContain(first.body.id);
      expect(await targets(`to=${mid}`)).not.toContain(second.body.id);
      expect(await targets('from=2000-01-01')).toEqual(expect.arrayContaining([first.body.id, second.body.id]));
      expect(await targets('to=2000-01-01')).toEqual([]);
      expect(await targets('from=2999-01-01')).toEqual([]);
      const bad = await t.call('GET', '/v1/audit-log?from=yesterday', { token: keys.auditor!.token });
      expect(bad.status).toBe(400);
    });

    it('pages with a cursor, without repeats or gaps', async () => {
      const all = await t.call('GET', '/v1/audit-log?limit=500', { token: keys.auditor!.token });
      expect(all.body.nextCursor).toBeNull();
      const seen: number[] = [];
      let cursor: string | null = null;
      do {
        const url: string = `/v1/audit-log?limit=7${cursor ? `&cursor=${cursor}` : ''}`;
        const page: { body: { items: { id: number }[]; nextCursor: string | null } } = await t.call('GET', url, { token: keys.auditor!.token });
        seen.push(...page.body.items.map((e) => e.id));
        cursor = page.body.nextCursor;
      } while (cursor);
      expect(seen).toEqual(all.body.items.map((e: { id: number }) => e.id));
      expect(seen.length).toBeGreaterThan(14);

      const badCursor = await t.call('GET', '/v1/audit-log?cursor=nonsense', { token: keys.auditor!.token });
      expect(badCursor.status).toBe(400);
    });
  });
});
