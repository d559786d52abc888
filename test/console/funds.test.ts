// The first run in a real browser: on an install with no fund, every page points to 基金, which says the
// first steps; an admin opens a fund from the prevention chart with its categories and a yearly cap, sees
// its chart of accounts and adds an own account; a refusal shows beside its field and opens nothing.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, type TestApp } from '../helpers/app.js';
import { consoleErrors, openConsole, screenshot, signIn, skipBrowserTests } from './browser.js';

describe.skipIf(skipBrowserTests)('web console: funds and the first run', () => {
  let t: TestApp;
  let browser: Browser;
  let url: string;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ t, url, browser, close } = await openConsole());
  }, 120_000);

  afterAll(() => close?.());

  const fundCount = async () => (await t.call('GET', '/v1/funds?limit=500')).body.items.length as number;

  it('leads an admin from an empty install to a fund with its chart of accounts', async () => {
    const page = await signIn(browser, url, ADMIN_TOKEN);
    await page.getByRole('link', { name: '前往“基金”页开始使用' }).click();
    await page.getByRole('heading', { name: '开始使用' }).waitFor();
    const form = page.locator('section', { has: page.getByRole('heading', { name: '开设基金' }) });

    await form.getByLabel('基金编码').fill('XZ-FPJJ');
    await form.getByLabel('基金名称').fill('青山乡防止返贫专项基金');
    await form.getByLabel('主管单位').fill('某县青山乡人民政府');
    await form.getByLabel('资金用途').fill('防止返贫监测帮扶');
    // The prevention chart wants its payments named: refused beside the categories, nothing opened.
    await form.getByRole('button', { name: '开设基金' }).click();
    await expect.poll(() => form.locator('.field-error, .form-error').count()).toBe(1);
    expect(await form.locator('.field-error, .form-error').textContent()).toMatch(/类别|allowedCategories/);
    expect(await fundCount()).toBe(0);

    await form.getByLabel('医疗补贴', { exact: true }).check();
    await form.getByLabel('生活补助', { exact: true }).check();
    await form.getByLabel('医疗补贴每户每年上限（元）').fill('20,000');
    await form.getByRole('button', { name: '开设基金' }).click();
    const chart = page.locator('section', { has: page.getByRole('heading', { name: '科目表：青山乡防止返贫专项基金' }) });
    await chart.locator('tbody tr').first().waitFor();
    const rows = await chart.locator('tbody tr').allTextContents();
    expect(rows.some((r) => r.includes('银行存款—专户（可用）') && r.includes('系统科目'))).toBe(true);

    const [fund] = (await t.call('GET', '/v1/funds')).body.items;
    expect(fund).toMatchObject({ code: 'XZ-FPJJ', template: 'prevention', allowedCategories: ['medical_subsidy', 'living_allowance'], yearlyCaps: { medical_subsidy: '20000.00' } });

    await chart.getByLabel('科目编码').fill('5901');
    await chart.getByLabel('科目名称').fill('其他支出');
    await chart.getByRole('button', { name: '增加科目' }).click();
    await expect.poll(async () => (await chart.locator('tbody').textContent()) ?? '').toContain('其他支出');
    expect((await chart.locator('tbody tr', { hasText: '其他支出' }).textContent()) ?? '').toContain('自设科目');
    await screenshot(page, 'funds');
    expect(consoleErrors(page)).toEqual([]);
  }, 60_000);
});
