import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/client.js';
import { inLedgerTransaction } from '../../src/ledger/commit.js';
import { postTransaction } from '../../src/ledger/posting.js';
import { startApp, type TestApp } from '../helpers/app.js';
import { backends, emptyPostgresDatabase, realPostgres } from '../helpers/database.js';
import { createFund, transfer } from '../helpers/fixtures.js';

async function follow(t: TestApp, after: string | null, limit = 100) {
  const seen: any[] = [];
  let cursor = after;
  for (;;) {
    const page = await t.call('GET', `/v1/events?limit=${limit}${cursor ? `&after=${cursor}` : ''}`);
    expect(page.status).toBe(200);
    seen.push(...page.body.items);
    cursor = page.body.nextCursor;
    if (page.body.items.length < limit) return { seen, cursor };
  }
}

/**
 * Follows until `enough` holds of what was read, as a follower polls: the feed holds back events until every
 * older write transaction of this database has ended, so a fresh event may take a moment.
 */
async function followUntil(t: TestApp, after: string | null, enough: (seen: any[]) => boolean, limit = 100, attempts = 600) {
  const seen: any[] = [];
  let cursor = after;
  for (let attempt = 0; attempt < attempts; attempt++) {
    const page = await follow(t, cursor, limit);
    seen.push(...page.seen);
    cursor = page.cursor;
    if (enough(seen)) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return { seen, cursor };
}

describe.each(backends)('the event feed on $name', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(backend);
  });
  afterAll(() => t.close());

  it('lists business events and postings in order, and resumes from a cursor', async () => {
    const start = await follow(t, null);
    const f = await createFund(t);
    const posted = await t.call('POST', '/v1/transactions', { body: transfer('2026-01-05', f.accounts.bank!, f.accounts.income!, '10.00') });
    const next = await followUntil(t, start.cursor, (seen) => seen.length >= 2, 2);
    expect(next.seen.map((e) => e.type)).toEqual(['fund.created', 'transaction.posted']);
    expect(next.seen[1]).toMatchObject({ fundId: f.fundId, subjectId: posted.body.id, payload: { transactionId: posted.body.id, date: '2026-01-05' } });

    const empty = await follow(t, next.cursor);
    expect(empty.seen).toEqual([]);
    expect(empty.cursor).toBe(next.cursor);
  });

  it('filters by fund and by event type or family', async () => {
    const f = await createFund(t);
    const other = await createFund(t);
    await t.call('POST', '/v1/transactions', { body: transfer('2026-01-06', f.accounts.bank!, f.accounts.income!, '3.00') });
    await t.call('POST', '/v1/transactions', { body: transfer('2026-01-06', other.accounts.bank!, other.accounts.income!, '4.00') });
    await followUntil(t, null, (seen) => seen.some((e) => e.fundId === other.fundId && e.type === 'transaction.posted'));
    const ofFund = await t.call('GET', `/v1/events?fundId=${f.fundId}`);
    expect(ofFund.body.items.map((e: any) => e.type)).toEqual(['fund.created', 'transaction.posted']);
    const family = await t.call('GET', `/v1/events?fundId=${other.fundId}&type=fund`);
    expect(family.body.items.map((e: any) => e.type)).toEqual(['fund.created']);
    expect((await t.call('GET', '/v1/events?type=Fund;drop')).status).toBe(400);
  });

  it('records nothing for a refused request', async () => {
    const { cursor } = await follow(t, null);
    const f = await createFund(t);
    const after = (await followUntil(t, cursor, (seen) => seen.some((e) => e.fundId === f.fundId))).cursor;
    await t.call('POST', '/v1/transactions', { body: transfer('2026-01-05', f.accounts.expense!, f.accounts.bank!, '10.00') });
    expect((await follow(t, after)).seen).toEqual([]);
  });

  it('refuses a cursor it did not issue', async () => {
    expect((await t.call('GET', '/v1/events?after=bogus')).status).toBe(400);
  });
});

describe.skipIf(!realPostgres)('the event feed under concurrent writes on real PostgreSQL', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(realPostgres!);
  });
  afterAll(() => t.close());

  it('never skips nor repeats an event while 16 clients post', async () => {
    const names = ['a', 'b', 'c', 'd'];
    const f = await createFund(t, Object.fromEntries(names.map((n) => [n, { type: 'asset' as const, noOverdraft: false }])));
    let cursor = (await follow(t, null)).cursor;
    const read: any[] = [];
    let writing = true;
    const reader = (async () => {
      while (writing) {
        const page = await follow(t, cursor, 50);
        read.push(...page.seen);
        cursor = page.cursor;
      }
    })();
    const posted = await Promise.all(
      Array.from({ length: 16 }, async (_, c) => {
        const ids: string[] = [];
        for (let i = 0; i < 25; i++) {
          const r = await t.call('POST', '/v1/transactions', {
            body: transfer('2026-01-05', f.accounts[names[(c + i) % 4]!]!, f.accounts[names[(c + i + 1) % 4]!]!, '1.00'),
          });
          ids.push(r.body.id);
        }
        return ids;
      }),
    );
    writing = false;
    await reader;
    const expected = posted.flat();
    read.push(...(await followUntil(t, cursor, (seen) => [...read, ...seen].filter((e) => e.type === 'transaction.posted').length >= expected.length)).seen);

    const postings = read.filter((e) => e.type === 'transaction.posted').map((e) => e.subjectId);
    expect(new Set(postings).size).toBe(postings.length);
    expect(new Set(postings)).toEqual(new Set(posted.flat()));
  });
});

