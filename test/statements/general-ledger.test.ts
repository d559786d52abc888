// The general ledger (总账) of the field scenario's year: every account's closing balance, month by month,
// equals the trial balance at that month's end; each month's debits equal its credits; the year to date adds
// up; the PDF prints it with the digest that verifies.
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Money } from '../../src/ledger/money.js';
import { periodEnd } from '../../src/ledger/dates.js';
import { startApp, type TestApp } from '../helpers/app.js';
import { backends } from '../helpers/database.js';
import { fieldScenario } from './setup.js';

describe.each(backends)('the general ledger on $name', (backend) => {
  let t: TestApp;
  let fundId: string;
  beforeAll(async () => {
    t = await startApp(backend);
    fundId = (await fieldScenario(t, { maker: await t.keyFor('officer'), checker: await t.keyFor('approver') })).fundId;
  }, 120_000);
  afterAll(() => t.close());

  it('closes every account each month at the trial balance of the month’s end', async () => {
    const gl = (await t.call('GET', `/v1/funds/${fundId}/general-ledger?year=2026`)).body;
    expect(gl.year).toBe(2026);
    const bank = gl.accounts.find((a: any) => a.code === '1002');
    // 10,000.00 donated in December 2025: brought forward.
    expect(bank.opening).toEqual({ balance: '10000.00', side: '借' });
    const months = ['01', '02', '03', '04', '05', '06'].map((m) => `2026-${m}`);
    for (const month of months) {
      const trial = (await t.call('GET', `/v1/funds/${fundId}/trial-balance?asOf=${periodEnd(month)}`)).body;
      for (const account of trial.accounts) {
        const row = gl.accounts.find((a: any) => a.accountId === account.accountId).months.find((m: any) => m.month === month);
        const net = new Money(account.debitTotal).minus(account.creditTotal);
        const printed = new Money(row.balance).times(row.side === '贷' ? -1 : 1);
        expect(printed.toFixed(2), `${account.code} ${month}`).toBe(net.toFixed(2));
        expect(row.side).toBe(net.isZero() ? '平' : net.isPositive() ? '借' : '贷');
      }
    }
    for (const total of gl.totals) expect(total.debit, total.month).toBe(total.credit);
    const december = bank.months.at(-1);
    const sum = (key: 'debit' | 'credit') => bank.months.reduce((acc: Money, m: any) => acc.plus(m[key]), new Money(0)).toFixed(2);
    expect([december.yearDebit, december.yearCredit]).toEqual([sum('debit'), sum('credit')]);
  });

  it('prints as PDF with its digest, which verifies', async () => {
    const pdf = await t.app.inject({ method: 'GET', url: `/v1/funds/${fundId}/general-ledger?year=2026&format=pdf`, headers: { authorization: `Bearer ${await t.keyFor('auditor')}` } });
    expect(pdf.statusCode).toBe(200);
    const text = execFileSync('pdftotext', ['-layout', '-', '-'], { input: pdf.rawPayload }).toString();
    expect(text).toContain('总账 General ledger');
    expect(text).toContain('上年结转 Brought forward');
    expect(text).toMatch(/1002 银行存款—专户（可用）/);
    const digest = pdf.headers['x-statement-digest'] as string;
    const verified = await t.call('POST', '/v1/statements/verify', { body: { kind: 'general-ledger', params: { fundId, year: 2026 }, digest } });
    expect(verified.body.valid).toBe(true);
  });
});
