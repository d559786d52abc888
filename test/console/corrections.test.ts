// The set-up and correction pages in a real browser, on the field scenario: an officer records a donation
// (a mistyped amount and a day in the future refused beside their fields, nothing booked), adds a new
// version of an industry's rule, and voids a dividend with its reason; the audit log names what the writes
// concerned instead of showing ids.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp } from '../helpers/app.js';
import { written } from '../disbursements/setup.js';
import { fieldScenario } from '../statements/setup.js';
import { consoleErrors, openConsole, screenshot, signIn, skipBrowserTests } from './browser.js';

describe.skipIf(skipBrowserTests)('web console: income, rule versions, voiding a dividend', () => {
  let t: TestApp;
  let browser: Browser;
  let url: string;
  let close: () => Promise<void>;
  let scenario: Awaited<ReturnType<typeof fieldScenario>>;
  let officer: string;

  beforeAll(async () => {
    ({ t, url, browser, close } = await openConsole());
    officer = await t.keyFor('officer');
    scenario = await fieldScenario(t, { maker: officer, checker: await t.keyFor('approver') });
    // A second dividend, typed wrong: too small to cover what 臺灣村 spent should the first be voided.
    const wrong = await t.call('POST', `/v1/industries/${scenario.industryId}/dividends`, { body: { date: '2026-04-01', amount: '5000.00', reference: '分红-补录' } });
    expect(wrong.status).toBe(201);
  }, 120_000);

  afterAll(() => close?.());

  const section = (page: Page, title: string) => page.locator('section', { has: page.getByRole('heading', { name: title, exact: true }) });

  it('records a donation; refusals beside their fields book nothing', async () => {
    const page = await signIn(browser, url, officer);
    await page.getByRole('link', { name: '收入', exact: true }).click();
    const form = section(page, '登记收入');
    await form.getByLabel('付款单位').fill('某农商银行某县支行');
    await form.getByLabel('金额（元）').fill('12.345');
    const before = await written(t);
    await form.getByRole('button', { name: '登记入账' }).click();
    await expect.poll(() => form.locator('[data-field=amount] .field-error').textContent()).toContain('不是有效金额');
    await form.getByLabel('金额（元）').fill('88,000');
    await form.getByLabel('到账日期').fill('2999-01-01');
    await form.getByRole('button', { name: '登记入账' }).click();
    await expect.poll(() => form.locator('[data-field=date] .field-error').textContent()).toContain('晚于今天');
    expect(await written(t)).toEqual(before);

    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
    await form.getByLabel('到账日期').fill(today);
    await form.getByLabel('回单号').fill('NSH-0088');
    await form.getByRole('button', { name: '登记入账' }).click();
    await expect.poll(() => form.locator('.notice').textContent()).toContain(`已入账：${today} 社会捐赠 88,000.00 元`);
    const list = section(page, '收入记录');
    await expect.poll(() => list.locator('tbody tr', { hasText: 'NSH-0088' }).textContent()).toContain('officer for tests');
    const receipts = (await t.call('GET', `/v1/funds/${scenario.fundId}/income?limit=500`)).body.items;
    expect(receipts.filter((r: any) => r.reference === 'NSH-0088')).toMatchObject([{ source: 'donation', amount: '88000.00', payer: '某农商银行某县支行' }]);
    expect(consoleErrors(page)).toEqual([]);
    await page.context().close();
  }, 60_000);

  it('adds a rule version and voids a dividend with its reason', async () => {
    const page = await signIn(browser, url, officer);
    await page.goto(`${url}#/industries/${scenario.industryId}`);
    const detail = section(page, '产业：某县肉牛养殖有限公司');
    await detail.locator('tbody tr').first().waitFor();
    // The project village is not offered as one of its own radiating villages.
    expect(await detail.getByLabel('辐射村 臺灣村').isVisible()).toBe(false);

    await detail.getByLabel('项目所在村分成比例（%）').fill('35');
    await detail.getByRole('button', { name: '保存新版本' }).click();
    await expect.poll(() => detail.locator('tbody tr').first().textContent()).toContain('第 2 版');
    expect(await detail.locator('tbody tr').first().textContent()).toContain('35%');
    const industry = (await t.call('GET', `/v1/industries/${scenario.industryId}`)).body;
    expect(industry.rules.map((r: any) => [r.version, r.projectVillageShare, r.radiatingShare])).toEqual([
      [1, '0.40000000', '0.60000000'],
      [2, '0.35000000', '0.65000000'],
    ]);

    // 作废: the reason is required; a dividend whose money a village has spent is refused in its row.
    const dividends = section(page, '分红记录');
    const spent = dividends.locator('tbody tr', { hasText: '132,000.00' });
    await spent.getByRole('button', { name: '作废' }).click();
    await expect.poll(() => spent.locator('.field-error').textContent()).toContain('请填写作废原因');
    await spent.getByLabel('作废 2026-03-01 分红的原因').fill('日期录错');
    const before = await written(t);
    page.once('dialog', (dialog) => dialog.accept());
    await spent.getByRole('button', { name: '作废' }).click();
    await expect.poll(() => spent.locator('.field-error, .form-error').textContent()).toContain('余额不足');
    expect(await written(t)).toEqual(before);

    // Confirmed, the wrong one's voucher and its villages' allocations are reversed.
    const row = dividends.locator('tbody tr', { hasText: '5,000.00' });
    await row.getByLabel('作废 2026-04-01 分红的原因').fill('金额录错，应为 500.00');
    page.once('dialog', (dialog) => dialog.accept());
    await row.getByRole('button', { name: '作废' }).click();
    await expect.poll(() => dividends.locator('tbody tr', { hasText: '5,000.00' }).textContent()).toContain('已作废');
    expect(await dividends.locator('tbody tr', { hasText: '5,000.00' }).textContent()).toContain('金额录错，应为 500.00');
    const items = (await t.call('GET', `/v1/industries/${scenario.industryId}/dividends`)).body.items;
    expect(items.map((d: any) => [d.amount, d.status, d.voidReason])).toEqual([
      ['132000.00', 'recorded', null],
      ['5000.00', 'voided', '金额录错，应为 500.00'],
    ]);
    await screenshot(page, 'industry-voided');
    expect(consoleErrors(page)).toEqual([]);
    await page.context().close();

    // The audit log says which industry, not its id.
    const admin = await signIn(browser, url, await t.keyFor('admin'));
    await admin.getByRole('link', { name: '审计', exact: true }).click();
    const log = section(admin, '审计日志');
    const voided = log.locator('tbody tr', { hasText: '作废分红' }).filter({ hasText: '成功' });
    await expect.poll(() => voided.textContent()).toContain('产业项目 某县肉牛养殖有限公司');
    expect(await voided.textContent()).toContain(`基金 ${scenario.fund.name}`);
    await admin.context().close();
  }, 60_000);
});
