// The 银行对账 page in a real browser: an officer imports last month's bank statement — a file with a broken
// running balance refused by line, then the right one — sees the 调节表 and the items outstanding on both
// sides, matches a bank fee charged in two lines to the one voucher that books it by picking them, undoes
// the match, and downloads the 调节表 as PDF.
import { execFileSync } from 'node:child_process';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TestApp } from '../helpers/app.js';
import { createPreventionFund } from '../helpers/fixtures.js';
import { consoleErrors, openConsole, screenshot, signIn, skipBrowserTests } from './browser.js';

const ACCOUNT = '6228480012345678901';
const lastMonth = () => {
  const [y, m] = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date()).split('-').map(Number);
  return m === 1 ? `${y! - 1}-12` : `${y}-${String(m! - 1).padStart(2, '0')}`;
};

describe.skipIf(skipBrowserTests)('web console: bank reconciliation', () => {
  let t: TestApp;
  let browser: Browser;
  let url: string;
  let close: () => Promise<void>;
  let fundId: string;
  let officer: string;
  const month = lastMonth();
  const day = (d: string) => `${month}-${d}`;
  const monthEnd = day(String(new Date(Date.UTC(Number(month.slice(0, 4)), Number(month.slice(5)), 0)).getUTCDate()));
  const statement = (feeBalance = '599,970.00') =>
    `\ufeff账号,${ACCOUNT}\r\n起始日期,${day('01')}\r\n截止日期,${monthEnd}\r\n期初余额,0.00\r\n期末余额,"599,950.00"\r\n` +
    '交易日期,摘要,收入金额,支出金额,余额,对方户名,流水号\r\n' +
    `${day('05')},捐赠 JZ-05,"500,000.00",,"500,000.00",某银行某县支行,B05\r\n` +
    `${day('12')},财政拨款,"100,000.00",,"600,000.00",某县财政局,B12\r\n` +
    `${day('28')},短信服务费,,30.00,"${feeBalance}",,B28A\r\n` +
    `${day('28')},账户管理费,,20.00,"599,950.00",,B28B\r\n`;

  beforeAll(async () => {
    ({ t, url, browser, close } = await openConsole());
    officer = await t.keyFor('officer');
    fundId = (await createPreventionFund(t, { name: '青山乡防止返贫专项基金', bankAccountNumber: ACCOUNT, bankName: '某农商银行某支行' })).fundId;
    const income = (body: object) => t.call('POST', `/v1/funds/${fundId}/income`, { body });
    expect((await income({ source: 'donation', payer: '某银行某县支行', date: day('05'), amount: '500000.00', reference: 'JZ-05' })).status).toBe(201);
    expect((await income({ source: 'fiscal_transfer', payer: '某县财政局', date: day('10'), amount: '100000.00' })).status).toBe(201);
  }, 120_000);

  afterAll(() => close?.());

  const section = (page: Page, title: RegExp | string) => page.locator('section', { has: page.getByRole('heading', { name: title }) });
  const file = (text: string) => ({ name: '对账单.csv', mimeType: 'text/csv', buffer: Buffer.from(text) });

  it('imports the statement, matches by picking, undoes, and prints the 调节表', async () => {
    const page = await signIn(browser, url, officer);
    await page.getByRole('link', { name: '银行对账', exact: true }).click();
    const importing = section(page, /^导入银行对账单/);
    await importing.getByLabel('CSV 文件').setInputFiles(file(statement('599,980.00')));
    await importing.getByRole('button', { name: '导入' }).click();
    await expect.poll(() => importing.locator('.form-error').textContent()).toContain('整份文件未导入');
    expect(await importing.locator('tbody tr').first().textContent()).toMatch(/^9余额/);
    expect((await t.call('GET', `/v1/funds/${fundId}/bank-statement-lines`)).body.items).toEqual([]);

    await importing.getByLabel('CSV 文件').setInputFiles(file(statement()));
    await importing.getByRole('button', { name: '导入' }).click();
    await expect.poll(() => importing.locator('.notice').textContent()).toContain('新增 4 行');
    expect(await importing.locator('.notice').textContent()).toContain('自动匹配 2 笔（按参考号 1，按金额 1）');
    const summary = section(page, `银行存款余额调节表 ${month}（截至 ${monthEnd}）`);
    await expect.poll(() => summary.locator('.notice').textContent()).toContain('调节相符');

    // The fee, booked as one voucher of 50.00 without the bank's reference: nothing to match automatically.
    const accounts = (await t.call('GET', `/v1/funds/${fundId}/accounts`)).body.items;
    const expense = (await t.call('POST', `/v1/funds/${fundId}/accounts`, { body: { code: '5901', name: '银行手续费', type: 'expense' } })).body;
    const voucher = await t.call('POST', '/v1/transactions', {
      body: {
        date: day('28'),
        description: '银行手续费',
        lines: [
          { accountId: expense.id, direction: 'debit', amount: '50.00' },
          { accountId: accounts.find((a: any) => a.role === 'bank').id, direction: 'credit', amount: '50.00' },
        ],
      },
    });
    expect(voucher.status).toBe(201);
    await page.reload();
    const outstanding = section(page, '未达账项');
    await outstanding.getByLabel(`选择 银行 ${day('28')} 付 30.00`).check();
    await outstanding.getByLabel(`选择 银行 ${day('28')} 付 20.00`).check();
    await outstanding.getByLabel(`选择 凭证 ${voucher.body.number} 付 50.00`).check();
    expect(await outstanding.textContent()).toContain('已选：银行 -50.00 元，账面 -50.00 元，金额相等');
    await screenshot(page, 'bank');
    await outstanding.getByRole('button', { name: '匹配所选' }).click();
    await expect.poll(() => section(page, '未达账项').textContent()).toContain('没有银行有、账面无的款项');
    expect(await section(page, '未达账项').textContent()).toContain('没有账面有、银行无的款项');
    const line = (await t.call('GET', `/v1/funds/${fundId}/bank-statement-lines?status=matched`)).body.items.find((l: any) => l.amount === '30.00');
    expect(line.match).toMatchObject({ method: 'manual', transactionIds: [voucher.body.id] });

    const matched = section(page, `${month} 已匹配的银行流水`);
    await matched.getByRole('button', { name: `撤销 ${day('28')} 20.00 的匹配` }).click();
    await expect.poll(() => section(page, '未达账项').locator('tbody tr').count()).toBe(3);

    const [pdf] = await Promise.all([page.waitForEvent('download'), summary.getByRole('button', { name: '下载调节表 PDF' }).click()]);
    const text = execFileSync('pdftotext', ['-layout', (await pdf.path())!, '-'], { encoding: 'utf8' });
    expect(text).toContain('银行存款余额调节表');
    expect(text).toContain('599,950.00');
    expect(consoleErrors(page)).toEqual([]);
    await page.context().close();
  }, 90_000);
});
