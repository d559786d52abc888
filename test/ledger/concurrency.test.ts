import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/client.js';
import { checkInvariants } from '../../src/ledger/invariants.js';
import { startApp, type TestApp } from '../helpers/app.js';
import { backends } from '../helpers/database.js';
import { createFund, transfer } from '../helpers/fixtures.js';

// Simultaneous requests share posting groups (src/ledger/group.ts) on both databases; on PostgreSQL the
// groups also race the operations' own transactions on the pool's other connections.
describe.each(backends)('concurrent postings on $name', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(backend);
  });
  afterAll(() => t.close());

  /** A small deterministic PRNG so that a failing run can be replayed. */
  const prng = (seed: number) => () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed / 2_147_483_648;
  };

  it('never overdraws: of 16 simultaneous 30.00 payments from 100.00, exactly 3 succeed', async () => {
    const f = await createFund(t);
    await t.call('POST', '/v1/transactions', { body: transfer('2026-06-01', f.accounts.bank!, f.accounts.income!, '100.00') });
    const replies = await Promise.all(
      Array.from({ length: 16 }, () =>
        t.call('POST', '/v1/transactions', { body: transfer('2026-06-02', f.accounts.expense!, f.accounts.bank!, '30.00') }),
      ),
    );
    expect(replies.filter((r) => r.status === 201)).toHaveLength(3);
    expect(replies.filter((r) => r.status === 422 && r.body.code === 'insufficient_funds')).toHaveLength(13);
    expect((await t.call('GET', `/v1/accounts/${f.accounts.bank}`)).body.balance).toBe('10.00');
  });

  it('reverses once: of 8 simultaneous reversals of one transaction, exactly one succeeds', async () => {
    const f = await createFund(t);
    const posted = await t.call('POST', '/v1/transactions', { body: transfer('2026-06-01', f.accounts.bank!, f.accounts.income!, '100.00') });
    const replies = await Promise.all(
      Array.from({ length: 8 }, () => t.call('POST', `/v1/transactions/${posted.body.id}/reversal`, { body: { reason: 'duplicate entry' } })),
    );
    expect(replies.filter((r) => r.status === 201)).toHaveLength(1);
    expect(replies.filter((r) => r.status === 409 && r.body.code === 'already_reversed')).toHaveLength(7);
    expect((await t.call('GET', `/v1/accounts/${f.accounts.bank}`)).body.balance).toBe('0.00');
  });

  it('keeps every invariant under 16 clients of random transfers, overdrafts and repeated keys', async () => {
    const names = ['a0', 'a1', 'a2', 'a3', 'a4', 'a5'];
    const f = await createFund(t, Object.fromEntries(names.map((n) => [n, { type: 'asset' as const }])));
    const accounts = names.map((n) => f.accounts[n]!);
    for (const account of accounts) {
      await t.call('POST', '/v1/transactions', { body: transfer('2026-06-01', account, f.accounts.income!, '500.00') });
    }
    const [{ n: setupCount }] = (await rows<{ n: string }>(t.database.db, sql`select count(*)::text as n from transactions`)) as [{ n: string }];

    // A repeated key always carries the same body, derived from the key, as a retrying client would send.
    const keyedBody = (k: number) => {
      const from = accounts[k % accounts.length]!;
      const to = accounts[(k + 1) % accounts.length]!;
      return transfer('2026-06-02', to, from, `${(k % 7) + 1}.25`, `keyed ${k}`);
    };

    const clients = 16;
    const requestsPerClient = 40;
    const outcomes = await Promise.all(
      Array.from({ length: clients }, async (_, c) => {
        const random = prng(c + 1);
        const seen: { status: number; id?: string; code?: string; key?: string }[] = [];
        for (let i = 0; i < requestsPerClient; i++) {
          const roll = random();
          let reply;
          let key: string | undefined;
          if (roll < 0.25) {
            const k = Math.floor(random() * 10);
            key = `shared-${k}`;
            reply = await t.call('POST', '/v1/transactions', { body: keyedBody(k), headers: { 'idempotency-key': key } });
          } else {
            const from = accounts[Math.floor(random() * accounts.length)]!;
            let to = accounts[Math.floor(random() * accounts.length)]!;
            if (to === from) to = f.accounts.expense!;
            // One in five tries to move far more than any account holds.
            const amount = roll > 0.8 ? '5000.00' : `${Math.floor(random() * 120) + 1}.${String(Math.floor(random() * 100)).padStart(2, '0')}`;
            reply = await t.call('POST', '/v1/transactions', { body: transfer('2026-06-02', to, from, amount) });
          }
          seen.push({ status: reply.status, id: reply.body?.id, code: reply.body?.code, key });
        }
        return seen;
      }),
    );
    const all = outcomes.flat();
    const unexpected = all.filter((o) => o.status !== 201 && o.code !== 'insufficient_funds');
    expect(unexpected).toEqual([]);
    expect(all.filter((o) => o.code === 'insufficient_funds').length).toBeGreaterThan(0);

    // Every 2xx answer names a transaction that is in the journal exactly once.
    const acknowledged = new Set(all.filter((o) => o.status === 201).map((o) => o.id!));
    const journal = await rows<{ id: string }>(t.database.db, sql`select id from transactions order by seq offset ${Number(setupCount)}`);
    expect(new Set(journal.map((r) => r.id))).toEqual(acknowledged);
    expect(journal).toHaveLength(acknowledged.size);

    // A repeated key produced one transaction, and every answer for it named that one.
    const byKey = new Map<string, Set<string>>();
    for (const o of all.filter((o) => o.key && o.status === 201)) byKey.set(o.key!, (byKey.get(o.key!) ?? new Set()).add(o.id!));
    expect(byKey.size).toBeGreaterThan(0);
    for (const ids of byKey.values()) expect(ids.size).toBe(1);
    const keyed = await rows<{ n: string }>(t.database.db, sql`select count(*)::text as n from transactions where description like 'keyed %'`);
    expect(Number(keyed[0]!.n)).toBe(byKey.size);
    const halfWritten = await rows(t.database.db, sql`select key from idempotency_keys where response_status is null`);
    expect(halfWritten).toEqual([]);

    expect(await checkInvariants(t.database.db)).toEqual([]);
    // The chain links each group's postings in the order decided, which is voucher-number order.
    const outOfOrder = await rows(
      t.database.db,
      sql`select c.position, t.seq from transaction_chain c join transactions t on t.id = c.transaction_id
           where c.fund_id = ${f.fundId}
          except all
          select row_number() over (order by t.seq), t.seq from transaction_chain c join transactions t on t.id = c.transaction_id
           where c.fund_id = ${f.fundId}`,
    );
    expect(outOfOrder).toEqual([]);
    const tb = await t.call('GET', `/v1/funds/${f.fundId}/trial-balance`);
    expect(tb.body.balanced).toBe(true);
    expect(tb.body.totals.debitTotal).toBe(tb.body.totals.creditTotal);
  });

  it('decides each posting of a group on its own: refusals beside acceptances, two requests with one key post once', async () => {
    const f = await createFund(t);
    await t.call('POST', '/v1/transactions', { body: transfer('2026-06-01', f.accounts.bank!, f.accounts.income!, '100.00') });
    const before = (await t.call('GET', '/v1/posting-groups')).body;
    const pay = (amount: string, description: string) => transfer('2026-06-02', f.accounts.expense!, f.accounts.bank!, amount, description);
    const unknownAccount = '00000000-0000-4000-8000-000000000000';
    const [keyedA, keyedB, tooMuch, unknown, ...small] = await Promise.all([
      t.call('POST', '/v1/transactions', { body: pay('10.00', 'keyed'), headers: { 'idempotency-key': 'same-key-in-one-group' } }),
      t.call('POST', '/v1/transactions', { body: pay('10.00', 'keyed'), headers: { 'idempotency-key': 'same-key-in-one-group' } }),
      t.call('POST', '/v1/transactions', { body: pay('1000.00', 'too much') }),
      t.call('POST', '/v1/transactions', { body: transfer('2026-06-02', unknownAccount, f.accounts.bank!, '1.00') }),
      ...Array.from({ length: 8 }, (_, i) => t.call('POST', '/v1/transactions', { body: pay('5.00', `small ${i}`) })),
    ]);
    expect([keyedA!.status, keyedB!.status]).toEqual([201, 201]);
    expect(keyedB!.body.id).toBe(keyedA!.body.id);
    expect([keyedA!.headers['idempotent-replayed'], keyedB!.headers['idempotent-replayed']].filter(Boolean)).toEqual(['true']);
    expect(tooMuch!.status).toBe(422);
    expect(tooMuch!.body.code).toBe('insufficient_funds');
    expect(unknown!.status).toBe(422);
    expect(unknown!.body.code).toBe('unknown_account');
    expect(small.map((r) => r.status)).toEqual(Array(8).fill(201));
    expect((await t.call('GET', `/v1/accounts/${f.accounts.bank}`)).body.balance).toBe('50.00');
    expect(await rows(t.database.db, sql`select id from transactions where description = 'keyed'`)).toHaveLength(1);

    // They were grouped: fewer database transactions than writes.
    const after = (await t.call('GET', '/v1/posting-groups')).body;
    expect(after.writes - before.writes).toBeGreaterThanOrEqual(11);
    expect(after.groups - before.groups).toBeLessThan(after.writes - before.writes);
    expect(await checkInvariants(t.database.db)).toEqual([]);
  });
});