/** A promise and the function that settles it: for holding a transaction open until the test says. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

describe.skipIf(!realPostgres)('the event feed beside long transactions on real PostgreSQL', () => {
  let t: TestApp;
  let other: Awaited<ReturnType<typeof emptyPostgresDatabase>>;
  beforeAll(async () => {
    t = await startApp(realPostgres!);
    other = await emptyPostgresDatabase(process.env.TEST_DATABASE_URL!);
  });
  afterAll(async () => {
    await t?.close();
    await other?.drop();
  });

  const xidOf = async (transactionId: string) =>
    Number((await rows<{ xid: string }>(t.database.db, sql`select xid::text as xid from events where subject_id = ${transactionId}`))[0]!.xid);

  it('keeps serving new events while another database of the server holds a write transaction open, and this one a long read', async () => {
    const start = (await follow(t, null)).cursor;
    const f = await createFund(t);
    const elsewhere = new pg.Client({ connectionString: other.url });
    await elsewhere.connect();
    const longRead = gate();
    const reading = gate();
    let read: Promise<unknown> | undefined;
    try {
      // A bulk load in another application's database: a write transaction, so it has a transaction id.
      await elsewhere.query('create table bulk (n int)');
      await elsewhere.query('begin');
      await elsewhere.query('insert into bulk select generate_series(1, 10000)');
      const otherXid = Number((await elsewhere.query('select pg_current_xact_id()::text as xid')).rows[0].xid);
      // A verify or a statement of this database: reads only, in one long snapshot.
      read = t.database.db.transaction(async (tx) => {
        await tx.execute(sql`select count(*) from events`);
        reading.open();
        await longRead.opened;
      });
      await reading.opened;

      const posted = await t.call('POST', '/v1/transactions', { body: transfer('2026-01-05', f.accounts.bank!, f.accounts.income!, '10.00') });
      expect(posted.status).toBe(201);
      // Younger than the transaction still open elsewhere: the server-wide xmin would have held it back.
      expect(await xidOf(posted.body.id)).toBeGreaterThan(otherXid);
      const next = await followUntil(t, start, (seen) => seen.some((e) => e.subjectId === posted.body.id), 100, 100);
      expect(next.seen.map((e) => e.type)).toEqual(['fund.created', 'transaction.posted']);
      // Both are still open: the same transaction id, no commit in between.
      expect(Number((await elsewhere.query('select pg_current_xact_id()::text as xid')).rows[0].xid)).toBe(otherXid);
    } finally {
      longRead.open();
      await read;
      await elsewhere.query('rollback').catch(() => undefined);
      await elsewhere.end();
    }
  });

  it("holds back what follows a write transaction of this database until it ends, then serves it in its place", async () => {
    const held = await createFund(t);
    const f = await createFund(t);
    const start = (await followUntil(t, null, (seen) => seen.some((e) => e.fundId === f.fundId))).cursor;
    const release = gate();
    const posting = gate();
    // Any write transaction of this database may still append events, whatever table it writes first.
    const writer = inLedgerTransaction(t.database.db, async (tx) => {
      const p = await postTransaction(
        tx,
        {
          date: '2026-01-05',
          description: 'held open',
          lines: [
            { accountId: held.accounts.bank!, direction: 'debit', amount: '1.00' },
            { accountId: held.accounts.income!, direction: 'credit', amount: '1.00' },
          ],
        },
        { actor: 'test', today: '2999-12-31' },
      );
      posting.open();
      await release.opened;
      return p;
    });
    try {
      await posting.opened;
      const later = await t.call('POST', '/v1/transactions', { body: transfer('2026-01-05', f.accounts.bank!, f.accounts.income!, '2.00') });
      expect(later.status).toBe(201);
      // Committed, but behind a transaction that may still commit with a smaller id: not served yet.
      const during = await follow(t, start);
      expect(during.seen).toEqual([]);
      expect(during.cursor).toBe(start);
      release.open();
      const first = await writer;
      const after = await followUntil(t, during.cursor, (seen) => seen.some((e) => e.subjectId === later.body.id));
      expect(after.seen.map((e) => e.subjectId)).toEqual([first.id, later.body.id]);
    } finally {
      release.open();
      await writer.catch(() => undefined);
    }
  });
});
