import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { FALLBACK_DIR, fallbackPieces, LAST_FALLBACK } from '../statements/fonts.js';

/**
 * The fonts the web console and /docs may fall back to on a machine with no Chinese font (a bare
 * server's browser, CI): the ones the printed statements embed (src/statements/fonts.ts), served by
 * this service under /console/fonts/, never fetched from elsewhere.
 *
 * - Noto Sans Hans, 8 MB a weight: named after the usual system fonts, so a browser that has a Chinese
 *   font of its own never downloads it.
 * - HanaMin, last: the rare ideographs of Extensions B–F and the compatibility ideographs (王𪚥, 赵𠮷, 陈﨎)
 *   that no common font has. 99 WOFF2 pieces of 2–330 KB (22 MB in all), each with its unicode-range,
 *   so a browser downloads only the pieces holding characters on the page: a name with one rare
 *   character costs one piece, about 0.2 MB.
 * - BabelStone Han, the last face of the same family: the subset the statements vendor
 *   (src/statements/fonts/) for what HanaMin lacks, Extensions G and H above all (𰀀), one WOFF2 file of
 *   0.98 MB, fetched only for a page with one of those characters. One family with HanaMin, its faces told
 *   apart by unicode-range, so the console's stylesheet and /docs name a single fallback family.
 */
const NOTO_DIR = join(dirname(createRequire(import.meta.url).resolve('@embedpdf/fonts-sc')), '..', 'fonts');
const HANAMIN_VERSION = (createRequire(import.meta.url)('hanamin/package.json') as { version: string }).version;

/** The pieces of HanaMin with ideographs (not its Latin, symbols and the like, which every font has). */
const hanaMinPieces = () => fallbackPieces().filter((p) => /CJK|Ideographs/.test(p.file));

export interface FontFile {
  path: string;
  type: string;
}

/** The last fallback's path under /console/fonts/: named by its content, since it is remade in place rather than versioned by a package. */
let lastFallbackUrl: string | undefined;
function lastFallbackPath(): string {
  lastFallbackUrl ??= `babelstone-han-${createHash('sha256').update(readFileSync(LAST_FALLBACK.path)).digest('hex').slice(0, 12)}/${basename(LAST_FALLBACK.path)}`;
  return lastFallbackUrl;
}

/** Every font file served, by its path under /console/fonts/; the version or digest in the fallbacks' paths lets them be cached for good. */
export function fontFiles(): Map<string, FontFile> {
  const files = new Map<string, FontFile>();
  for (const name of ['NotoSansHans-Regular.otf', 'NotoSansHans-Bold.otf']) files.set(name, { path: join(NOTO_DIR, name), type: 'font/otf' });
  for (const p of hanaMinPieces()) files.set(`hanamin-${HANAMIN_VERSION}/${p.file}`, { path: join(FALLBACK_DIR, p.file), type: 'font/woff2' });
  files.set(lastFallbackPath(), { path: LAST_FALLBACK.path, type: 'font/woff2' });
  return files;
}

const hex = (n: number) => n.toString(16).toUpperCase();
const unicodeRange = (ranges: [number, number][]) => ranges.map(([from, to]) => (from === to ? `U+${hex(from)}` : `U+${hex(from)}-${hex(to)}`)).join(', ');

/** The families the console's stylesheet and /docs list last: Noto for what a system lacks, then HanaMin (and BabelStone Han) for what Noto lacks. */
export const FALLBACK_FAMILIES = '"Console Noto Sans SC", "Console HanaMin"';

/** The @font-face rules of /console/fonts.css. */
export function fontFaceCss(): string {
  const noto = ([400, 700] as const).map(
    (weight) =>
      `@font-face { font-family: "Console Noto Sans SC"; src: url("/console/fonts/NotoSansHans-${weight === 400 ? 'Regular' : 'Bold'}.otf") format("opentype"); font-weight: ${weight}; font-display: swap; }`,
  );
  const hanamin = hanaMinPieces().map(
    (p) =>
      `@font-face { font-family: "Console HanaMin"; src: url("/console/fonts/hanamin-${HANAMIN_VERSION}/${p.file}") format("woff2"); font-display: swap; unicode-range: ${unicodeRange(p.ranges)}; }`,
  );
  // Last, so a browser checks it first where its range overlaps a HanaMin piece's (the few of A, B, C and
  // the URO added after 2017, which that piece has no glyph for anyway).
  const last = `@font-face { font-family: "Console HanaMin"; src: url("/console/fonts/${lastFallbackPath()}") format("woff2"); font-display: swap; unicode-range: ${unicodeRange(LAST_FALLBACK.ranges)}; }`;
  return `/* Generated from the fonts' packages by src/console/fonts.ts. HanaMin: GlyphWiki, Hanazono Font License or SIL OFL 1.1. BabelStone Han (subset): Andrew West, Arphic Public License. */\n${[...noto, ...hanamin, last].join('\n')}\n`;
}

/**
 * /docs (swagger-ui) in the same fonts: its own stylesheet names only "sans-serif" and "monospace", which
 * on a machine without a Chinese font show the API's Chinese descriptions as boxes.
 */
export const DOCS_FONT_CSS = `@import url("/console/fonts.css");
.swagger-ui, .swagger-ui :not(pre, code, textarea, .microlight, pre *, code *, .microlight *) { font-family: sans-serif, ${FALLBACK_FAMILIES} !important; }
.swagger-ui :is(pre, code, textarea, .microlight), .swagger-ui :is(pre, code, .microlight) * { font-family: monospace, ${FALLBACK_FAMILIES} !important; }
`;
