import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type TestApp } from '../helpers/app.js';
import { backends } from '../helpers/database.js';
import { createHousehold, createPreventionFund, createVillage } from '../helpers/fixtures.js';
import { download, pdfText } from './setup.js';

// Spelt by code point, so that no editor or normalisation can swap one for a look-alike.
const c = (codePoint: number) => String.fromCodePoint(codePoint);
const EXT_A = [c(0x3400), c(0x4db5)]; // 㐀 䶵
const EXT_B = [c(0x2a6a5), c(0x20bb7)]; // 𪚥 𠮷
const EXT_C = c(0x2a700); // 𪜀
const EXT_E = c(0x2b820); // 𫠠
const EXT_F = c(0x2ceb0); // 𬺰
const EXT_G = [c(0x30000), c(0x3106c)]; // 𰀀 and U+3106C: in neither Noto nor HanaMin, printed with BabelStone Han
const EXT_H = c(0x31350); // 𱍐
const COMPAT = c(0xfa0e); // 﨎, a compatibility ideograph that is a character of its own (no decomposition)

const ALL = `${EXT_B[1]}${EXT_A[0]}${EXT_C}${EXT_E}${COMPAT}`; // 𠮷㐀𪜀𫠠﨎: Extensions B, A, C, E and a compatibility ideograph
const WANG = `王${EXT_B[0]}龘`; // 王𪚥龘
const OTHER = `${EXT_C}${EXT_A[1]}${EXT_F}${EXT_E}`; // 𪜀䶵𬺰𫠠: C, A, F, E
const VILLAGE = `${EXT_B[0]}${EXT_F}村`;
// Extensions G, H and G, in neither Noto nor HanaMin: printed with the last fallback, BabelStone Han. G at
// both ends, so that the notice, which masks the middle of a name, prints two of them.
const EXT_GH = `${EXT_G[1]}${EXT_H}${EXT_G[0]}`;
// 豈 U+8C48 and its compatibility twin 豈 U+F900 look alike (and share a glyph in the main font): each must come back as itself.
const TWINS = `豈李${c(0xf900)}`;

interface Word {
  text: string;
  xMin: number;
  xMax: number;
  yMin: number;
}

/** The words of a PDF's first page with their boxes, by poppler's pdftotext -bbox. */
function words(pdf: Buffer): Word[] {
  const page = execFileSync('pdftotext', ['-bbox', '-enc', 'UTF-8', '-f', '1', '-l', '1', '-', '-'], { input: pdf, encoding: 'utf8' });
  const entity = (s: string) => s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&amp;/g, '&');
  return [...page.matchAll(/<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)<\/word>/g)].map((m) => ({
    text: entity(m[4]!),
    xMin: Number(m[1]),
    yMin: Number(m[2]),
    xMax: Number(m[3]),
  }));
}

describe.each(backends)('rare characters on $name', (backend) => {
  let t: TestApp;
  let villageId: string;
  const households: Record<string, string> = {};
  let period: string;

  beforeAll(async () => {
    t = await startApp(backend);
    const maker = await t.keyFor('officer');
    const checker = await t.keyFor('approver');
    const { fundId } = await createPreventionFund(t);
    const income = await t.call('POST', `/v1/funds/${fundId}/income`, { body: { source: 'donation', payer: '某银行某县支行', date: '2026-01-05', amount: '100000.00' } });
    expect(income.status, JSON.stringify(income.body)).toBe(201);
    villageId = await createVillage(t, VILLAGE);
    for (const [name, amount] of [
      [ALL, '800.00'],
      [WANG, '1200.00'],
      [OTHER, '35.50'],
      ['张三明', '12345.00'],
      [TWINS, '10.00'],
      [EXT_GH, '66.00'],
    ] as const) {
      const householdId = await createHousehold(t, villageId, '2025-01-01', name);
      households[name] = householdId;
      const d = await t.call('POST', '/v1/disbursements', { body: { fundId, householdId, category: 'living_allowance', amount, date: '2026-06-15' }, token: maker });
      expect(d.status, JSON.stringify(d.body)).toBe(201);
      expect((await t.call('POST', `/v1/disbursements/${d.body.id}/approve`, { token: checker })).status).toBe(200);
      const paid = await t.call('POST', `/v1/disbursements/${d.body.id}/pay`, { body: { bankReference: `YKT-${d.body.id.slice(0, 8)}` }, token: checker });
      expect(paid.status, JSON.stringify(paid.body)).toBe(200);
    }
    period = `from=2026-01-01&to=${t.app.ctx.today()}`;
  });
  afterAll(async () => {
    await t.close();
  });

  it('stores and returns every name exactly, code point for code point', async () => {
    for (const name of [ALL, WANG, OTHER, TWINS, EXT_GH]) {
      const r = await t.call('GET', `/v1/households/${households[name]}`);
      expect(r.status).toBe(200);
      expect([...r.body.headName].map((ch) => ch.codePointAt(0))).toEqual([...name].map((ch) => ch.codePointAt(0)));
    }
    expect((await t.call('GET', `/v1/villages/${villageId}`)).body.name).toBe(VILLAGE);
  });

  it('prints each rare character in the household statement, the public notice and the village statement', async () => {
    for (const name of [ALL, WANG, OTHER, TWINS, EXT_GH]) {
      const pdf = await download(t, `/v1/households/${households[name]}/statement?${period}&format=pdf`);
      expect(pdf.status).toBe(200);
      const text = pdfText(pdf.body);
      expect(text).toContain(name);
      expect(text).toContain(VILLAGE);
      expect(text).not.toContain('\uFFFD');
    }
    // The notice masks the middle of each name: the first and last characters are printed as they are.
    const notice = pdfText((await download(t, `/v1/villages/${villageId}/notice?${period}&format=pdf`)).body);
    for (const masked of [`${EXT_B[1]}***${COMPAT}`, '王*龘', `${EXT_C}**${EXT_E}`, '张*明', `豈*${c(0xf900)}`, `${EXT_G[1]}*${EXT_G[0]}`]) expect(notice).toContain(masked);
    expect(notice).toContain(VILLAGE);
    // U+FA0E comes back as itself, not as the unified ideograph it resembles.
    expect(notice).toContain(COMPAT);

    const village = pdfText((await download(t, `/v1/villages/${villageId}/statement?${period}&format=pdf`)).body);
    expect(village).toContain(VILLAGE);
  });

  it('keeps the notice’s columns aligned when a name is printed with the fallback font', async () => {
    const page = words((await download(t, `/v1/villages/${villageId}/notice?${period}&format=pdf`)).body);
    const row = (name: string) => {
      const cell = page.find((w) => w.text === name);
      expect(cell, `${name} is one word on the page`).toBeDefined();
      const amount = page.filter((w) => Math.abs(w.yMin - cell!.yMin) < 1 && /^[\d,]+\.\d\d$/.test(w.text)).at(-1)!;
      return { cell: cell!, amount };
    };
    const rows = [`${EXT_B[1]}***${COMPAT}`, '王*龘', `${EXT_C}**${EXT_E}`, `${EXT_G[1]}*${EXT_G[0]}`, '张*明'].map(row);
    expect(rows.map((r) => r.amount.text)).toEqual(['800.00', '1,200.00', '35.50', '66.00', '12,345.00']);
    // Amounts right-aligned to one edge, names left-aligned to another, whatever font drew the name.
    for (const r of rows) {
      expect(r.amount.xMax).toBeCloseTo(rows[4]!.amount.xMax, 1);
      expect(r.cell.xMin).toBeCloseTo(rows[4]!.cell.xMin, 1);
    }
  });
});

