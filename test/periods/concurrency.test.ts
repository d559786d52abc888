import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/client.js';
import { checkInvariants } from '../../src/ledger/invariants.js';
import { startApp, type TestApp } from '../helpers/app.js';
import { backends } from '../helpers/database.js';
import { createFund, transfer } from '../helpers/fixtures.js';

// On PostgreSQL the close races the posting groups on another connection; on PGlite (one connection) it
// runs between two groups, which must come out the same.
describe.each(backends)('postings racing a period close on $name', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(backend);
  });
  afterAll(() => t.close());

  it('never lands a posting in the closed month after its snapshot: the snapshot equals the sum of the lines', async () => {
    const f = await createFund(t);
    const other = await createFund(t);
    await t.call('POST', '/v1/transactions', { body: transfer('2025-10-01', f.accounts.bank!, f.accounts.income!, '1.00') });

    // Eight clients post into October until the close refuses them; the close starts once each has
    // had two postings accepted. Four more clients post into another fund all along.
    const clients = 8;
    let accepted = 0;
    let closing: Promise<{ status: number; body: any }> | undefined;
    const outcomes = await Promise.all([
      ...Array.from({ length: clients }, async (_, c) => {
        const seen: { status: number; code?: string; amount: string }[] = [];
        for (let i = 0; i < 200; i++) {
          const amount = `${c + 1}.${String(i % 100).padStart(2, '0')}`;
          const r = await t.call('POST', '/v1/transactions', {
            body: transfer(`2025-10-${String((i % 30) + 1).padStart(2, '0')}`, f.accounts.bank!, f.accounts.income!, amount),
          });
          seen.push({ status: r.status, code: r.body?.code, amount });
          if (r.status === 201 && ++accepted === clients * 2) closing = t.call('POST', `/v1/funds/${f.fundId}/periods/2025-10/close`, { body: { reason: '未导入银行对账单' } });
          if (r.status !== 201) break;
        }
        return seen;
      }),
      ...Array.from({ length: 4 }, async () => {
        const seen: { status: number; code?: string; amount: string }[] = [];
        for (let i = 0; i < 10; i++) {
          const r = await t.call('POST', '/v1/transactions', { body: transfer('2025-10-15', other.accounts.bank!, other.accounts.income!, '1.00') });
          seen.push({ status: r.status, code: r.body?.code, amount: '1.00' });
        }
        return seen;
      }),
    ]);
    const close = await closing!;
    expect(close.status, JSON.stringify(close.body)).toBe(200);

    const mine = outcomes.slice(0, clients).flat();
    // Every client stopped on a refusal, and every refusal is the closed period.
    expect(mine.filter((o) => o.status !== 201).map((o) => o.code)).toEqual(Array(clients).fill('period_closed'));
    expect(outcomes.slice(clients).flat().every((o) => o.status === 201)).toBe(true);

    const [lines] = await rows<{ debit: string; n: string }>(
      t.database.db,
      sql`select coalesce(sum(amount), 0)::text as debit, count(*)::text as n from transaction_lines
           where account_id = ${f.accounts.bank} and date <= '2025-10-31'`,
    );
    const bank = close.body.balances.find((b: any) => b.accountId === f.accounts.bank);
    expect(bank.debitTotal).toBe(lines!.debit);
    expect(Number(lines!.n)).toBe(mine.filter((o) => o.status === 201).length + 1);
    expect((await t.call('GET', `/v1/funds/${f.fundId}/periods/2025-10`)).body.balances).toEqual(close.body.balances);

    expect((await t.call('GET', `/v1/funds/${f.fundId}/verify`)).body).toMatchObject({ status: 'intact', transactions: Number(lines!.n) });
    expect(await checkInvariants(t.database.db)).toEqual([]);
  });

  it('keeps each fund chain intact under concurrent postings into two funds and across them', async () => {
    const a = await createFund(t, { dueFrom: { type: 'asset', noOverdraft: false } });
    const b = await createFund(t, { dueTo: { type: 'liability' } });
    const replies = await Promise.all(
      Array.from({ length: 12 }, async (_, c) => {
        const seen: number[] = [];
        for (let i = 0; i < 15; i++) {
          const kind = (c + i) % 3;
          const body =
            kind === 0
              ? transfer('2026-01-10', a.accounts.bank!, a.accounts.income!, '2.00')
              : kind === 1
                ? transfer('2026-01-10', b.accounts.bank!, b.accounts.income!, '3.00')
                : {
                    date: '2026-01-11',
                    description: '跨基金',
                    lines: [
                      { accountId: a.accounts.dueFrom, direction: 'debit', amount: '1.00' },
                      { accountId: a.accounts.income, direction: 'credit', amount: '1.00' },
                      { accountId: b.accounts.bank, direction: 'debit', amount: '1.00' },
                      { accountId: b.accounts.dueTo, direction: 'credit', amount: '1.00' },
                    ],
                  };
          seen.push((await t.call('POST', '/v1/transactions', { body })).status);
        }
        return seen;
      }),
    );
    expect(replies.flat().every((s) => s === 201)).toBe(true);
    const va = (await t.call('GET', `/v1/funds/${a.fundId}/verify`)).body;
    const vb = (await t.call('GET', `/v1/funds/${b.fundId}/verify`)).body;
    expect(va).toMatchObject({ status: 'intact', transactions: 120 });
    expect(vb).toMatchObject({ status: 'intact', transactions: 120 });
  });
});
