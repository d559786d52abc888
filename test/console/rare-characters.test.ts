// Rare ideographs in the console, in a real browser on a machine with no Chinese font of its own (CI's):
// the households page loads the piece of the fallback font that holds each one, instead of showing a box.
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../helpers/app.js';
import { backends } from '../helpers/database.js';
import { createHousehold, createVillage } from '../helpers/fixtures.js';
import { consoleErrors, launch, listen, screenshot, signIn, skipBrowserTests } from './browser.js';

// The last, 刘𰀀 (U+30000, Extension G), is in neither Noto nor HanaMin: the last face, BabelStone Han, has it.
const NAMES = [`王${String.fromCodePoint(0x2a6a5)}龘`, `赵${String.fromCodePoint(0x20bb7)}`, `陈${String.fromCodePoint(0xfa0e)}`, `刘${String.fromCodePoint(0x30000)}`];

describe.skipIf(skipBrowserTests)('web console: rare characters', () => {
  let t: TestApp;
  let browser: Browser;
  let url: string;

  beforeAll(async () => {
    t = await startApp(backends[0]!);
    url = await listen(t);
    browser = await launch();
    const village = await createVillage(t, '青山村');
    for (const name of NAMES) await createHousehold(t, village, null, name);
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('shows 王𪚥龘, 赵𠮷, 陈﨎 and 刘𰀀 with the fallback fonts’ glyphs', async () => {
    const page = await signIn(browser, url, await t.keyFor('officer'));
    const fonts: string[] = [];
    page.on('response', (response) => {
      if (response.url().includes('/console/fonts/') && response.ok()) fonts.push(new URL(response.url()).pathname);
    });
    await page.goto(`${url}#households`);
    for (const name of NAMES) await page.getByRole('cell', { name, exact: true }).waitFor();
    // For each rare character, the fallback font's piece whose unicode-range holds it is loaded (no system
    // font here has it, nor does Noto).
    const loaded = await page.evaluate(async (codePoints) => {
      await document.fonts.ready;
      const faces = [...document.fonts].filter((f) => f.family.replace(/"/g, '') === 'Console HanaMin' && f.status === 'loaded');
      const holds = (face: FontFace, cp: number) =>
        face.unicodeRange.split(',').some((r) => {
          const [from, to] = r.trim().replace(/^U\+/i, '').split('-').map((h) => parseInt(h, 16));
          return cp >= from! && cp <= (to ?? from!);
        });
      return codePoints.map((cp) => faces.some((f) => holds(f, cp)));
    }, [0x2a6a5, 0x20bb7, 0xfa0e, 0x30000]);
    expect(loaded).toEqual([true, true, true, true]);
    // 𰀀 came from the vendored subset of BabelStone Han, the last @font-face of /console/fonts.css.
    expect(fonts.filter((path) => /^\/console\/fonts\/babelstone-han-[0-9a-f]{12}\/BabelStoneHan-subset\.woff2$/.test(path))).toHaveLength(1);
    await screenshot(page, 'households-rare-characters');
    expect(consoleErrors(page)).toEqual([]);
  });
});
