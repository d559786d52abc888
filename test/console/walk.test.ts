// A newcomer's whole path in the browser alone, on a fresh install: the admin signs in with the bootstrap
// token, opens a fund, adds villages, imports the households (a file with one bad line refused whole, then
// the fixed file), registers an industry and its rule, issues an officer's and an approver's key (tokens
// copied); the officer records a dividend and requests a payment; the approver approves and pays it; the
// household's statement PDF names both people. Names carry rare characters throughout.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkCharacter } from '../../src/households/id-numbers.js';
import { ADMIN_TOKEN, type TestApp } from '../helpers/app.js';
import { consoleErrors, openConsole, screenshot, signIn, skipBrowserTests } from './browser.js';

const today = () => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
const idNumber = (n: number) => {
  const first17 = `51070219800101${String(n).padStart(3, '0')}`;
  return first17 + checkCharacter(first17);
};
const spoilt = (id: string) => id.slice(0, 17) + (id[17] === '0' ? '1' : '0');

describe.skipIf(skipBrowserTests)('web console: from an empty install to a printed statement', () => {
  let t: TestApp;
  let browser: Browser;
  let url: string;
  let close: () => Promise<void>;
  const downloads = join(tmpdir(), `console-walk-${process.pid}`);
  const tokens: Record<'officer' | 'approver', string> = {} as never;

  beforeAll(async () => {
    ({ t, url, browser, close } = await openConsole());
    mkdirSync(downloads, { recursive: true });
  }, 120_000);

  afterAll(() => close?.());

  const count = async (path: string) => (await t.call('GET', `${path}${path.includes('?') ? '&' : '?'}limit=500`)).body.items.length as number;
  const section = (page: Page, title: string) => page.locator('section', { has: page.getByRole('heading', { name: title, exact: true }) });
  const signOut = async (page: Page) => {
    await page.getByRole('button', { name: '退出' }).click();
    await page.context().close();
  };

  it('the admin opens a fund, adds villages, imports households and registers an industry', async () => {
    const page = await signIn(browser, url, ADMIN_TOKEN);
    await page.getByRole('link', { name: '前往“基金”页开始使用' }).click();
    const open = section(page, '开设基金');
    await open.getByLabel('基金编码').fill('QS-FPJJ');
    await open.getByLabel('基金名称').fill('青山乡防止返贫专项基金');
    await open.getByLabel('主管单位').fill('某县青山乡人民政府');
    await open.getByLabel('资金用途').fill('防止返贫监测帮扶');
    await open.getByLabel('所属乡镇').fill('青山乡');
    await open.getByLabel('医疗补贴', { exact: true }).check();
    await open.getByLabel('临时救助', { exact: true }).check();
    await open.getByRole('button', { name: '开设基金' }).click();
    await section(page, '科目表：青山乡防止返贫专项基金').locator('tbody tr').first().waitFor();

    // 村: three villages, one corrected after a typing slip.
    await page.getByRole('link', { name: '村', exact: true }).click();
    const add = section(page, '登记村');
    for (const [code, name] of [['QS-001', '青山村'], ['QS-002', '绿水村'], ['QS-003', '百云村']]) {
      await add.getByLabel('村编码').fill(code!);
      await add.getByLabel('村名').fill(name!);
      await add.getByLabel('乡镇').fill('青山乡');
      await add.getByLabel('县').fill('某县');
      await add.getByRole('button', { name: '登记村' }).click();
      await page.locator('tbody tr', { hasText: code! }).waitFor();
    }
    await page.getByRole('button', { name: '修改 百云村' }).click();
    const edit = page.getByRole('form', { name: '修改 百云村' });
    await edit.getByLabel('村名').fill('白云村');
    await edit.getByRole('button', { name: '保存' }).click();
    await page.locator('tbody tr', { hasText: '白云村' }).waitFor();
    expect((await t.call('GET', '/v1/villages')).body.items.map((v: any) => `${v.code} ${v.name} ${v.township}`)).toEqual([
      'QS-001 青山村 青山乡',
      'QS-002 绿水村 青山乡',
      'QS-003 白云村 青山乡',
    ]);
    await screenshot(page, 'walk-villages');

    // 农户: the template, then a roster with one mistyped ID number: refused whole, the line named.
    await page.getByRole('link', { name: '农户', exact: true }).click();
    const importing = section(page, '导入农户名单（CSV）');
    const [template] = await Promise.all([page.waitForEvent('download'), importing.getByRole('button', { name: '下载模板' }).click()]);
    const templateFile = join(downloads, 'template.csv');
    await template.saveAs(templateFile);
    const header = readFileSync(templateFile, 'utf8').split('\r\n')[0]!;
    expect(header).toBe('\ufeff户编号,户主姓名,身份证号,村编码,家庭人口,监测类型,风险类型,纳入监测日期,风险消除日期,消除原因');
    const rows = [
      `QS-H001,王𪚥明,${idNumber(1)},QS-001,3,边缘易致贫户,因病,2025-01-01,,`,
      `QS-H002,李四海,${idNumber(2)},QS-001,4,脱贫不稳定户,因学,2025-03-01,,`,
      `QS-H003,张秀英,${idNumber(3)},QS-002,2,突发严重困难户,因灾,2025-06-01,,`,
    ];
    const file = (lines: string[]) => ({ name: '农户名单.csv', mimeType: 'text/csv', buffer: Buffer.from(`${header}\r\n${lines.join('\r\n')}\r\n`) });
    const bad = [...rows];
    bad[1] = bad[1]!.replace(idNumber(2), spoilt(idNumber(2)));
    await importing.getByLabel('CSV 文件').setInputFiles(file(bad));
    await importing.getByRole('button', { name: '导入' }).click();
    await expect.poll(() => importing.locator('.form-error').textContent()).toContain('整份文件未导入');
    expect(await importing.locator('tbody tr').allTextContents()).toEqual(['3身份证号身份证号校验位不对']);
    expect(await count('/v1/households')).toBe(0);
    await screenshot(page, 'walk-import-refused');

    await importing.getByLabel('CSV 文件').setInputFiles(file(rows));
    await importing.getByRole('button', { name: '导入' }).click();
    await expect.poll(() => importing.locator('.notice').textContent()).toContain('导入完成：共 3 行');
    expect(await importing.locator('.figures').textContent()).toContain('新登记农户3');
    expect(await count('/v1/households')).toBe(3);

    // One more by hand: the mistyped number caught on the page, the registered one shown masked.
    const register = section(page, '登记农户');
    await register.getByLabel('户编号').fill('QS-H004');
    await register.getByLabel('户主姓名').fill('赵六');
    await register.getByLabel('户主身份证号').fill(spoilt(idNumber(4)));
    await register.locator('select[name=villageId]').selectOption({ label: '白云村（QS-003）' });
    await register.getByRole('button', { name: '登记农户' }).click();
    await expect.poll(() => register.locator('[data-field=idNumber] .field-error').textContent()).toContain('校验位');
    expect(await count('/v1/households')).toBe(3);
    await register.getByLabel('户主身份证号').fill(idNumber(4));
    await register.getByRole('button', { name: '登记农户' }).click();
    const masked = `${idNumber(4).slice(0, 4)}**********${idNumber(4).slice(-4)}`;
    await expect.poll(() => register.locator('.notice').textContent()).toContain(`已登记 QS-H004 赵六，身份证号 ${masked}`);
    expect(await page.content()).not.toContain(idNumber(4));

    // 产业: the cattle enterprise in 青山村, 40% to it, the rest shared by the two radiating villages.
    await page.getByRole('link', { name: '产业', exact: true }).click();
    const industry = section(page, '登记产业及分配规则（第 1 版）');
    await industry.getByLabel('项目名称').fill('某县肉牛养殖有限公司（东西部协作资金入股）');
    await industry.locator('select[name=projectVillageId]').selectOption({ label: '青山村（QS-001）' });
    await industry.getByLabel('项目所在村分成比例（%）').fill('40');
    await industry.getByLabel('辐射村 绿水村').check();
    await industry.getByLabel('辐射村 白云村').check();
    await industry.getByRole('button', { name: '登记产业' }).click();
    const detail = section(page, '产业：某县肉牛养殖有限公司（东西部协作资金入股）');
    await expect.poll(() => detail.locator('tbody tr').first().textContent()).toContain('40%');
    expect(await detail.locator('tbody tr').first().textContent()).toContain('绿水村 1、白云村 1');
    const [registered] = (await t.call('GET', '/v1/industries')).body.items;
    expect(registered.rules[0]).toMatchObject({ version: 1, projectVillageShare: '0.40000000', radiatingShare: '0.60000000' });
    await screenshot(page, 'walk-industry');
    expect(consoleErrors(page)).toEqual([]);

    // 密钥: an officer and an approver of 青山乡, each token copied from the page.
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    await page.getByRole('link', { name: '密钥', exact: true }).click();
    const issue = section(page, '发放密钥');
    for (const [role, name, label] of [['officer', '乡财政所 赵𠮷', '经办员'], ['approver', '乡财政所所长 陈﨎', '审批员']] as const) {
      await issue.getByLabel('持有人').fill(name);
      await issue.locator('select[name=role]').selectOption({ label });
      await issue.getByLabel('青山乡', { exact: true }).check();
      await issue.getByRole('button', { name: '发放密钥' }).click();
      await expect.poll(() => issue.locator('.notice').first().textContent()).toContain(`已为 ${name}`);
      await issue.getByRole('button', { name: '复制' }).click();
      await expect.poll(() => issue.locator('[role=status]').last().textContent()).toBe('已复制。');
      tokens[role] = await page.evaluate(() => navigator.clipboard.readText());
      expect(tokens[role]).toBe((await issue.locator('code.token').textContent())!.trim());
    }
    await signOut(page);
  }, 120_000);

  it('the officer records a dividend and requests a payment; the approver approves and pays it', async () => {
    const officer = await signIn(browser, url, tokens.officer);
    await officer.getByRole('link', { name: '登记分红' }).click();
    await officer.getByLabel('分红金额（元）').fill('100,000');
    await officer.getByLabel('凭证号').fill('NSH-2026-0412');
    await officer.getByRole('button', { name: '预览分配' }).click();
    await expect.poll(() => officer.locator('.preview .notice').textContent()).toContain('一致，分毫不差');
    await officer.getByRole('button', { name: '确认入账' }).click();
    await expect.poll(() => officer.locator('h2', { hasText: '已入账' }).count()).toBe(1);

    await officer.getByRole('link', { name: '支付', exact: true }).click();
    const request = section(officer, '申请支付');
    await request.locator('select[name=villageId]').selectOption({ label: '青山村分配资金（QS-001）' });
    const household = request.locator('select[name=householdId]');
    await expect.poll(() => household.locator('option').count()).toBeGreaterThan(2);
    await household.selectOption({ label: 'QS-H001 王𪚥明（青山村）' });
    await request.getByLabel('金额（元）').fill('3,000');
    await request.getByRole('button', { name: '提交申请' }).click();
    await expect.poll(() => request.locator('.notice').textContent()).toContain('医疗补贴 3,000.00 元，状态：待审批');
    expect(consoleErrors(officer)).toEqual([]);
    await signOut(officer);

    const approver = await signIn(browser, url, tokens.approver);
    await approver.getByRole('link', { name: '支付', exact: true }).click();
    const queue = section(approver, '审批队列');
    const pending = queue.locator('.pager').nth(0).locator('tbody tr', { hasText: '3,000.00' });
    await pending.getByRole('button', { name: '审批', exact: true }).click();
    const toPay = queue.locator('.pager').nth(1).locator('tbody tr', { hasText: '3,000.00' });
    await toPay.getByLabel('银行回单号').fill('YKT-2026-12-0001');
    await toPay.getByRole('button', { name: '标记已支付' }).click();
    const register = section(approver, '支付登记簿');
    await expect.poll(() => register.locator('tbody tr', { hasText: '3,000.00' }).textContent()).toContain('已支付');
    const row = (await register.locator('tbody tr', { hasText: '3,000.00' }).textContent())!;
    expect(row).toContain('赵𠮷');
    expect(row).toContain('陈﨎');
    await screenshot(approver, 'walk-paid');

    // The household's statement, as the approver prints it.
    await approver.getByRole('link', { name: '报表', exact: true }).click();
    await approver.locator('select[name=kind]').selectOption({ label: '农户帮扶明细表' });
    await approver.locator('select[name=villageId]').selectOption({ label: '青山村（QS-001）' });
    await approver.locator('select[name=householdId]').selectOption({ label: 'QS-H001 王𪚥明' });
    await approver.getByLabel('截止日期').fill(today());
    const [pdf] = await Promise.all([approver.waitForEvent('download'), approver.getByRole('button', { name: '下载', exact: true }).click()]);
    const pdfFile = join(downloads, 'household.pdf');
    await pdf.saveAs(pdfFile);
    const text = execFileSync('pdftotext', ['-layout', pdfFile, '-'], { encoding: 'utf8' });
    writeFileSync(join(downloads, 'household.txt'), text);
    expect(text).toContain('王𪚥明');
    expect(text).toContain('3,000.00');
    expect(text).toContain('赵𠮷');
    expect(text).toContain('陈﨎');
    expect(consoleErrors(approver)).toEqual([]);
    await signOut(approver);
  }, 120_000);
});
