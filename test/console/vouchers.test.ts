// The 凭证 page in a real browser: an officer fills in a voucher and attaches its source document; an
// approver finds it in the review queue, approves it (it is posted then, with its month number) and
// prints it; the preparer is never offered the approval of their own.
import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp } from '../helpers/app.js';
import { createFund, type FundFixture, transfer } from '../helpers/fixtures.js';
import { pdfText } from '../statements/setup.js';
import { consoleErrors, openConsole, screenshot, signIn, skipBrowserTests } from './browser.js';

describe.skipIf(skipBrowserTests)('web console: vouchers drafted, reviewed, posted and printed', () => {
  let t: TestApp;
  let browser: Browser;
  let url: string;
  let close: () => Promise<void>;
  let f: FundFixture;
  let officer: string;
  let approver: string;
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());

  beforeAll(async () => {
    ({ t, url, browser, close } = await openConsole());
    [officer, approver] = await Promise.all([t.keyFor('officer'), t.keyFor('approver')]);
    f = await createFund(t);
    // Money in first; hand vouchers are reviewed from then on.
    expect((await t.call('POST', '/v1/transactions', { body: transfer(today, f.accounts.bank!, f.accounts.income!, '1000.00', '县财政拨款') })).status).toBe(201);
    await t.call('PATCH', `/v1/funds/${f.fundId}`, { body: { manualVouchersNeedReview: true } });
  }, 120_000);

  afterAll(() => close?.());

  const section = (page: Page, title: string) => page.locator('section', { has: page.getByRole('heading', { name: title, exact: true }) });

  it('drafts a voucher and attaches its source document', async () => {
    const page = await signIn(browser, url, officer);
    await page.getByRole('link', { name: '凭证', exact: true }).click();
    await page.getByText('本基金的手工凭证须经他人审核后记账').waitFor();
    const form = section(page, '填制凭证');
    await form.getByLabel('摘要', { exact: true }).fill('临时救助 王𪚥');
    await form.getByLabel('附件（张）').fill('1');
    const accounts = form.getByLabel('会计科目');
    await accounts.nth(0).selectOption({ label: 'expense expense' });
    await form.getByLabel('金额（元）').nth(0).fill('300');
    await accounts.nth(1).selectOption({ label: 'bank bank' });
    await form.getByLabel('金额（元）').nth(1).fill('300.00');
    await expect.poll(() => form.locator('[aria-live]').textContent()).toContain('借方合计 300.00，贷方合计 300.00');
    await form.getByRole('button', { name: '提交审核' }).click();
    await expect.poll(() => form.locator('.notice').textContent()).toContain('已提交审核');

    const queue = section(page, '待审核凭证');
    const row = queue.locator('tbody tr', { hasText: '临时救助 王𪚥' });
    await row.waitFor();
    // The preparer is offered no approval of their own.
    expect(await row.getByRole('button', { name: '审核通过并记账' }).count()).toBe(0);
    await row.locator('input[type=file]').setInputFiles({ name: '住院结算单.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4\n%%EOF\n') });
    await row.getByRole('button', { name: '上传' }).click();
    await expect.poll(async () => (await t.call('GET', `/v1/vouchers?status=draft&fundId=${f.fundId}`)).body.items.length).toBe(1);
    const [draft] = (await t.call('GET', `/v1/vouchers?status=draft&fundId=${f.fundId}`)).body.items;
    await expect.poll(async () => (await t.call('GET', `/v1/vouchers/${draft.id}/attachments`)).body.items.map((a: any) => a.fileName)).toEqual(['住院结算单.pdf']);
    expect(consoleErrors(page)).toEqual([]);
    await page.context().close();
  }, 60_000);

  it('lets an approver approve it from the queue, then print the posted voucher', async () => {
    const page = await signIn(browser, url, approver);
    await page.getByRole('link', { name: '凭证', exact: true }).click();
    const queue = section(page, '待审核凭证');
    const row = queue.locator('tbody tr', { hasText: '临时救助 王𪚥' });
    // The queue with its row fits the screen: nothing scrolls sideways at 1366×768.
    await row.getByRole('button', { name: '住院结算单.pdf' }).waitFor();
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await screenshot(page, 'vouchers-queue');
    // The reviewer opens the source document before approving.
    const [bill] = await Promise.all([page.waitForEvent('download'), row.getByRole('button', { name: '住院结算单.pdf' }).click()]);
    expect(readFileSync((await bill.path())!).toString()).toBe('%PDF-1.4\n%%EOF\n');
    await row.getByRole('button', { name: '审核通过并记账' }).click();
    await expect.poll(() => queue.textContent()).toContain('没有待审核的凭证');

    const posted = section(page, '已记账凭证');
    const label = `记-${today.slice(0, 7)}-0002`;
    const line = posted.locator('tbody tr', { hasText: label });
    await line.waitFor();
    expect(await line.textContent()).toContain('临时救助 王𪚥');
    const [download] = await Promise.all([page.waitForEvent('download'), line.getByRole('button', { name: '打印凭证' }).click()]);
    const text = pdfText(readFileSync((await download.path())!)).replace(/\s+/g, '');
    expect(text).toContain(`凭证号：${label}`);
    expect(text).toContain('附件1张');
    expect(text).toContain('审核：approverfortests');
    expect(text).toContain('制单：officerfortests');
    expect((await t.call('GET', `/v1/accounts/${f.accounts.bank}`)).body.balance).toBe('700.00');
    expect(consoleErrors(page)).toEqual([]);
    await page.context().close();
  }, 60_000);

  it('drafts the 红字冲销 of a posted voucher for review, and posts it when another key approves', async () => {
    const label = `记-${today.slice(0, 7)}-0002`;
    const page = await signIn(browser, url, officer);
    await page.getByRole('link', { name: '凭证', exact: true }).click();
    const line = section(page, '已记账凭证').locator('tbody tr', { hasText: label });
    await line.getByLabel('冲销原因').fill('重复支付');
    await line.getByRole('button', { name: '起草冲销' }).click();
    const draft = section(page, '待审核凭证').locator('tbody tr', { hasText: '【红字冲销】' });
    await draft.waitFor();
    expect(await draft.textContent()).toContain('重复支付');
    await page.context().close();

    const review = await signIn(browser, url, approver);
    await review.getByRole('link', { name: '凭证', exact: true }).click();
    await section(review, '待审核凭证').locator('tbody tr', { hasText: '【红字冲销】' }).getByRole('button', { name: '审核通过并记账' }).click();
    await expect.poll(async () => (await t.call('GET', `/v1/accounts/${f.accounts.bank}`)).body.balance).toBe('1000.00');
    await section(review, '已记账凭证').locator('tbody tr', { hasText: '【红字冲销】' }).waitFor();
    expect(consoleErrors(review)).toEqual([]);
    await review.context().close();
  }, 60_000);
});