describe.each(backends.slice(0, 1))('the fallback font in the browser, on $name', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(backend);
  });
  afterAll(async () => {
    await t.close();
  });

  it('serves the console and /docs the piece of the fallback font that holds 𪚥 (and 𰀀), with its unicode-range, cached for good', async () => {
    const css = await t.app.inject({ method: 'GET', url: '/console/fonts.css' });
    expect(css.statusCode).toBe(200);
    expect(css.headers['content-type']).toMatch(/^text\/css/);
    const faces = [...css.body.matchAll(/@font-face \{[^}]*url\("([^"]+)"\)[^}]*unicode-range: ([^;]+);/g)].map((m) => ({
      url: m[1]!,
      ranges: m[2]!.split(', ').map((r) => r.replace('U+', '').split('-').map((h) => parseInt(h, 16))),
    }));
    const holds = (cp: number) => faces.find((f) => f.ranges.some(([from, to]) => cp >= from! && cp <= (to ?? from!)));
    for (const cp of [0x2a6a5, 0x20bb7, 0x2a700, 0x2b820, 0x2ceb0, 0xfa0e]) expect(holds(cp), cp.toString(16)).toBeDefined();

    const font = await t.app.inject({ method: 'GET', url: holds(0x2a6a5)!.url });
    expect(font.statusCode).toBe(200);
    expect(font.headers['content-type']).toBe('font/woff2');
    expect(font.headers['cache-control']).toContain('immutable');
    const { create } = await import('fontkit');
    expect((create(font.rawPayload) as import('fontkit').Font).hasGlyphForCodePoint(0x2a6a5)).toBe(true);
    expect((await t.app.inject({ method: 'GET', url: '/console/fonts/..%2Fpackage.json' })).statusCode).toBe(404);

    // Extensions G and H: the last face, the vendored subset of BabelStone Han, served the same way.
    for (const cp of [0x30000, 0x3106c, 0x31350]) expect(holds(cp)?.url, cp.toString(16)).toMatch(/^\/console\/fonts\/babelstone-han-[0-9a-f]{12}\/BabelStoneHan-subset\.woff2$/);
    expect(css.body.trimEnd().split('\n').at(-1)).toContain(holds(0x30000)!.url);
    const last = await t.app.inject({ method: 'GET', url: holds(0x30000)!.url });
    expect(last.statusCode).toBe(200);
    expect(last.headers['content-type']).toBe('font/woff2');
    expect(last.headers['cache-control']).toContain('immutable');
    const lastFont = create(last.rawPayload) as import('fontkit').Font;
    for (const cp of [0x30000, 0x3106c, 0x31350]) expect(lastFont.hasGlyphForCodePoint(cp), cp.toString(16)).toBe(true);

    const style = await t.app.inject({ method: 'GET', url: '/console/style.css' });
    expect(style.body).toContain('@import url("/console/fonts.css")');
    expect(style.body).toContain('"Console HanaMin"');

    // /docs links a stylesheet that brings the same fonts.
    const docs = await t.app.inject({ method: 'GET', url: '/docs' });
    const link = /href="([^"]*theme\/fonts\.css)"/.exec(docs.body)?.[1];
    expect(link, docs.body.slice(0, 400)).toBeDefined();
    const theme = await t.app.inject({ method: 'GET', url: new URL(link!, 'http://localhost/docs/').pathname });
    expect(theme.statusCode).toBe(200);
    expect(theme.body).toContain('@import url("/console/fonts.css")');
    expect(theme.body).toContain('"Console HanaMin"');
  });
});
