import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../helpers/app.js';
import { backends, realPostgres } from '../helpers/database.js';
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
 * older database transaction on the server has ended — other tests' too — so a fresh event may take a moment.
 */
async function followUntil(t: TestApp, after: string | null, enough: (seen: any[]) => boolean, limit = 100) {
  const seen: any[] = [];
  let cursor = after;
  for (let attempt = 0; attempt < 600; attempt++) {
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
