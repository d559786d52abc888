// The keys page (密钥) in a real browser: an admin issues an officer's key scoped to a fund, sees its token
// once with a copy button and the warning, finds it in the list with its reach and no use yet, and revokes
// it, after which the token is refused; a scoped role without a scope is refused beside the field.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, type TestApp } from '../helpers/app.js';
import { createPreventionFund } from '../helpers/fixtures.js';
import { consoleErrors, openConsole, screenshot, signIn, skipBrowserTests } from './browser.js';

describe.skipIf(skipBrowserTests)('web console: keys', () => {
  let t: TestApp;
  let browser: Browser;
  let url: string;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ t, url, browser, close } = await openConsole());
    await createPreventionFund(t, { name: '青山乡防止返贫专项基金' });
  }, 120_000);

  afterAll(() => close?.());

  const keyCount = async () => (await t.call('GET', '/v1/api-keys?limit=500')).body.items.length as number;

  it('issues a scoped key shown once, lists it, and revokes it', async () => {
    const page = await signIn(browser, url, ADMIN_TOKEN);
    await page.goto(`${url}#/keys`);
    const form = page.locator('section', { has: page.getByRole('heading', { name: '发放密钥' }) });
    await form.getByLabel('持有人').fill('乡财政所 王𪚥');
    const before = await keyCount();
    await form.getByRole('button', { name: '发放密钥' }).click();
    await expect.poll(() => form.locator('.field-error').count()).toBe(1);
    expect(await form.locator('.field-error').textContent()).toContain('管辖的乡镇或基金');
    expect(await keyCount()).toBe(before);

    await form.getByLabel('青山乡防止返贫专项基金').check();
    await form.getByRole('button', { name: '发放密钥' }).click();
    const token = (await form.locator('code.token').textContent({ timeout: 10_000 }))!.trim();
    expect(token).toMatch(/^fl_[A-Za-z0-9_-]{43}$/);
    expect(await form.textContent()).toContain('只显示这一次');
    expect(await form.getByRole('button', { name: '复制' }).count()).toBe(1);
    const me = await t.call('GET', '/v1/me', { token });
    expect(me.body).toMatchObject({ name: '乡财政所 王𪚥', role: 'officer' });

    const list = page.locator('section', { has: page.getByRole('heading', { name: '密钥列表' }) });
    const row = list.locator('tbody tr', { hasText: '乡财政所 王𪚥' });
    await row.waitFor();
    expect(await row.textContent()).toMatch(/经办员.*青山乡防止返贫专项基金.*初始管理员/);
    expect(await row.textContent()).toContain('有效');

    await row.getByRole('button', { name: '吊销' }).click();
    await row.getByRole('button', { name: '确认吊销 乡财政所 王𪚥' }).click();
    await expect.poll(async () => (await list.locator('tbody tr', { hasText: '乡财政所 王𪚥' }).textContent()) ?? '').toContain('已吊销');
    expect((await t.call('GET', '/v1/me', { token })).status).toBe(401);
    await screenshot(page, 'keys');
    expect(consoleErrors(page)).toEqual([]);
  }, 60_000);
});
