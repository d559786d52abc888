import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/client.js';
import { expectLedgerIntact, startApp, type TestApp } from '../helpers/app.js';
import { backends } from '../helpers/database.js';
import { createFund, type FundFixture, transfer } from '../helpers/fixtures.js';

describe.each(backends)('idempotency and reversals on $name', (backend) => {
  let t: TestApp;
  let f: FundFixture;
  const count = async (table: 'transactions' | 'transaction_lines') =>
    Number((await rows<{ n: string }>(t.database.db, sql`select count(*)::text as n from ${sql.identifier(table)}`))[0]!.n);

  beforeAll(async () => {
    t = await startApp(backend);
    f = await createFund(t);
    await t.call('POST', '/v1/transactions', { body: transfer('2026-04-01', f.accounts.bank!, f.accounts.income!, '1000.00') });
  });
  afterAll(async () => {
    await expectLedgerIntact(t);
    await t.close();
  });

  describe('Idempotency-Key', () => {
    const body = () => transfer('2026-04-02', f.accounts.expense!, f.accounts.bank!, '10.00', '医疗补贴');

    it('returns the original transaction for a repeat and writes nothing more', async () => {
      const first = await t.call('POST', '/v1/transactions', { body: body(), headers: { 'idempotency-key': 'pay-42' } });
      expect(first.status).toBe(201);
      const before = await count('transactions');
      const again = await t.call('POST', '/v1/transactions', { body: body(), headers: { 'idempotency-key': 'pay-42' } });
      expect(again.status).toBe(201);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(again.body).toEqual(first.body);
      expect(await count('transactions')).toBe(before);
      expect((await t.call('GET', `/v1/accounts/${f.accounts.bank}`)).body.balance).toBe('990.00');
    });

    it('treats the same body with keys in another order as the same request', async () => {
      const a = await t.call('POST', '/v1/transactions', { body: body(), headers: { 'idempotency-key': 'order-1' } });
      const reordered = { lines: body().lines, description: body().description, date: body().date };
      const b = await t.call('POST', '/v1/transactions', { body: reordered, headers: { 'idempotency-key': 'order-1' } });
      expect(b.body.id).toBe(a.body.id);
    });

    it('refuses the same key with another body, with 409', async () => {
      await t.call('POST', '/v1/transactions', { body: body(), headers: { 'idempotency-key': 'pay-43' } });
      const before = await count('transactions');
      const other = { ...body(), lines: body().lines.map((l) => ({ ...l, amount: '11.00' })) };
      const r = await t.call('POST', '/v1/transactions', { body: other, headers: { 'idempotency-key': 'pay-43' } });
      expect(r.status).toBe(409);
      expect(r.body.code).toBe('idempotency_conflict');
      expect(await count('transactions')).toBe(before);
    });

    it('keeps keys apart per API key, and lets a refused request be retried with its key', async () => {
      const officer = await t.keyFor('officer');
      const mine = await t.call('POST', '/v1/transactions', { body: body(), headers: { 'idempotency-key': 'pay-42' }, token: officer });
      expect(mine.status).toBe(201);
      expect(mine.headers['idempotent-replayed']).toBeUndefined();

      const tooMuch = transfer('2026-04-02', f.accounts.expense!, f.accounts.bank!, '5000.00');
      const refused = await t.call('POST', '/v1/transactions', { body: tooMuch, headers: { 'idempotency-key': 'big-1' } });
      expect(refused.status).toBe(422);
      await t.call('POST', '/v1/transactions', { body: transfer('2026-04-02', f.accounts.bank!, f.accounts.income!, '5000.00') });
      const retried = await t.call('POST', '/v1/transactions', { body: tooMuch, headers: { 'idempotency-key': 'big-1' } });
      expect(retried.status).toBe(201);
    });

    it('refuses a malformed key', async () => {
      const r = await t.call('POST', '/v1/transactions', { body: body(), headers: { 'idempotency-key': 'x'.repeat(300) } });
      expect(r.status).toBe(400);
      expect(r.body.code).toBe('validation_failed');
    });
  });

  describe('reversal', () => {
    it('posts the mirror transaction, linked both ways, and restores the balances', async () => {
      const fund = await createFund(t);
      await t.call('POST', '/v1/transactions', { body: transfer('2026-05-01', fund.accounts.bank!, fund.accounts.income!, '300.00') });
      const wrong = await t.call('POST', '/v1/transactions', {
        body: transfer('2026-05-02', fund.accounts.expense!, fund.accounts.bank!, '120.50', '临时救助 (wrong household)'),
      });
      const reversal = await t.call('POST', `/v1/transactions/${wrong.body.id}/reversal`, {
        body: { reason: 'paid to the wrong household', date: '2026-05-03' },
      });
      expect(reversal.status).toBe(201);
      expect(reversal.body).toMatchObject({
        date: '2026-05-03',
        reversesTransactionId: wrong.body.id,
        reversalReason: 'paid to the wrong household',
        lines: [
          { accountId: fund.accounts.expense, direction: 'credit', amount: '120.50', balanceAfter: '0.00' },
          { accountId: fund.accounts.bank, direction: 'debit', amount: '120.50', balanceAfter: '300.00' },
        ],
      });
      const original = await t.call('GET', `/v1/transactions/${wrong.body.id}`);
      expect(original.body.reversedByTransactionId).toBe(reversal.body.id);
      expect(original.body.lines).toEqual(wrong.body.lines);
      expect((await t.call('GET', `/v1/accounts/${fund.accounts.bank}`)).body.balance).toBe('300.00');

      const twice = await t.call('POST', `/v1/transactions/${wrong.body.id}/reversal`, { body: { reason: 'again' } });
      expect(twice.status).toBe(409);
      expect(twice.body).toMatchObject({ code: 'already_reversed', reversedByTransactionId: reversal.body.id });

      const ofReversal = await t.call('POST', `/v1/transactions/${reversal.body.id}/reversal`, { body: { reason: 'undo' } });
      expect(ofReversal.status).toBe(409);
      expect(ofReversal.body.code).toBe('reversal_not_reversible');
    });

    it('refuses a reversal that would overdraw, one dated before the original, and an unknown transaction', async () => {
      const fund = await createFund(t);
      const income = await t.call('POST', '/v1/transactions', { body: transfer('2026-05-01', fund.accounts.bank!, fund.accounts.income!, '50.00') });
      await t.call('POST', '/v1/transactions', { body: transfer('2026-05-02', fund.accounts.expense!, fund.accounts.bank!, '40.00') });
      const overdraw = await t.call('POST', `/v1/transactions/${income.body.id}/reversal`, { body: { reason: 'bank returned it' } });
      expect(overdraw.status).toBe(422);
      expect(overdraw.body.code).toBe('insufficient_funds');

      const early = await t.call('POST', `/v1/transactions/${income.body.id}/reversal`, { body: { reason: 'x', date: '2026-04-30' } });
      expect(early.status).toBe(400);
      const unknown = await t.call('POST', '/v1/transactions/00000000-0000-4000-8000-000000000000/reversal', { body: { reason: 'x' } });
      expect(unknown.status).toBe(404);
      expect(unknown.body.code).toBe('not_found');
      expect((await t.call('GET', `/v1/transactions/${income.body.id}`)).body.reversedByTransactionId).toBeNull();
    });
  });
});
