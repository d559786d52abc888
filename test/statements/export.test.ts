// The fund's journal exported as plain text and re-added by independent tools: hledger (Debian's package)
// must give every account the balance the service's trial balance gives, to the fen, and bean-check
// (Debian's beancount) must find the beancount file valid — on the field scenario, reversals and rare
// characters included.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Money } from '../../src/ledger/money.js';
import { startApp, type TestApp } from '../helpers/app.js';
import { backends } from '../helpers/database.js';
import { fieldScenario, hledgerBalances } from './setup.js';

const hasTool = (tool: string) => {
  try {
    execFileSync(tool, ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
};
// CI installs both (.ci/run); elsewhere the test says what is missing rather than pass without them.
const required = process.env.LEDGER_EXTERNAL_TOOLS === 'required';

describe.each(backends)('the exported journal on $name', (backend) => {
  let t: TestApp;
  let dir: string;
  let fundId: string;

  beforeAll(async () => {
    t = await startApp(backend);
    dir = mkdtempSync(join(tmpdir(), 'export-'));
    const scenario = await fieldScenario(t, { maker: await t.keyFor('officer'), checker: await t.keyFor('approver') });
    fundId = scenario.fundId;
    // A hand voucher and its reversal, named with rare characters.
    const accounts = (await t.call('GET', `/v1/funds/${fundId}/accounts`)).body.items;
    const own = (await t.call('POST', `/v1/funds/${fundId}/accounts`, { body: { code: '5901', name: '王𪚥: 杂项; 支出', type: 'expense' } })).body;
    const bank = accounts.find((a: any) => a.role === 'bank');
    const voucher = await t.call('POST', '/v1/transactions', {
      body: { date: '2026-06-30', description: '付赵𠮷 "杂费"', reference: 'ZF-01', lines: [{ accountId: own.id, direction: 'debit', amount: '12.34' }, { accountId: bank.id, direction: 'credit', amount: '12.34' }] },
    });
    expect(voucher.status).toBe(201);
    expect((await t.call('POST', `/v1/transactions/${voucher.body.id}/reversal`, { body: { reason: '录错' } })).status).toBe(201);
  }, 120_000);

  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await t.close();
  });

  const exported = async (format: string) => {
    const r = await t.app.inject({ method: 'GET', url: `/v1/funds/${fundId}/export?format=${format}`, headers: { authorization: `Bearer ${await t.keyFor('auditor')}` } });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(r.headers['content-disposition']).toMatch(/^attachment; filename=".+\.(journal|beancount)"$/);
    return r.body;
  };

  it.skipIf(!hasTool('hledger') && !required)('is re-added by hledger to the service’s trial balance, account by account', async () => {
    const journal = await exported('ledger');
    expect(journal).toContain('王𪚥');
    const file = join(dir, 'fund.journal');
    writeFileSync(file, journal);
    const theirs = new Map([...hledgerBalances(file)].map(([code, amount]) => [code, new Money(amount)] as const));
    const trial = (await t.call('GET', `/v1/funds/${fundId}/trial-balance`)).body;
    const ours = new Map<string, Money>(trial.accounts.map((a: any) => [a.code, new Money(a.debitTotal).minus(a.creditTotal)]));
    for (const [code, net] of ours) expect(theirs.get(code)?.toFixed(2) ?? '0.00', code).toBe(net.toFixed(2));
    expect([...theirs.keys()].filter((code) => !ours.has(code))).toEqual([]);
    // The books balance in hledger's eyes too: the whole journal nets to nothing.
    const total = [...theirs.values()].reduce((a, b) => a.plus(b), new Money(0));
    expect(total.toFixed(2)).toBe('0.00');
  });

  it.skipIf(!hasTool('bean-check') && !required)('is a beancount file bean-check finds valid', async () => {
    const text = await exported('beancount');
    const file = join(dir, 'fund.beancount');
    writeFileSync(file, text);
    execFileSync('bean-check', [file], { encoding: 'utf8' });
    expect(text).toContain('name: "王𪚥: 杂项; 支出"');
    expect(text).toContain('"付赵𠮷 \\"杂费\\""');
  });
});
