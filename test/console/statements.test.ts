// The console's statements, insurance and audit pages in a real browser (Debian's Chromium through
// playwright-core) against the real service on the embedded PGlite: an officer downloads the fund
// statement as PDF and CSV and sees its figures; the insurance page shows a policy with its figures,
// claims and payouts; an auditor browses the audit log and runs the fund verification.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../helpers/database.js';
import { startApp, type TestApp } from '../helpers/app.js';
import { createHousehold, createPreventionFund, createVillage } from '../helpers/fixtures.js';
import { consoleErrors, launch, listen, screenshot, signIn, skipBrowserTests } from './browser.js';

const FUND_NAME = '白云乡防止返贫专项基金';
const INSURER = '中国人民财产保险股份有限公司某县支公司';

describe.skipIf(skipBrowserTests)('web console: statements, insurance and audit', () => {
  let t: TestApp;
  let browser: Browser;
  let url: string;
  let officer: string;
  let auditor: string;
  let approver: string;
  let householdId: string;
  let policyId: string;
  let officerId: string;
  let fund: Awaited<ReturnType<typeof createPreventionFund>>;
  const downloads = join(tmpdir(), `console-statements-${process.pid}`);

  const ok = (reply: { status: number; body: unknown }, status = 201) => {
    expect(reply.status, JSON.stringify(reply.body)).toBe(status);
    return reply.body as any;
  };

  beforeAll(async () => {
    mkdirSync(downloads, { recursive: true });
    t = await startApp(backends[0]!);
    url = await listen(t);
    browser = await launch();
    officer = await t.keyFor('officer');
    approver = await t.keyFor('approver');
    auditor = await t.keyFor('auditor');
    officerId = ok(await t.call('GET', '/v1/me', { token: officer }), 200).id;
    fund = await createPreventionFund(t, { name: FUND_NAME });
    const village = await createVillage(t, '白云村');
    const household = (householdId = await createHousehold(t, village, '2025-01-01', '李四海'));

    // The officer's writes: two receipts, a policy and its premium, two claims.
    ok(await t.call('POST', `/v1/funds/${fund.fundId}/income`, { token: officer, body: { source: 'donation', payer: '某农商银行', date: '2026-01-15', amount: '50000.00', reference: '捐赠-0115' } }));
    ok(await t.call('POST', `/v1/funds/${fund.fundId}/income`, { token: officer, body: { source: 'fiscal_transfer', payer: '某县财政局', date: '2026-02-10', amount: '123456.78', reference: '财预-0210' } }));
    const policy = ok(
      await t.call('POST', '/v1/insurance-policies', {
        token: officer,
        body: { fundId: fund.fundId, insurer: INSURER, policyNumber: 'PICC-2026-0001', premium: '20000.00', coverFrom: '2026-01-01', coverTo: '2026-12-31', coveredPopulation: '全乡监测对象', coveredCount: 400 },
      }),
    );
    policyId = policy.id;
    ok(await t.call('POST', `/v1/insurance-policies/${policy.id}/premium`, { token: officer, body: { date: '2026-03-01', amount: '20000.00', reference: '保费-0301' } }));
    const paid = ok(await t.call('POST', '/v1/insurance-claims', { token: officer, body: { policyId: policy.id, householdId: household, cause: 'illness', date: '2026-06-10', amountClaimed: '9500.00' } }));
    ok(await t.call('POST', `/v1/insurance-claims/${paid.id}/approve`, { token: approver, body: { amountApproved: '9000.00' } }), 200);
    ok(await t.call('POST', `/v1/insurance-claims/${paid.id}/pay`, { token: approver, body: { payoutReference: 'PICC-PAY-0001', date: '2026-06-20' } }), 200);
    ok(await t.call('POST', '/v1/insurance-claims', { token: officer, body: { policyId: policy.id, householdId: household, cause: 'accident', date: '2026-07-02', amountClaimed: '3000.00' } }));
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  async function download(page: Page, name: string): Promise<{ file: string; suggested: string }> {
    const [event] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: '下载', exact: true }).click()]);
    const file = join(downloads, name);
    await event.saveAs(file);
    return { file, suggested: event.suggestedFilename() };
  }

  it('an officer downloads the fund statement as PDF and CSV, and sees its figures on the page', async () => {
    const page = await signIn(browser, url, officer);
    await page.goto(`${url}#/statements`);
    await page.locator('select[name=kind]').selectOption('fund');
    await page.locator('select[name=fundId]').selectOption(fund.fundId);
    await page.locator('input[name=from]').fill('2026-01-01');
    await page.locator('input[name=to]').fill('2026-10-31');
    await page.locator('select[name=format]').selectOption('pdf');

    const pdf = await download(page, 'fund.pdf');
    expect(pdf.suggested).toBe('基金收支报表-' + (await t.call('GET', `/v1/funds/${fund.fundId}`)).body.code + '-2026-01-01至2026-10-31.pdf');
    expect(readFileSync(pdf.file).subarray(0, 4).toString('latin1')).toBe('%PDF');
    const text = spawnSync('pdftotext', ['-layout', pdf.file, '-'], { encoding: 'utf8' });
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).toContain(FUND_NAME);

    await page.locator('select[name=format]').selectOption('csv');
    const csv = await download(page, 'fund.csv');
    expect(csv.suggested.endsWith('.csv')).toBe(true);
    const rows = readFileSync(csv.file, 'utf8');
    expect(rows).toContain(FUND_NAME);
    for (const figure of ['50000.00', '123456.78', '20000.00', '153456.78']) expect(rows).toContain(figure);

    // The same statement on the page, with thousands separators, and its digest checked against the ledger.
    await page.getByRole('button', { name: '在页面查看' }).click();
    const view = page.locator('section', { hasText: '勾稽相符' });
    await view.waitFor();
    const shown = await view.textContent();
    for (const figure of ['50,000.00', '123,456.78', '20,000.00', '153,456.78', '173,456.78']) expect(shown).toContain(figure);
    const json = ok(await t.call('GET', `/v1/funds/${fund.fundId}/statement?from=2026-01-01&to=2026-10-31`, { token: officer }), 200);
    expect(shown).toContain(json.digest);
    await page.getByLabel('核验打印件的摘要').fill(json.digest);
    await page.getByRole('button', { name: '核验' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain('摘要相符');

    // A period the wrong way round is refused beside its field, and nothing is downloaded.
    await page.locator('input[name=from]').fill('2026-11-01');
    await page.getByRole('button', { name: '下载', exact: true }).click();
    await expect.poll(() => page.locator('[data-field=from] .field-error').textContent()).toContain('起始日期不能晚于截止日期');
    await page.locator('input[name=from]').fill('2026-01-01');
    await page.getByRole('button', { name: '在页面查看' }).click();
    await view.waitFor();
    await screenshot(page, 'statements');
    expect(consoleErrors(page)).toEqual([]);
    await page.context().close();
  }, 60_000);

  it('prints a statement alone: the header, menu and forms hidden, its tables shown', async () => {
    const page = await signIn(browser, url, officer);
    await page.goto(`${url}#/statements`);
    await page.locator('select[name=kind]').selectOption('fund');
    await page.locator('select[name=fundId]').selectOption(fund.fundId);
    await page.getByRole('button', { name: '在页面查看' }).click();
    const view = page.locator('section', { hasText: '勾稽相符' });
    await view.waitFor();
    const header = page.locator('header.top');
    expect(await header.isVisible()).toBe(true);
    await page.emulateMedia({ media: 'print' });
    expect(await header.isVisible()).toBe(false);
    expect(await page.getByRole('navigation', { name: '功能' }).isVisible()).toBe(false);
    expect(await page.getByRole('button', { name: '退出' }).isVisible()).toBe(false);
    for (const form of await page.locator('form').all()) expect(await form.isVisible()).toBe(false);
    expect(await page.locator('select[name=kind]').isVisible()).toBe(false);
    expect(await view.locator('table').first().isVisible()).toBe(true);
    expect(await view.locator('.figures').isVisible()).toBe(true);
    expect(await view.textContent()).toContain('123,456.78');
    await page.emulateMedia({ media: 'screen' });
    expect(await header.isVisible()).toBe(true);
    expect(consoleErrors(page)).toEqual([]);
    await page.context().close();
  }, 60_000);

  it('shows every other statement on the page, with its subject chosen from the API', async () => {
    const page = await signIn(browser, url, officer);
    await page.goto(`${url}#/statements`);
    const view = page.locator('main > div > section');
    const look = async (title: string, expected: string[]) => {
      await page.getByRole('button', { name: '在页面查看' }).click();
      await expect.poll(() => view.locator('h2').textContent()).toBe(title);
      const text = await view.textContent();
      for (const e of expected) expect(text).toContain(e);
      expect(await page.locator('.form-error').count()).toBe(0);
    };
    await page.locator('select[name=kind]').selectOption('ledger');
    const bank = (await t.call('GET', `/v1/accounts/${fund.byRole.bank}`)).body;
    await page.locator('select[name=accountId]').selectOption(bank.id);
    await page.locator('input[name=to]').fill('2026-10-31');
    await look('明细账', [`科目 ${bank.code} ${bank.name}`, '期初余额', '50,000.00', '123,456.78', '本期合计']);
    await page.locator('select[name=kind]').selectOption('trial-balance');
    await look('试算平衡表', ['借贷平衡', '合计']);
    await page.locator('select[name=kind]').selectOption('household');
    await page.locator('select[name=householdId]').selectOption(householdId);
    await look('农户帮扶明细表', ['李四海', '防贫保赔付', 'PICC-PAY-0001', '9,000.00']);
    await page.locator('select[name=kind]').selectOption('village');
    await look('村级收益分配表', ['白云村', '本期没有分红分配到本村']);
    await page.locator('select[name=kind]').selectOption('general-ledger');
    await page.locator('input[name=year]').fill('2026');
    await look('总账', [`${bank.code} ${bank.name}（上年结转`, '2026-12', '本年累计借方']);
    await page.locator('select[name=kind]').selectOption('bank-reconciliation');
    await page.locator('input[name=period]').fill('2026-10');
    // Not reconciled without a statement: said in red, which look() would take for a refusal.
    await page.getByRole('button', { name: '在页面查看' }).click();
    await expect.poll(() => view.locator('h2').textContent()).toBe('银行存款余额调节表');
    expect(await view.locator('.form-error').textContent()).toBe('调节不符：本基金尚未导入银行对账单。');
    await page.locator('select[name=kind]').selectOption('notice');
    await look('村级公示表', ['白云村']);
    expect(await view.textContent()).not.toContain('李四海'); // names are masked on a notice
    // From a policy's page: the statement of that policy, chosen.
    await page.goto(`${url}#/statements/insurance/${policyId}`);
    await expect.poll(() => page.locator('select[name=policyId]').inputValue()).toBe(policyId);
    await look('防贫保报表', [INSURER, '已缴保费', '20,000.00', '11,000.00', 'PICC-PAY-0001']);
    expect(consoleErrors(page)).toEqual([]);
    await page.context().close();
  }, 60_000);

  it('shows a policy with its figures, its claims by status and its payouts', async () => {
    const page = await signIn(browser, url, officer);
    await page.goto(`${url}#/insurance`);
    const policies = page.locator('section', { hasText: '保单（1 份）' });
    await policies.locator('tbody tr').first().waitFor();
    const row = await policies.locator('tbody tr').first().textContent();
    expect(row).toContain(INSURER);
    expect(row).toContain('PICC-2026-0001');
    expect(row).toContain('2026-01-01 至 2026-12-31');
    // Premium 20,000.00 paid, 9,000.00 paid out to one household, 11,000.00 left in the pool.
    expect(row).toMatch(/20,000\.00.*20,000\.00.*2.*9,000\.00.*1.*0\.00.*11,000\.00/);

    const detail = page.locator('section', { hasText: '理赔按状态' });
    const byStatus = await detail.locator('tbody tr').allTextContents();
    expect(byStatus).toEqual(['已报案13,000.000.00', '已核定00.000.00', '已赔付19,500.009,000.00', '已拒赔00.000.00']);

    const claims = page.locator('section', { has: page.getByRole('heading', { name: '理赔', exact: true }) });
    await claims.locator('tbody tr').nth(1).waitFor();
    expect(await claims.locator('tbody tr').count()).toBe(2);
    await claims.locator('select[name=status]').selectOption('filed');
    await expect.poll(() => claims.locator('tbody tr').count()).toBe(1);
    expect(await claims.locator('tbody tr').textContent()).toContain('因意外');
    expect(await claims.locator('tbody tr').textContent()).toContain('李四海');
    // Who filed it, by the name of the key (keyFor names keys "<role> for tests").
    expect(await claims.locator('tbody tr').textContent()).toContain('officer for tests / —');
    await claims.locator('select[name=scope]').selectOption('fund');
    await expect.poll(() => claims.locator('tbody tr').count()).toBe(1);

    const payouts = page.locator('section', { has: page.getByRole('heading', { name: '赔付明细' }) });
    await payouts.locator('tbody tr').first().waitFor();
    expect(await payouts.locator('tbody tr').textContent()).toMatch(/2026-06-20.*李四海.*因病.*PICC-PAY-0001.*9,000\.00/);
    await claims.locator('select[name=status]').selectOption('');
    await claims.locator('tbody tr').nth(1).waitFor();
    await screenshot(page, 'insurance');
    expect(consoleErrors(page)).toEqual([]);
    await page.context().close();
  }, 60_000);

  it('an approver approves a filed claim from the claims list; a refusal shows beside the amount', async () => {
    const page = await signIn(browser, url, approver);
    await page.goto(`${url}#/insurance`);
    const claims = page.locator('section', { has: page.getByRole('heading', { name: '理赔', exact: true }) });
    const filed = claims.locator('tbody tr', { hasText: '已报案' });
    await filed.getByRole('button', { name: '处理' }).click();
    // More than was claimed: the API refuses, the console says so beside the amount.
    await claims.getByLabel('核定金额（元）').fill('3,500');
    await claims.getByRole('button', { name: '核定' }).click();
    await expect.poll(() => claims.locator('[data-field=amountApproved] .field-error').textContent()).toContain('核定金额不能超过申请金额 3,000.00 元');
    await claims.getByLabel('核定金额（元）').fill('2,800.50');
    await claims.getByRole('button', { name: '核定' }).click();
    await expect.poll(() => page.locator('section', { has: page.getByRole('heading', { name: '理赔', exact: true }) }).locator('tbody tr', { hasText: '因意外' }).textContent()).toContain('已核定');
    const after = ok(await t.call('GET', '/v1/insurance-claims?status=approved', { token: approver }), 200).items;
    expect(after.map((c: any) => c.amountApproved)).toEqual(['2800.50']);
    expect(consoleErrors(page)).toEqual([]);
    await page.context().close();
  }, 60_000);

  it("an auditor sees the officer's writes in the audit log and runs the fund verification", async () => {
    const page = await signIn(browser, url, auditor);
    await page.goto(`${url}#/audit`);
    const log = page.locator('section', { has: page.getByRole('heading', { name: '审计日志' }) });
    await log.locator('tbody tr').first().waitFor();
    const rows = await log.locator('tbody tr').allTextContents();
    // Who wrote it, by the name of their key (keyFor names it "officer for tests"), not by its id.
    const mine = rows.filter((r) => r.includes('经办员 officer for tests'));
    expect(rows.some((r) => r.includes(`经办员 ${officerId.slice(0, 8)}`))).toBe(false);
    expect(mine.some((r) => r.includes('登记收入（捐赠/财政转移）') && r.includes('成功（201）'))).toBe(true);
    expect(mine.some((r) => r.includes('登记防贫保保单'))).toBe(true);
    expect(mine.some((r) => r.includes('防贫保报案'))).toBe(true);
    // Newest first: the claims come before the receipts recorded earlier.
    const at = (what: string) => rows.findIndex((r) => r.includes(what));
    expect(at('防贫保报案')).toBeLessThan(at('登记防贫保保单'));
    expect(at('登记防贫保保单')).toBeLessThan(at('登记收入'));

    // Only the officer's receipts: filtered by the officer and the route.
    await log.locator('select[name=route]').selectOption('/v1/funds/:fundId/income');
    await log.locator('input[name=actorId]').fill(officerId);
    await log.getByRole('button', { name: '查询' }).click();
    await expect.poll(() => log.locator('tbody tr').count()).toBe(2);

    const verify = page.locator('section', { has: page.getByRole('heading', { name: '基金核验' }) });
    await verify.locator('select[name=fundId]').selectOption(fund.fundId);
    await verify.getByRole('button', { name: '校验', exact: true }).click();
    await expect.poll(() => verify.getByRole('status').textContent(), { timeout: 20_000 }).toContain('完好');
    const answer = ok(await t.call('GET', `/v1/funds/${fund.fundId}/verify`, { token: auditor }), 200);
    expect(answer.status).toBe('intact');
    const result = await verify.getByRole('status').textContent();
    expect(result).toContain(`${answer.transactions} 笔`);
    expect(result).toContain(answer.headHash);
    expect(result).toContain('余额重算一致');
    // The recorded (position, hash) pair passed back: the chain still goes through it.
    await verify.getByRole('button', { name: '填入下次校验' }).click();
    await verify.getByRole('button', { name: '校验', exact: true }).click();
    await expect.poll(() => verify.getByRole('status').textContent(), { timeout: 20_000 }).toContain('锚点相符');
    await screenshot(page, 'audit');
    expect(consoleErrors(page)).toEqual([]);
    await page.context().close();

    // An officer may verify, but the audit log is the auditors'.
    const officerPage = await signIn(browser, url, officer);
    await officerPage.goto(`${url}#/audit`);
    await officerPage.getByRole('heading', { name: '基金核验' }).waitFor();
    expect(await officerPage.getByRole('heading', { name: '审计日志' }).count()).toBe(0);
    expect(consoleErrors(officerPage)).toEqual([]);
    await officerPage.context().close();
  }, 60_000);
});
