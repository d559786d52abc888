// The browser side of the console tests: Debian's Chromium driven by playwright-core, against the real
// service listening on a free port (the same buildApp as every other test, on PGlite or PostgreSQL).
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type Page } from 'playwright-core';
import { startApp, type TestApp } from '../helpers/app.js';
import { backends } from '../helpers/database.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Screenshots of each page, kept as the run's artefacts (gitignored). */
export const ARTEFACTS = fileURLToPath(new URL('./artefacts/', import.meta.url));

/**
 * The browser tests need Chromium. CI installs it and sets LEDGER_BROWSER_TESTS=required (.ci/run), so
 * there a missing browser fails the run; on a machine without one they are skipped, saying why.
 */
export const browserMissing = !existsSync(CHROMIUM);
if (browserMissing && process.env.LEDGER_BROWSER_TESTS !== 'required') {
  console.warn(`web console browser tests skipped: ${CHROMIUM} is missing (apt-get install chromium, or set CHROMIUM_PATH)`);
}
export const skipBrowserTests = browserMissing && process.env.LEDGER_BROWSER_TESTS !== 'required';

export function assertChromium(): void {
  if (browserMissing) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (or set CHROMIUM_PATH)`);
}

export async function launch(): Promise<Browser> {
  assertChromium();
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-dev-shm-usage'],
  });
}

/** Makes the test app listen on a free loopback port; returns the console's address. */
export async function listen(t: TestApp): Promise<string> {
  const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
  return `${address}/console/`;
}

/** A fresh tab on a 1366×768 laptop screen, signed in with `token`, on the overview (or the page named). */
export async function signIn(browser: Browser, consoleUrl: string, token: string): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1366, height: 768 }, acceptDownloads: true, locale: 'zh-CN' });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  page.on('console', (message) => {
    // A refusal the page shows is the API answering 4xx, which Chromium also logs: not an error of the page.
    if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) errors.push(message.text());
  });
  (page as Page & { consoleErrors: string[] }).consoleErrors = errors;
  await page.goto(consoleUrl);
  await page.getByLabel('API 密钥').fill(token);
  await page.getByRole('button', { name: '登录' }).click();
  await page.getByRole('button', { name: '退出' }).waitFor();
  return page;
}

/** JavaScript errors and console errors the page logged since it opened (a 4xx the page shows is not one). */
export const consoleErrors = (page: Page): string[] => (page as Page & { consoleErrors?: string[] }).consoleErrors ?? [];

/** Saves a full-page screenshot as test/console/artefacts/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTEFACTS, { recursive: true });
  const path = `${ARTEFACTS}${name}.png`;
  // The Chinese web font (fetched when the machine has none) swaps in when loaded: wait for it. From the
  // top, or the sticky header lands mid-image.
  await page.evaluate(() => document.fonts.ready.then(() => window.scrollTo(0, 0)));
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** What a console test starts from: the service on PGlite on a free port, and Chromium. */
export async function openConsole(env: Record<string, string> = {}) {
  const t = await startApp(backends[0]!, env);
  const url = await listen(t);
  const browser = await launch();
  return {
    t,
    url,
    browser,
    async close() {
      await browser.close();
      await t.close();
    },
  };
}
