// The console in a real browser (Debian's Chromium through playwright-core), against the real service on
// the embedded PGlite: signing in, the funds overview, recording a dividend with its split previewed to
// the fen, and refusals shown beside their fields.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../helpers/database.js';
import { startApp, type TestApp } from '../helpers/app.js';
import { createPreventionFund, createVillage } from '../helpers/fixtures.js';
import { consoleErrors, launch, listen, screenshot, signIn, skipBrowserTests } from './browser.js';
// @ts-expect-error plain JavaScript module served to browsers, without type declarations
import { formatMoney } from '../../src/console/public/money.js';

describe.skipIf(skipBrowserTests)('web console: sign-in, overview and dividends', () => {
  let t: TestApp;
  let browser: Browser;
  let url: string;
  let officer: string;
  let fund: Awaited<ReturnType<typeof createPreventionFund>>;
  let industryId: string;
  const villages: Record<string, string> = {};

  beforeAll(async () => {
    t = await startApp(backends[0]!);
    url = await listen(t);
    browser = await launch();
    officer = await t.keyFor('officer');
    fund = await createPreventionFund(t, { name: '青山乡防止返贫专项基金' });
    for (const [key, name] of [['P', '青山村'], ['A', '绿水村'], ['B', '白云村'], ['C', '红旗村']] as const) villages[key] = await createVillage(t, name);
    const industry = await t.call('POST', '/v1/industries', {
      body: {
        fundId: fund.fundId,
        name: '某县肉牛养殖有限公司',
        projectVillageId: villages.P,
        radiatingVillages: [{ villageId: villages.A }, { villageId: villages.B }, { villageId: villages.C }],
        projectVillageShare: '0.40',
        effectiveFrom: '2026-01-01',
      },
    });
    expect(industry.status).toBe(201);
    industryId = industry.body.id;
    const donation = await t.call('POST', `/v1/funds/${fund.fundId}/income`, {
      token: officer,
      body: { source: 'donation', payer: '某农商银行', date: '2026-01-15', amount: '50000.00', reference: '捐赠-0115' },
    });
    expect(donation.status, JSON.stringify(donation.body)).toBe(201);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('refuses a wrong key at sign-in in plain words, and keeps nothing', async () => {
    const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
    const page = await context.newPage();
    await page.goto(url);
    await page.getByLabel('API 密钥').fill('not-a-key');
    await page.getByRole('button', { name: '登录' }).click();
    await expect.poll(() => page.locator('[role=alert]').textContent()).toContain('密钥无效');
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    await screenshot(page, 'sign-in');
    await context.close();
  }, 60_000);

  it('records a dividend: previews the 40/60 split to the fen, posts it once, shows the voucher', async () => {
    const page = await signIn(browser, url, officer);
    await page.goto(`${url}#/dividend`);
    await page.getByLabel('到账日期').fill('2026-03-20');
    await page.getByLabel('分红金额（元）').fill('100,000.01');
    await page.getByRole('button', { name: '预览分配' }).click();
    const preview = page.locator('.preview');
    await expect.poll(() => preview.textContent()).toContain('分毫不差');
    const rows = await preview.locator('tbody tr').allTextContents();
    // Exactly the split the service will book: 40% to the project village, 60% shared by three radiating
    // villages, the odd fen placed by largest remainder; shown with thousands separators.
    const split = await t.call('GET', `/v1/industries/${industryId}/dividends/preview?date=2026-03-20&amount=100000.01`, { token: officer });
    expect(split.status).toBe(200);
    const expected = split.body.allocations.map((a: any) => [a.villageName, formatMoney(a.amount)]);
    expect(rows).toHaveLength(4);
    expected.forEach(([name, amount]: [string, string], i: number) => {
      expect(rows[i]).toContain(name);
      expect(rows[i]!.endsWith(amount)).toBe(true);
    });
    expect(rows[0]).toContain('青山村');
    expect(['40,000.00', '40,000.01']).toContain(/([\d,]+\.\d\d)$/.exec(rows[0]!)![1]);
    expect(await preview.textContent()).toContain('合计 100,000.01 元');
    await screenshot(page, 'dividend-preview');

    // Nothing is booked by a preview.
    expect((await t.call('GET', `/v1/industries/${industryId}/dividends`)).body.items).toHaveLength(0);
    // The bank reference typed after the preview is booked with it.
    await page.getByLabel('凭证号').fill('分红-农商行回单0412');
    await page.getByRole('button', { name: '确认入账' }).click();
    await expect.poll(() => page.getByRole('status').textContent()).toContain('分红-农商行回单0412');
    const voucher = await page.locator('section', { hasText: '已入账' }).textContent();
    expect(voucher).toContain('借方合计 200,000.02 元，贷方合计 200,000.02 元');
    await screenshot(page, 'dividend-posted');

    const booked = (await t.call('GET', `/v1/industries/${industryId}/dividends`)).body.items;
    expect(booked).toHaveLength(1);
    expect(booked[0].amount).toBe('100000.01');
    expect(booked[0].reference).toBe('分红-农商行回单0412');
    expect(consoleErrors(page)).toEqual([]);
    await page.context().close();
  }, 60_000);

  it('shows a refusal next to its field and writes nothing', async () => {
    const page = await signIn(browser, url, officer);
    await page.goto(`${url}#/dividend`);
    // Typed wrong: caught before anything is sent.
    await page.getByLabel('分红金额（元）').fill('12.345');
    await page.getByRole('button', { name: '预览分配' }).click();
    const amountField = page.locator('[data-field=amount]');
    await expect.poll(() => amountField.locator('.field-error').textContent()).toContain('不是有效金额');
    // Refused by the API: a date before the rule took effect names the date field.
    await page.getByLabel('分红金额（元）').fill('500');
    await page.getByLabel('到账日期').fill('2025-12-31');
    await page.getByRole('button', { name: '预览分配' }).click();
    await expect.poll(() => page.locator('[data-field=date] .field-error').textContent()).toMatch(/填写有误：date: no distribution rule/);
    expect(await page.getByRole('button', { name: '确认入账' }).isDisabled()).toBe(true);
    await screenshot(page, 'dividend-refused');
    expect((await t.call('GET', `/v1/industries/${industryId}/dividends`)).body.items).toHaveLength(1);
    await page.context().close();
  }, 60_000);

  it('shows the fund overview: balances, the year by source and category, a chart by month and a bar per village', async () => {
    const page = await signIn(browser, url, officer);
    await page.goto(`${url}#/overview`);
    await page.locator('select[name=year]').selectOption('2026');
    await expect.poll(() => page.locator('.figures').textContent(), { timeout: 30_000 }).toContain('银行存款');
    const figures = await page.locator('.figures').textContent();
    // 50,000.00 donated + 100,000.01 of dividends.
    expect(figures).toContain('150,000.01');
    const byMonth = page.locator('section', { hasText: '逐月收支' });
    expect(await byMonth.locator('svg rect.bar-in').count()).toBeGreaterThanOrEqual(3);
    const month = (n: number) => byMonth.locator('tbody tr').filter({ has: page.locator('td:first-child', { hasText: new RegExp(`^${n}月$`) }) });
    expect(await month(3).textContent()).toContain('100,000.01');
    expect(await month(1).textContent()).toContain('50,000.00');
    const perVillage = page.locator('section', { hasText: '各村收益分配与使用' });
    expect(await perVillage.locator('svg rect.bar-allocated').count()).toBe(4);
    const qingshan = (await t.call('GET', `/v1/villages/${villages.P}/allocations`)).body.funds[0];
    expect(await perVillage.locator('tbody tr', { hasText: '青山村' }).textContent()).toBe(
      `青山村（${(await t.call('GET', `/v1/villages/${villages.P}`)).body.code}）${formatMoney(qingshan.allocated)}${formatMoney(qingshan.spent)}${formatMoney(qingshan.remaining)}`,
    );
    await screenshot(page, 'overview');
    expect(consoleErrors(page)).toEqual([]);
    await page.context().close();
  }, 90_000);

  it('forgets everything of one key when another signs in in the same tab', async () => {
    const other = await createPreventionFund(t, { name: '白云乡防止返贫专项基金' });
    const page = await signIn(browser, url, officer);
    await page.goto(`${url}#/overview`);
    await page.locator('select[name=fundId]').selectOption(other.fundId);
    await page.getByRole('button', { name: '退出' }).click();
    // A key that reaches only the first fund: the picker must not offer, nor keep, the other one.
    const scoped = await t.keyFor('officer', { funds: [fund.fundId] });
    await page.getByLabel('API 密钥').fill(scoped);
    await page.getByRole('button', { name: '登录' }).click();
    await page.goto(`${url}#/overview`);
    await expect.poll(() => page.locator('select[name=fundId] option').allTextContents()).toEqual([`${fund.fund.code} 青山乡防止返贫专项基金`]);
    expect(await page.evaluate(() => Object.keys(sessionStorage))).toEqual(['fund-ledger.console.key']);
    await page.context().close();
  }, 60_000);
});
