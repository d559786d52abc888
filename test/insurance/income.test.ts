import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/client.js';
import { expectLedgerIntact, startApp, type TestApp } from '../helpers/app.js';
import { backends } from '../helpers/database.js';
import { createFund, createPreventionFund } from '../helpers/fixtures.js';

describe.each(backends)('income receipts on $name', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(backend);
  });
  afterAll(async () => {
    await expectLedgerIntact(t);
    await t.close();
  });

  const balance = async (accountId: string) => (await t.call('GET', `/v1/accounts/${accountId}`)).body.balance as string;
  const count = async (table: string) =>
    Number((await rows<{ n: string }>(t.database.db, sql`select count(*)::text as n from ${sql.identifier(table)}`))[0]!.n);

  it('banks a donation: Dr bank, Cr donation income, with the receipt, its voucher and an event', async () => {
    const { fundId, byRole } = await createPreventionFund(t);
    const r = await t.call('POST', `/v1/funds/${fundId}/income`, {
      body: { source: 'donation', payer: '某银行某县支行', date: '2026-01-05', amount: '2500000.00', reference: 'JZ-2026-001' },
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ fundId, source: 'donation', payer: '某银行某县支行', date: '2026-01-05', amount: '2500000.00', reference: 'JZ-2026-001' });

    const posted = await t.call('GET', `/v1/transactions/${r.body.transactionId}`);
    expect(posted.body.number).toBe(r.body.transactionNumber);
    expect(posted.body.lines).toMatchObject([
      { accountId: byRole.bank, direction: 'debit', amount: '2500000.00' },
      { accountId: byRole.donation_income, direction: 'credit', amount: '2500000.00' },
    ]);
    expect(await balance(byRole.bank!)).toBe('2500000.00');
    expect(await balance(byRole.donation_income!)).toBe('2500000.00');

    const events = await rows<{ type: string }>(t.database.db, sql`select type from events where subject_id = ${r.body.id}`);
    expect(events.map((e) => e.type)).toEqual(['income.recorded']);
  });

  it('credits a fiscal transfer to fiscal transfer income, and lists receipts by source, period and page', async () => {
    const { fundId, byRole } = await createPreventionFund(t);
    const record = (source: string, date: string, amount: string) =>
      t.call('POST', `/v1/funds/${fundId}/income`, { body: { source, payer: '某县财政局', date, amount } });
    expect((await record('fiscal_transfer', '2026-02-01', '300000.00')).status).toBe(201);
    await record('donation', '2026-03-01', '1000.00');
    await record('fiscal_transfer', '2026-04-01', '200000.50');
    await record('fiscal_transfer', '2026-05-01', '100.00');
    expect(await balance(byRole.fiscal_transfer_income!)).toBe('500100.50');
    expect(await balance(byRole.donation_income!)).toBe('1000.00');
    expect(await balance(byRole.bank!)).toBe('501100.50');

    const transfers = await t.call('GET', `/v1/funds/${fundId}/income?source=fiscal_transfer&from=2026-02-01&to=2026-04-30`);
    expect(transfers.body.items.map((r: any) => r.amount)).toEqual(['300000.00', '200000.50']);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await t.call('GET', `/v1/funds/${fundId}/income?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.status).toBe(200);
      seen.push(...page.body.items.map((r: any) => r.date));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(['2026-02-01', '2026-03-01', '2026-04-01', '2026-05-01']);
  });

  it('refuses an unknown fund, a fund without the standard chart, and malformed receipts, writing nothing', async () => {
    const before = { transactions: await count('transactions'), receipts: await count('income_receipts') };
    const body = { source: 'donation', payer: '某银行', date: '2026-01-05', amount: '100.00' };
    const unknown = await t.call('POST', '/v1/funds/00000000-0000-4000-8000-000000000000/income', { body });
    expect(unknown.status).toBe(404);
    expect((await t.call('GET', '/v1/funds/00000000-0000-4000-8000-000000000000/income')).status).toBe(404);

    const plain = await createFund(t);
    const noChart = await t.call('POST', `/v1/funds/${plain.fundId}/income`, { body });
    expect(noChart.status).toBe(422);
    expect(noChart.body.code).toBe('chart_account_missing');

    const { fundId } = await createPreventionFund(t);
    for (const bad of [
      { ...body, amount: 100 },
      { ...body, amount: '0' },
      { ...body, source: 'dividend' },
      { ...body, payer: ' ' },
      { ...body, date: '2026-02-30' },
      { ...body, extra: 1 },
    ]) {
      const r = await t.call('POST', `/v1/funds/${fundId}/income`, { body: bad });
      expect(r.status, JSON.stringify(bad)).toBe(400);
    }
    const future = await t.call('POST', `/v1/funds/${fundId}/income`, { body: { ...body, date: '2999-01-01' } });
    expect(future.body.code).toBe('date_in_future');
    expect({ transactions: await count('transactions'), receipts: await count('income_receipts') }).toEqual(before);
  });

  it('replays a receipt sent twice with the same Idempotency-Key', async () => {
    const { fundId, byRole } = await createPreventionFund(t);
    const send = () =>
      t.call('POST', `/v1/funds/${fundId}/income`, {
        body: { source: 'donation', payer: '某企业', date: '2026-06-01', amount: '5000.00' },
        headers: { 'idempotency-key': `income-${fundId}` },
      });
    const first = await send();
    const again = await send();
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(await balance(byRole.bank!)).toBe('5000.00');
  });
});
