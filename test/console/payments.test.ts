// The households and payments pages in a real browser (Debian's Chromium through playwright-core), against
// the real service on the embedded PGlite: an officer requests a medical subsidy, refusals are shown beside
// their fields with nothing written, an admin key never sees its own request in its approval queue, an
// approver who requested nothing approves and pays it with a bank reference; the household's page then
// shows its monitoring status and the benefit paid.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { backends } from '../helpers/database.js';
import { startApp, type TestApp } from '../helpers/app.js';
import { createHousehold, createVillage } from '../helpers/fixtures.js';
import { fundedPreventionFund, written } from '../disbursements/setup.js';
import { consoleErrors, launch, listen, screenshot, signIn, skipBrowserTests } from './browser.js';

describe.skipIf(skipBrowserTests)('web console: households and payments', () => {
  let t: TestApp;
  let browser: Browser;
  let url: string;
  const keys: Record<'officer' | 'approver' | 'admin', { token: string; id: string }> = {} as never;
  let fundId: string;
  let householdId: string;
  let householdCode: string;
  let secondHouseholdId: string;
  let batchId: string;
  let ownRequestId: string;
  let officerRequestId: string;

  beforeAll(async () => {
    t = await startApp(backends[0]!);
    url = await listen(t);
    browser = await launch();
    for (const role of ['officer', 'approver', 'admin'] as const) {
      const token = await t.keyFor(role);
      keys[role] = { token, id: (await t.call('GET', '/v1/me', { token })).body.id };
    }
    // 30,000 in the bank; at most 20,000 of medical subsidy per household and year.
    fundId = (await fundedPreventionFund(t, '30000.00', { name: '青山乡防止返贫专项基金', yearlyCaps: { medical_subsidy: '20000.00' } })).fundId;
    const village = await createVillage(t, '青山村');
    householdId = await createHousehold(t, village, '2025-01-01', '李四海');
    secondHouseholdId = await createHousehold(t, village, '2025-01-01', '王五福');
    householdCode = (await t.call('GET', `/v1/households/${householdId}`)).body.code;
    // A second admin key asks for temporary relief beyond the money there is: its own request, never in
    // its own queue; refused for want of money when approved.
    const own = await t.call('POST', '/v1/disbursements', {
      token: keys.admin.token,
      body: { fundId, householdId, category: 'temporary_relief', amount: '40000.00', date: '2025-06-15' },
    });
    expect(own.status, JSON.stringify(own.body)).toBe(201);
    ownRequestId = own.body.id;
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  const queue = (page: Page) => page.locator('section', { has: page.locator('h2', { hasText: '审批队列' }) });

  it('an officer requests a medical subsidy; refusals are shown beside their fields and write nothing', async () => {
    const page = await signIn(browser, url, keys.officer.token);
    await page.goto(`${url}#/payments`);
    const household = page.locator('select[name=householdId]');
    await household.locator(`option[value="${householdId}"]`).waitFor({ state: 'attached' });
    await household.selectOption(householdId);
    await page.locator('select[name=category]').first().selectOption('medical_subsidy');
    const before = await written(t);
    const requestForm = page.locator('form', { has: page.getByRole('button', { name: '提交申请' }) });
    const amountInput = requestForm.locator('input[name=amount]');

    // Typed wrong: caught before anything is sent.
    await amountInput.fill('12.345');
    await page.getByRole('button', { name: '提交申请' }).click();
    const amountField = requestForm.locator('[data-field=amount]');
    await expect.poll(() => amountField.locator('.field-error').textContent()).toContain('不是有效金额');

    // Refused by the API: over the household's yearly cap, beside the amount.
    await amountInput.fill('25,000');
    await page.getByRole('button', { name: '提交申请' }).click();
    await expect.poll(() => amountField.locator('.field-error').textContent()).toMatch(/超过年度上限：\d{4} 年本户医疗补贴最多 20,000\.00 元，已审批或支付 0\.00 元，尚可申请 20,000\.00 元/);
    await screenshot(page, 'payments-refused');
    expect(await written(t)).toEqual(before);

    await amountInput.fill('1,234.5');
    await page.getByRole('button', { name: '提交申请' }).click();
    await expect.poll(() => page.locator('.notice').first().textContent()).toContain('医疗补贴 1,234.50 元，状态：待审批');
    expect(await amountField.locator('.field-error').count()).toBe(0);
    const requested = (await t.call('GET', `/v1/disbursements?fundId=${fundId}&status=requested`)).body.items;
    const mine = requested.filter((d: any) => d.requestedBy === keys.officer.id);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ householdId, category: 'medical_subsidy', amount: '1234.50' });
    officerRequestId = mine[0].id;

    // A monthly living allowance for both monitored households, one line each; a bad line is refused in its row.
    const batchForm = page.locator('form', { has: page.getByRole('button', { name: '提交批量申请' }) });
    await batchForm.getByLabel('每户金额（元）').fill('300');
    await batchForm.getByRole('button', { name: '列出在监测农户' }).click();
    const lines = batchForm.locator('tbody tr');
    await expect.poll(() => lines.count()).toBe(2);
    const second = lines.filter({ hasText: '王五福' });
    await second.locator('input[inputmode=decimal]').fill('3.001');
    const beforeBatch = await written(t);
    await batchForm.getByRole('button', { name: '提交批量申请' }).click();
    await expect.poll(() => second.locator('.field-error').textContent()).toContain('不是有效金额');
    expect(await written(t)).toEqual(beforeBatch);
    await second.locator('input[inputmode=decimal]').fill('300.00');
    await batchForm.getByRole('button', { name: '提交批量申请' }).click();
    await expect.poll(() => batchForm.locator('.notice').textContent()).toMatch(/2 户，合计 600\.00 元，状态：待审批/);
    const batchLines = (await t.call('GET', `/v1/disbursements?fundId=${fundId}&category=living_allowance`)).body.items;
    expect(batchLines.map((d: any) => [d.amount, d.status])).toEqual([['300.00', 'requested'], ['300.00', 'requested']]);
    batchId = batchLines[0].batchId;
    expect(batchLines[1].batchId).toBe(batchId);

    // An officer approves nothing: no queue on the page (and the register shows the request).
    expect(await queue(page).count()).toBe(0);
    const register = page.locator('section', { has: page.locator('h2', { hasText: '支付登记簿' }) });
    await expect.poll(() => register.locator('tbody tr', { hasText: '1,234.50' }).textContent()).toContain('待审批');
    await page.evaluate(() => window.scrollTo(0, 0));
    await screenshot(page, 'payments-request');
    expect(consoleErrors(page)).toEqual([]);
    await page.context().close();
  }, 60_000);

  it('never queues a key’s own request; an approver approves and pays another’s, refusals shown in the row', async () => {
    // The second admin may approve, but not what it requested itself.
    const admin = await signIn(browser, url, keys.admin.token);
    await admin.goto(`${url}#/payments`);
    const adminQueue = queue(admin).locator('.pager').first();
    await expect.poll(() => adminQueue.textContent()).toContain('1,234.50');
    expect(await adminQueue.textContent()).not.toContain('40,000.00');
    await admin.context().close();

    const page = await signIn(browser, url, keys.approver.token);
    await page.goto(`${url}#/payments`);
    expect(await page.locator('h2', { hasText: '申请支付' }).count()).toBe(0);
    const pending = queue(page).locator('.pager').nth(0);
    const toPay = queue(page).locator('.pager').nth(1);
    // Each row a payment or a batch (a batch's lines, under its row, open with 各户明细).
    await expect.poll(() => pending.locator('tbody tr:not(.batch-lines)').count()).toBe(3);
    expect(await pending.locator('tbody tr', { hasText: '批次' }).textContent()).toContain('600.00');
    await screenshot(page, 'payments');

    // 40,000 asked, 30,000 in the bank: refused in its row, nothing reserved.
    const big = pending.locator('tbody tr', { hasText: '40,000.00' });
    const before = await written(t);
    await big.getByRole('button', { name: '审批', exact: true }).click();
    await expect.poll(() => big.locator('.form-error').textContent()).toContain('余额不足：基金可用余额只有 30,000.00 元，还差 10,000.00 元。');
    expect(await written(t)).toEqual(before);
    expect((await t.call('GET', `/v1/disbursements/${ownRequestId}`)).body.status).toBe('requested');

    await pending.locator('tbody tr', { hasText: '1,234.50' }).getByRole('button', { name: '审批', exact: true }).click();
    const row = toPay.locator('tbody tr', { hasText: '1,234.50' });
    await row.waitFor();
    // A reference is required before anything is sent.
    await row.getByRole('button', { name: '标记已支付' }).click();
    await expect.poll(() => row.locator('[data-field=bankReference] .field-error').textContent()).toContain('请填写银行回单号');
    await row.getByLabel('银行回单号').fill('YKT-2025-06-0042');
    await row.getByRole('button', { name: '标记已支付' }).click();
    const register = page.locator('section', { has: page.locator('h2', { hasText: '支付登记簿' }) });
    await expect.poll(() => register.locator('tbody tr', { hasText: '1,234.50' }).textContent()).toContain('已支付');
    expect(await register.locator('tbody tr', { hasText: '1,234.50' }).textContent()).toContain('YKT-2025-06-0042');

    // The batch: approved and paid as a whole, with one bank reference.
    await pending.locator('tbody tr', { hasText: '批次' }).getByRole('button', { name: '整批审批' }).click();
    const batchRow = toPay.locator('tbody tr', { hasText: '批次' });
    await batchRow.getByLabel('银行回单号').fill('YKT-2025-06-0100');
    await batchRow.getByRole('button', { name: '整批标记已支付' }).click();
    await expect.poll(() => toPay.textContent()).toContain('没有待支付的款项');
    const batch = (await t.call('GET', `/v1/disbursement-batches/${batchId}`)).body;
    expect(batch).toMatchObject({ status: 'paid', bankReference: 'YKT-2025-06-0100', approvedBy: keys.approver.id, total: '600.00' });

    const paid = (await t.call('GET', `/v1/disbursements/${officerRequestId}`)).body;
    expect(paid).toMatchObject({ status: 'paid', bankReference: 'YKT-2025-06-0042', approvedBy: keys.approver.id, requestedBy: keys.officer.id });
    expect(consoleErrors(page)).toEqual([]);
    await page.context().close();
  }, 60_000);

  it('finds the household by code and by name; its page shows the monitoring status and the benefit paid', async () => {
    const page = await signIn(browser, url, keys.officer.token);
    await page.goto(`${url}#/households`);
    const search = page.getByLabel('户编号或户主姓名');
    await search.fill('李四');
    await page.getByRole('button', { name: '查询' }).click();
    const results = page.locator('.pager tbody tr');
    await expect.poll(() => results.count()).toBe(1);
    expect(await results.textContent()).toContain(householdCode);

    await search.fill(householdCode);
    await page.getByRole('button', { name: '查询' }).click();
    await expect.poll(() => results.first().textContent()).toContain('李四海');
    expect(await results.count()).toBe(1);
    expect(await results.textContent()).toContain('监测中（脱贫不稳定户，2025-01-01 起）');
    await screenshot(page, 'households');

    await page.getByRole('link', { name: householdCode }).click();
    await page.locator('h1', { hasText: `农户 ${householdCode}` }).waitFor();
    expect(await page.locator('.figures').textContent()).toContain('监测中（脱贫不稳定户，2025-01-01 起）');
    const history = page.locator('section', { has: page.locator('h2', { hasText: '监测记录' }) });
    expect(await history.locator('tbody tr').first().textContent()).toBe('脱贫不稳定户因病2025-01-01—');
    const benefits = page.locator('section', { has: page.locator('h2', { hasText: '享受帮扶' }) });
    // The medical subsidy and its line of the monthly batch, totalled by category.
    const byCategory = await benefits.locator('table').first().locator('tbody tr').allTextContents();
    expect(byCategory.sort()).toEqual(['医疗补贴11,234.50', '生活补助1300.00']);
    expect(await benefits.textContent()).toContain('合计 1,534.50 元（2 笔）');
    const lines = await benefits.locator('table').nth(1).locator('tbody tr').allTextContents();
    expect(lines.find((l) => l.includes('医疗补贴'))).toMatch(/YKT-2025-06-00421,234\.50$/);
    expect(lines.find((l) => l.includes('生活补助'))).toMatch(/YKT-2025-06-0100300\.00$/);
    await screenshot(page, 'household');

    // An officer records that another household's risk was eliminated today, then includes it again.
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
    await page.goto(`${url}#/households/${secondHouseholdId}`);
    await page.getByLabel('消除原因').fill('务工收入稳定，超过监测线');
    await page.getByRole('button', { name: '登记风险消除（销号）' }).click();
    await expect.poll(() => page.locator('.figures').textContent()).toContain(`未在监测（${today} 风险消除）`);
    expect(await history.locator('tbody tr').first().textContent()).toContain('务工收入稳定，超过监测线');
    // Nothing ticked: refused beside the boxes, nothing sent.
    await page.getByRole('button', { name: '纳入监测' }).click();
    await expect.poll(() => page.locator('[data-field=riskCauses] .field-error').textContent()).toContain('请至少选择一项风险类型');
    await page.getByLabel('因残').check();
    await page.getByRole('button', { name: '纳入监测' }).click();
    await expect.poll(() => page.locator('.figures').textContent()).toContain(`监测中（脱贫不稳定户，${today} 起）`);
    const periods = (await t.call('GET', `/v1/households/${secondHouseholdId}`)).body.monitoring;
    expect(periods).toHaveLength(2);
    expect(periods[1]).toMatchObject({ category: 'unstable', riskCauses: ['disability'], since: today, eliminatedOn: null });
    expect(consoleErrors(page)).toEqual([]);
    await page.context().close();
  }, 60_000);

  const shanghaiToday = () => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
  const ok = (reply: { status: number; body: any }, status = 201) => {
    expect(reply.status, JSON.stringify(reply.body)).toBe(status);
    return reply.body;
  };
  // The queue's two lists (待审批, 已审批待支付): the section's own divs, not the pagers of a batch's lines inside them.
  const lists = (page: Page) => queue(page).locator(':scope > div');

  it('a batch with one bad line: the line is failed from the page, then the rest is approved and paid', async () => {
    const village = await createVillage(t, '白石村');
    const stays = await createHousehold(t, village, '2025-01-01', '赵一明');
    const leaves = await createHousehold(t, village, '2025-01-01', '钱二红');
    const leavesCode = ok(await t.call('GET', `/v1/households/${leaves}`), 200).code;
    const description = '2025年7月生活补助（白石村）';
    const batch = ok(
      await t.call('POST', '/v1/disbursement-batches', {
        token: keys.officer.token,
        body: { fundId, category: 'living_allowance', date: '2025-07-15', description, items: [{ householdId: stays, amount: '250.00' }, { householdId: leaves, amount: '250.00' }] },
      }),
    );
    // One household leaves monitoring today: the batch's approval, posted today, refuses its line.
    ok(await t.call('POST', `/v1/households/${leaves}/monitoring/eliminate`, { body: { date: shanghaiToday(), reason: '务工收入稳定' } }), 200);

    const page = await signIn(browser, url, keys.approver.token);
    await page.goto(`${url}#/payments`);
    const pending = lists(page).nth(0);
    const toPay = lists(page).nth(1);
    const row = pending.locator('tbody tr', { hasText: description }).first();
    await row.waitFor();
    const before = await written(t);
    await row.getByRole('button', { name: '整批审批' }).click();
    await expect.poll(() => row.locator('.form-error').textContent()).toContain('整批未办理：有 1 户不能办理');
    expect(await written(t)).toEqual(before);
    expect(ok(await t.call('GET', `/v1/disbursement-batches/${batch.id}`), 200).status).toBe('requested');

    // The batch's lines open under its row, the refused one named with its reason and a 标记失败 of its own.
    const lines = pending.locator('tr.batch-lines', { hasText: description });
    await expect.poll(() => lines.isVisible()).toBe(true);
    const refused = lines.locator('table').first();
    await expect.poll(() => refused.textContent()).toContain(leavesCode);
    expect(await refused.textContent()).toContain('已离开监测');
    expect(await lines.locator('.pager tbody tr').count()).toBe(2);
    expect(await lines.locator('.pager tbody tr', { hasText: leavesCode }).textContent()).toContain('不能办理');
    await screenshot(page, 'payments-batch-refused');
    await refused.getByRole('button', { name: '标记失败' }).click();
    await expect.poll(() => refused.locator('[data-field=reason] .field-error').textContent()).toContain('请填写失败原因');
    await refused.getByLabel('失败原因').fill('该户已于今日风险消除');
    await refused.getByRole('button', { name: '标记失败' }).click();
    const failedLine = () => t.call('GET', `/v1/disbursements?fundId=${fundId}&householdId=${leaves}`).then((r) => r.body.items[0]);
    await expect.poll(async () => (await failedLine()).status).toBe('failed');
    expect((await failedLine()).failureReason).toBe('该户已于今日风险消除');

    // The rest approved, then paid with one bank reference.
    await expect.poll(() => row.textContent()).toContain('其中 1 户已失败');
    await row.getByRole('button', { name: '整批审批' }).click();
    const payRow = toPay.locator('tbody tr', { hasText: description }).first();
    await payRow.waitFor();
    await payRow.getByLabel('银行回单号').fill('YKT-2025-07-0007');
    await payRow.getByRole('button', { name: '整批标记已支付' }).click();
    await expect.poll(async () => ok(await t.call('GET', `/v1/disbursement-batches/${batch.id}`), 200).status).toBe('paid');
    const paid = ok(await t.call('GET', `/v1/disbursement-batches/${batch.id}`), 200);
    expect(paid).toMatchObject({ bankReference: 'YKT-2025-07-0007', byStatus: { paid: { count: 1, amount: '250.00' }, failed: { count: 1, amount: '250.00' } } });
    expect(paid.items.find((d: any) => d.householdId === stays).status).toBe('paid');
    expect(consoleErrors(page)).toEqual([]);
    await page.context().close();
  }, 60_000);

  it('an approver marks a single payment failed with a reason', async () => {
    const request = ok(
      await t.call('POST', '/v1/disbursements', { token: keys.officer.token, body: { fundId, householdId, category: 'temporary_relief', amount: '123.45', date: '2025-08-01' } }),
    );
    const page = await signIn(browser, url, keys.approver.token);
    await page.goto(`${url}#/payments`);
    const row = lists(page).nth(0).locator('tbody tr', { hasText: '123.45' });
    await row.waitFor();
    await row.getByLabel('失败原因').fill('一卡通账户已销户');
    await row.getByRole('button', { name: '标记失败' }).click();
    await expect.poll(async () => ok(await t.call('GET', `/v1/disbursements/${request.id}`), 200).status).toBe('failed');
    expect(ok(await t.call('GET', `/v1/disbursements/${request.id}`), 200).failureReason).toBe('一卡通账户已销户');
    const register = page.locator('section', { has: page.locator('h2', { hasText: '支付登记簿' }) });
    await expect.poll(() => register.locator('tbody tr', { hasText: '123.45' }).textContent()).toContain('已失败');
    expect(await register.locator('tbody tr', { hasText: '123.45' }).textContent()).toContain('一卡通账户已销户');
    expect(await lists(page).nth(0).locator('tbody tr', { hasText: '123.45' }).count()).toBe(0);
    expect(consoleErrors(page)).toEqual([]);
    await page.context().close();
  }, 60_000);
});
