// Every page of the console, on a ledger with the field scenario in it, as an admin (who sees every page):
// axe-core (injected from npm) finds no violation of moderate, serious or critical impact, and at a laptop's
// 1366×768 and a desktop's 1920×1080 nothing scrolls sideways. A screenshot of each is kept as an artefact.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type TestApp } from '../helpers/app.js';
import { fieldScenario } from '../statements/setup.js';
import { openConsole, screenshot, signIn, skipBrowserTests } from './browser.js';

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const VIEWPORTS = [
  { width: 1366, height: 768 },
  { width: 1920, height: 1080 },
];

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** What axe-core finds of moderate impact or worse, said so that a failure names the rule and the elements. */
async function violations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE);
  const found: Violation[] = await page.evaluate(async () => (await (window as any).axe.run(document, { resultTypes: ['violations'] })).violations);
  return found
    .filter((v) => v.impact !== 'minor' && v.impact !== null)
    .map((v) => `${v.impact} ${v.id} (${v.help}): ${v.nodes.map((n) => n.target.join(' ')).slice(0, 5).join(', ')}`);
}

/** How far the page scrolls sideways, in CSS pixels (0: not at all). */
const sideways = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

/** Waits for a page to have drawn: its heading, nothing still loading. */
async function settled(page: Page) {
  await page.locator('main h1').first().waitFor();
  await page.waitForFunction(() => !document.querySelector('.loading'), undefined, { timeout: 15_000 });
}

describe.skipIf(skipBrowserTests)('web console: every page is accessible and fits the screen', () => {
  let t: TestApp;
  let browser: Browser;
  let url: string;
  let close: () => Promise<void>;
  let scenario: Awaited<ReturnType<typeof fieldScenario>>;
  let admin: string;

  beforeAll(async () => {
    ({ t, url, browser, close } = await openConsole());
    scenario = await fieldScenario(t, { maker: await t.keyFor('officer'), checker: await t.keyFor('approver') });
    admin = await t.keyFor('admin');
  }, 120_000);

  afterAll(() => close?.());

  it('the sign-in page', async () => {
    const context = await browser.newContext({ viewport: VIEWPORTS[0], locale: 'zh-CN' });
    const page = await context.newPage();
    await page.goto(url);
    await page.getByLabel('API 密钥').waitFor();
    expect(await violations(page)).toEqual([]);
    for (const viewport of VIEWPORTS) {
      await page.setViewportSize(viewport);
      expect(await sideways(page), `${viewport.width}×${viewport.height}`).toBe(0);
    }
    await screenshot(page, 'signin');
    await context.close();
  }, 60_000);

  it('every page in the menu, and the pages of one fund, household and industry', async () => {
    const page = await signIn(browser, url, admin);
    const menu = await page.locator('nav.menu a').evaluateAll((links) => links.map((a) => a.getAttribute('href')!));
    expect(menu.length).toBeGreaterThanOrEqual(14);
    const pages = [
      ...menu,
      `#/funds/${scenario.fundId}`,
      `#/households/${scenario.households.zhang}`,
      `#/industries/${scenario.industryId}`,
      `#/statements/insurance/${scenario.policyId}`,
    ];
    const found: Record<string, string[]> = {};
    for (const hash of pages) {
      await page.setViewportSize(VIEWPORTS[0]!);
      await page.goto(`${url}${hash}`);
      await settled(page);
      const problems = await violations(page);
      for (const viewport of VIEWPORTS) {
        await page.setViewportSize(viewport);
        const overflow = await sideways(page);
        if (overflow > 0) problems.push(`scrolls ${overflow}px sideways at ${viewport.width}×${viewport.height}`);
      }
      if (problems.length) found[hash] = problems;
      await page.setViewportSize(VIEWPORTS[0]!);
      await screenshot(page, `page-${hash.replace(/^#\//, '').replace(/\/.*/, '-detail') || 'overview'}`);
    }
    expect(found).toEqual({});
  }, 240_000);
});
