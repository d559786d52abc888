import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV_ADMIN_NAME } from '../../src/auth/key-names.js';
import { Money } from '../../src/ledger/money.js';
import { expectLedgerIntact, startApp, type TestApp } from '../helpers/app.js';
import { backends } from '../helpers/database.js';
import { createFund, type FundFixture, transfer } from '../helpers/fixtures.js';
import { csvRows, download, pdfPages, plain } from './setup.js';

const LINES = 120;
const AMOUNTS = /-?\d+\.\d{2}/g;

describe.each(backends)('account ledger (明细账) on $name', (backend) => {
  let t: TestApp;
  let f: FundFixture;
  let ledger: any;

  beforeAll(async () => {
    t = await startApp(backend);
    f = await createFund(t);
    // Money in, then out, over the months of 2026; a line before the period makes the opening balance.
    const post = async (body: unknown) => {
      const r = await t.call('POST', '/v1/transactions', { body });
      if (r.status !== 201) throw new Error(JSON.stringify(r.body));
    };
    await post(transfer('2025-12-31', f.accounts.bank!, f.accounts.income!, '1000.00', '上年结余'));
    for (let i = 0; i < LINES; i++) {
      const date = `2026-${String(1 + Math.floor(i / 12)).padStart(2, '0')}-${String(1 + (i % 12) * 2).padStart(2, '0')}`;
      const amount = `${100 + i}.${String(i % 100).padStart(2, '0')}`;
      await post(
        i % 3 === 2
          ? transfer(date, f.accounts.expense!, f.accounts.bank!, amount, `生活补助发放 第${i}笔`)
          : transfer(date, f.accounts.bank!, f.accounts.income!, amount, `资产收益分红 第${i}笔`),
      );
    }
    ledger = (await t.call('GET', `/v1/accounts/${f.accounts.bank}/ledger?from=2026-01-01&to=2026-12-31`)).body;
  });
  afterAll(async () => {
    await expectLedgerIntact(t);
    await t.close();
  });

  it('lists every line of the period with a running balance from the opening balance to the closing one', async () => {
    expect(ledger.kind).toBe('ledger');
    expect(ledger.openingBalance).toBe('1000.00');
    expect(ledger.lines).toHaveLength(LINES);
    let balance = new Money(ledger.openingBalance);
    for (const line of ledger.lines) {
      balance = balance.plus(line.debit).minus(line.credit);
      expect(line.balance).toBe(balance.toFixed(2));
    }
    expect(ledger.closingBalance).toBe(balance.toFixed(2));
    const sumOf = (side: 'debit' | 'credit') => ledger.lines.reduce((acc: Money, l: any) => acc.plus(l[side]), new Money(0)).toFixed(2);
    expect(ledger.totals).toEqual({ debit: sumOf('debit'), credit: sumOf('credit') });
    // The closing balance is the account's balance at the end of the period.
    const asOf = await t.call('GET', `/v1/accounts/${f.accounts.bank}/balance?asOf=2026-12-31`);
    expect(asOf.body.balance).toBe(ledger.closingBalance);
  });

  it('prints several pages, each with page X of Y and the totals carried from and to the next page (承前页 / 过次页)', async () => {
    const pdf = await download(t, `/v1/accounts/${f.accounts.bank}/ledger?from=2026-01-01&to=2026-12-31&format=pdf`);
    expect(pdf.status).toBe(200);
    const pages = pdfPages(pdf.body).map(plain);
    expect(pages.length).toBeGreaterThanOrEqual(3);

    let printed = 0;
    let carried: string[] | undefined;
    pages.forEach((page, i) => {
      const rows = page.split('\n');
      expect(page).toContain(`第 ${i + 1} 页 共 ${pages.length} 页 · page ${i + 1} of ${pages.length}`);
      expect(page).toContain('明细账 Account ledger');
      const figures = (label: string) => rows.find((r) => r.includes(label))?.match(AMOUNTS);
      if (i === 0) expect(figures('期初余额')).toEqual(['1000.00']);
      else {
        // Brought forward: exactly what the page before carried.
        expect(figures('承前页'), `page ${i + 1}`).toEqual(carried);
      }
      printed += rows.filter((r) => /^\s*2026-\d{2}-\d{2}\s+\d+\s/.test(r)).length;
      if (i < pages.length - 1) {
        // Carried forward: the sums of the lines printed so far and the balance after the last of them.
        const upTo = ledger.lines.slice(0, printed);
        const sum = (side: 'debit' | 'credit') => upTo.reduce((acc: Money, l: any) => acc.plus(l[side]), new Money(0)).toFixed(2);
        carried = [...(figures('过次页') ?? [])];
        expect(carried, `page ${i + 1}`).toEqual([sum('debit'), sum('credit'), upTo.at(-1).balance]);
      } else {
        expect(page).not.toContain('过次页');
        expect(figures('本期合计')).toEqual([ledger.totals.debit, ledger.totals.credit, ledger.closingBalance]);
      }
    });
    expect(printed).toBe(LINES);
  });

  it('gives the same lines in the CSV', async () => {
    const csv = await download(t, `/v1/accounts/${f.accounts.bank}/ledger?from=2026-01-01&to=2026-12-31&format=csv`);
    const rows = csvRows(csv.text);
    const lines = rows.filter((r) => /^2026-\d{2}-\d{2}$/.test(r[0]!) && /^\d+$/.test(r[1]!));
    expect(lines).toHaveLength(LINES);
    expect(lines.map((r) => r[7])).toEqual(ledger.lines.map((l: any) => l.balance));
    // 制单: each voucher here was posted with the admin token.
    expect(new Set(lines.map((r) => r[3]))).toEqual(new Set([ENV_ADMIN_NAME]));
    const total = rows.find((r) => r[2] === '本期合计 Period total');
    expect(total?.slice(4)).toEqual([ledger.totals.debit, ledger.totals.credit, '借', ledger.closingBalance]);
  });

  it('puts a line posted late with an earlier date where its date belongs', async () => {
    const g = await createFund(t);
    for (const [date, amount] of [
      ['2026-02-10', '10.00'],
      ['2026-03-10', '20.00'],
      ['2026-01-10', '5.00'],
    ] as const) {
      expect((await t.call('POST', '/v1/transactions', { body: transfer(date, g.accounts.bank!, g.accounts.income!, amount) })).status).toBe(201);
    }
    const body = (await t.call('GET', `/v1/accounts/${g.accounts.bank}/ledger?from=2026-01-01&to=2026-12-31`)).body;
    expect(body.lines.map((l: any) => [l.date, l.debit, l.balance])).toEqual([
      ['2026-01-10', '5.00', '5.00'],
      ['2026-02-10', '10.00', '15.00'],
      ['2026-03-10', '20.00', '35.00'],
    ]);
    // An income account's balance runs on its credit side.
    const income = (await t.call('GET', `/v1/accounts/${g.accounts.income}/ledger?from=2026-02-01&to=2026-12-31`)).body;
    expect(income).toMatchObject({ account: { normalSide: 'credit' }, openingBalance: '5.00', closingBalance: '35.00', totals: { debit: '0.00', credit: '30.00' } });
  });
});
