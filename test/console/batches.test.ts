// The batches page (批次) in a real browser: a fund's batches by description and date with who requested,
// approved and paid them by name, a filter typed as YYYY-MM-DD in an English browser, and a batch's lines.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app.js';
import { createHousehold, createVillage } from '../helpers/fixtures.js';
import { fundedPreventionFund } from '../disbursements/setup.js';
import { consoleErrors, openConsole, screenshot, signIn, skipBrowserTests } from './browser.js';

describe.skipIf(skipBrowserTests)('web console: batches', () => {
  let t: TestApp;
  let browser: Browser;
  let url: string;
  let close: () => Promise<void>;
  let reader: string;
  let batchIds: string[];

  beforeAll(async () => {
    ({ t, url, browser, close } = await openConsole());
    const issue = async (name: string, role: string) =>
      (await t.call('POST', '/v1/api-keys', { body: { name, role, ...(role === 'admin' ? {} : { scopes: { all: true } }) } })).body.token as string;
    const officer = await issue('乡财政所 王𪚥', 'officer');
    const approver = await issue('乡财政所 赵𠮷', 'approver');
    reader = await issue('县监测系统', 'reader');
    const { fundId } = await fundedPreventionFund(t, '100000.00', { name: '青山乡防止返贫专项基金' });
    const village = await createVillage(t, '青山村');
    const households = [await createHousehold(t, village, '2025-01-01', '李四海'), await createHousehold(t, village, '2025-01-01', '王五福')];
    batchIds = [];
    for (const [date, description] of [
      ['2025-05-20', '2025年5月生活补助'],
      ['2025-06-20', '2025年6月生活补助'],
    ]) {
      const r = await t.call('POST', '/v1/disbursement-batches', {
        token: officer,
        body: { fundId, date, description, items: households.map((householdId) => ({ householdId, amount: '300.00' })) },
      });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
      batchIds.push(r.body.id);
    }
    expect((await t.call('POST', `/v1/disbursement-batches/${batchIds[1]}/approve`, { token: approver })).status).toBe(200);
    expect((await t.call('POST', `/v1/disbursement-batches/${batchIds[1]}/pay`, { token: approver, body: { bankReference: 'YKT-2025-06' } })).status).toBe(200);
  }, 120_000);

  afterAll(() => close?.());

  it('lists the batches by description and date with names, filters by a typed date, and shows a batch’s lines', async () => {
    const page = await signIn(browser, url, reader);
    await page.goto(`${url}#/batches`);
    const list = page.locator('section', { has: page.locator('h2', { hasText: '批次一览' }) });
    await list.locator('tbody tr').first().waitFor();
    const rows = await list.locator('tbody tr').allTextContents();
    expect(rows).toHaveLength(2);
    expect(rows[0]).toContain('2025年5月生活补助');
    expect(rows[1]).toContain('2025年6月生活补助');
    expect(rows[1]).toContain('乡财政所 王𪚥');
    expect(rows[1]).toContain('乡财政所 赵𠮷');
    expect(rows[1]).toContain('YKT-2025-06');
    for (const id of batchIds) expect(rows.join('\n')).not.toContain(id.slice(0, 8));

    // Dates are typed as YYYY-MM-DD, not picked in the browser's locale.
    const from = list.getByLabel('批次日期从');
    expect(await from.getAttribute('type')).toBe('text');
    expect(await from.getAttribute('placeholder')).toBe('YYYY-MM-DD');
    await from.fill('2025-06-01');
    await list.getByRole('button', { name: '查询' }).click();
    await expect.poll(() => list.locator('tbody tr').count()).toBe(1);
    expect(await list.locator('tbody tr').first().textContent()).toContain('2025年6月生活补助');

    // A day that does not exist is refused by the API, beside the field.
    await from.fill('2025-02-30');
    await list.getByRole('button', { name: '查询' }).click();
    await expect.poll(() => list.locator('.field-error').count()).toBe(1);

    await from.fill('');
    await list.getByRole('button', { name: '查询' }).click();
    await expect.poll(() => list.locator('tbody tr').count()).toBe(2);
    await list.locator('tbody tr').nth(1).getByRole('button', { name: '各户明细' }).click();
    const lines = page.locator('section', { has: page.locator('h2', { hasText: '批次明细：2025年6月生活补助（2025-06-20）' }) });
    await expect.poll(() => lines.locator('tbody tr').count()).toBe(2);
    expect((await lines.locator('tbody').textContent()) ?? '').toContain('已支付');
    await screenshot(page, 'batches');
    expect(consoleErrors(page)).toEqual([]);
  }, 60_000);
});
