// The periods page (会计期间) in a real browser: an admin closes an ended month, sees who closed it, is
// refused closing the current month (the refusal in its row), and reopens the closed month with a reason.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app.js';
import { fundedPreventionFund } from '../disbursements/setup.js';
import { consoleErrors, openConsole, screenshot, signIn, skipBrowserTests } from './browser.js';

describe.skipIf(skipBrowserTests)('web console: accounting periods', () => {
  let t: TestApp;
  let browser: Browser;
  let url: string;
  let close: () => Promise<void>;
  let admin: string;
  let fundId: string;

  beforeAll(async () => {
    ({ t, url, browser, close } = await openConsole());
    admin = (await t.call('POST', '/v1/api-keys', { body: { name: '县财政局 陈﨎', role: 'admin' } })).body.token;
    fundId = (await fundedPreventionFund(t, '1000.00')).fundId; // a donation dated 2025-01-05
  }, 120_000);

  afterAll(() => close?.());

  it('closes an ended month naming who did, refuses the current one in its row, and reopens with a reason', async () => {
    const page = await signIn(browser, url, admin);
    await page.goto(`${url}#/periods`);
    const months = page.locator('section', { has: page.getByRole('heading', { name: '各月结账情况' }) });
    const january = months.locator('tbody tr', { hasText: '2025-01' }).first();
    await january.waitFor();
    expect(await january.textContent()).toContain('未结账');
    await january.getByRole('button', { name: '结账 2025-01' }).click();
    // No bank statement imported: refused in the row, saying why, and asked for a reason.
    await expect.poll(() => january.locator('.form-error').textContent()).toContain('银行对账不符：2025-01 本基金尚未导入银行对账单。如确需结账，请填写原因。');
    expect((await t.call('GET', `/v1/funds/${fundId}/periods/2025-01`)).body.status).toBe('open');
    await january.getByLabel('2025-01 对账不符仍结账的原因').fill('对账单尚未取得，先行结账');
    await january.getByRole('button', { name: '说明原因后结账 2025-01' }).click();
    await expect.poll(async () => (await months.locator('tbody tr', { hasText: '2025-01' }).first().textContent()) ?? '').toContain('县财政局 陈﨎');
    expect(await months.locator('tbody tr', { hasText: '2025-01' }).first().textContent()).toContain('原因：对账单尚未取得，先行结账');
    expect((await t.call('GET', `/v1/funds/${fundId}/periods/2025-01`)).body).toMatchObject({ status: 'closed', closedByName: '县财政局 陈﨎', closeReason: '对账单尚未取得，先行结账' });

    // The current month has not ended: refused, in its row, and left open.
    const current = t.app.ctx.today().slice(0, 7);
    // Months are listed oldest first, a page at a time: on to the page that holds the current one.
    for (let i = 0; i < 5 && !(await months.locator('tbody tr', { hasText: current }).count()); i++) {
      await months.getByRole('button', { name: '下一页' }).click();
      await months.locator('tbody tr').first().waitFor();
    }
    const now = months.locator('tbody tr', { hasText: current });
    await now.getByRole('button', { name: `结账 ${current}` }).click();
    await expect.poll(() => now.locator('.form-error').count()).toBe(1);
    expect(await now.locator('.form-error').textContent()).toContain('该月尚未结束');
    expect((await t.call('GET', `/v1/funds/${fundId}/periods/${current}`)).body.status).toBe('open');

    await page.goto(`${url}#/periods`);
    const closed = page.locator('section', { has: page.getByRole('heading', { name: '各月结账情况' }) }).locator('tbody tr', { hasText: '2025-01' }).first();
    await closed.getByLabel('2025-01 反结账原因').fill('补录一张一月的收款凭证');
    await closed.getByRole('button', { name: '反结账 2025-01' }).click();
    await expect.poll(async () => (await t.call('GET', `/v1/funds/${fundId}/periods/2025-01`)).body.status).toBe('open');
    expect((await t.call('GET', `/v1/funds/${fundId}/periods/2025-01`)).body).toMatchObject({ reopenedByName: '县财政局 陈﨎', reopenReason: '补录一张一月的收款凭证' });
    await screenshot(page, 'periods');
    expect(consoleErrors(page)).toEqual([]);
  }, 90_000);
});
