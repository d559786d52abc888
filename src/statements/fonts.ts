import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as fontkit from 'fontkit';
import decompressWoff2 from 'wawoff2/decompress.js';

/**
 * The CJK font printed statements embed: Noto Sans Hans (SIL Open Font License 1.1) from the npm
 * package @embedpdf/fonts-sc, installed with the service, never downloaded at run time. Despite the
 * package's "GB2312" label the font has 30,888 glyphs: all but 47 of the 20,992 CJK Unified Ideographs,
 * all of Extension A, traditional forms (國 與 貧 臺 灣) included, so one font serves both scripts.
 * What it lacks — the rare ideographs of Extensions B–H that rural names carry (王𪚥, 赵𠮷, 𰀀) and most
 * compatibility ideographs (﨎) — is printed with the fallback fonts below, character by character:
 * HanaMin, then BabelStone Han for what HanaMin lacks too (see fallbackFor).
 */
export interface StatementFonts {
  regular: fontkit.Font;
  bold: fontkit.Font;
}

let loaded: StatementFonts | undefined;

const require = createRequire(import.meta.url);

function fontFile(name: string): Buffer {
  // The package exports no font paths: find its folder from its entry point.
  const entry = require.resolve('@embedpdf/fonts-sc');
  return readFileSync(join(dirname(entry), '..', 'fonts', name));
}

/**
 * The parsed fonts, read and parsed once per process on first use (about 0.1 s each). pdfkit takes an
 * already-created fontkit font as is (PDFFontFactory.open), so documents share these objects instead of
 * parsing 8 MB per request; each document still embeds only the glyphs it used.
 */
export function statementFonts(): StatementFonts {
  loaded ??= {
    regular: fontkit.create(fontFile('NotoSansHans-Regular.otf')) as fontkit.Font,
    bold: fontkit.create(fontFile('NotoSansHans-Bold.otf')) as fontkit.Font,
  };
  return loaded;
}

/**
 * The fallback: HanaMin (花園明朝, GlyphWiki, dual-licensed under the Hanazono Font License and the SIL Open
 * Font License 1.1) from the npm package hanamin, which ships it as 216 WOFF2 pieces by Unicode block,
 * each with its unicode-range in HanaMin.css. It covers Extensions A to F as of Unicode 10 (B: 42,711 of
 * 42,720) and all 1,014 compatibility ideographs; not Extension G (Unicode 13, after this 2017 font):
 * that is the last fallback's (LAST_FALLBACK).
 * pdfkit can only subset a TrueType font whose tables are stored plainly, so a piece is unpacked to
 * TrueType (wawoff2) when a document first needs one of its characters, and kept for the life of the
 * process (about 0.5 MB each; a village's names rarely touch more than a few of them).
 */
export const FALLBACK_DIR = dirname(require.resolve('hanamin/package.json'));

export interface FallbackPiece {
  /** The WOFF2 file in FALLBACK_DIR. */
  file: string;
  ranges: [number, number][];
}

let pieces: FallbackPiece[] | undefined;

/** The pieces of the fallback font and the characters each holds, as its own stylesheet says. */
export function fallbackPieces(): FallbackPiece[] {
  pieces ??= [...readFileSync(join(FALLBACK_DIR, 'HanaMin.css'), 'utf8').matchAll(/url\(([^)]+\.woff2)\)[^;]*;\s*unicode-range:\s*([^;]+);/g)].map((m) => ({
    file: m[1]!,
    ranges: m[2]!.split(',').map((range) => {
      const [from, to] = range.trim().replace(/^U\+/i, '').split('-');
      return [parseInt(from!, 16), parseInt(to ?? from!, 16)] as [number, number];
    }),
  }));
  return pieces;
}

/**
 * The last fallback, for what neither Noto nor HanaMin has: BabelStone Han 15.0.5 (Andrew West, derived
 * from Arphic's AR PL fonts; Arphic Public License, ./fonts/ARPHICPL.TXT), vendored as a subset of the
 * ideographs both lack, made once from Debian's fonts-babelstone-han by ./fonts/make-subset.sh: 3,045 of
 * Extension G's 4,939 characters (𰀀 U+30000, U+3106C), 2,271 of Extension H's 4,192 and the 45 of the URO,
 * Extensions A, B and C added after 2017; none of Extension I. One WOFF2 file of 0.98 MB, unpacked to
 * 4.3 MB of TrueType the first time a document needs one of its characters, then kept for the process.
 * `ranges` are those the subset was cut to (make-subset.sh), also the console's unicode-range for it.
 */
export const LAST_FALLBACK = {
  path: fileURLToPath(new URL('./fonts/BabelStoneHan-subset.woff2', import.meta.url)),
  name: 'fallback:BabelStoneHan',
  ranges: [
    [0x4db6, 0x4dbf],
    [0x9feb, 0x9fff],
    [0x2a6d7, 0x2a6df],
    [0x2b735, 0x2b739],
    [0x30000, 0x323af],
  ] as [number, number][],
};

const inRanges = (ranges: [number, number][], cp: number) => ranges.some(([from, to]) => cp >= from && cp <= to);

/** Unpacked fonts by path; a promise while one is being unpacked, so two documents never unpack it twice. */
const unpacked = new Map<string, fontkit.Font | Promise<fontkit.Font>>();
const loadedFont = (path: string) => {
  const font = unpacked.get(path);
  return font && !(font instanceof Promise) ? font : undefined;
};

/** A font for pdfkit, registered under `name` in every document that uses it. */
export interface NamedFont {
  name: string;
  font: fontkit.Font;
}

const candidates = (codePoint: number) => fallbackPieces().filter((p) => inRanges(p.ranges, codePoint));

// wawoff2 answers with a view of its WebAssembly memory, which its next call overwrites: one call at a
// time, each answer copied before the next starts.
let unpacking: Promise<unknown> = Promise.resolve();
function unpack(woff2: Buffer): Promise<Buffer> {
  const done = unpacking.then(() => decompressWoff2(woff2).then((ttf) => Buffer.from(ttf)));
  unpacking = done.catch(() => undefined);
  return done;
}

/**
 * Characters the main font draws with the glyph of another character: its compatibility ideographs
 * (豈 U+F900 is 豈 U+8C48's glyph) and radicals (⺾ U+2EBE is 艹's). pdfkit maps a glyph back to text by the
 * code point fontkit first met it under in the process, so one of the pair would come back from the PDF
 * as the other. HanaMin has a glyph of their own for each of them.
 */
const sharesGlyph = (cp: number) => (cp >= 0x2e80 && cp <= 0x2fdf) || (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0x2f800 && cp <= 0x2fa1f);

/** Whether the main font prints the character as itself. */
const mainPrints = (font: fontkit.Font, cp: number) => !sharesGlyph(cp) && font.hasGlyphForCodePoint(cp);

/** The code points of `texts` that the main fonts cannot print as themselves. */
function missing(texts: Iterable<string>): Set<number> {
  const { regular, bold } = statementFonts();
  const seen = new Set<number>();
  for (const text of texts) for (const ch of text) seen.add(ch.codePointAt(0)!);
  return new Set([...seen].filter((cp) => cp > 0x20 && !(mainPrints(regular, cp) && mainPrints(bold, cp))));
}

/** Unpacks the WOFF2 file at `path` once per process; resolves when it is ready or has failed. */
async function load(path: string): Promise<void> {
  if (!unpacked.has(path)) {
    const loading = unpack(readFileSync(path)).then((ttf) => fontkit.create(ttf) as fontkit.Font);
    unpacked.set(path, loading);
    loading.then(
      (font) => unpacked.set(path, font),
      () => unpacked.delete(path),
    );
  }
  await Promise.resolve(unpacked.get(path)).catch(() => undefined);
}

/**
 * Unpacks the fallback fonts that `texts` need, so that splitRuns() finds every character of them without
 * waiting: the pieces of HanaMin whose ranges hold a missing character, then, for the characters none of
 * those has, the last fallback. A font that cannot be read makes its characters print as the main font's
 * blank glyph rather than no document at all.
 */
export async function loadFallbacks(texts: Iterable<string>): Promise<void> {
  const need = missing(texts);
  const files = new Set<string>();
  for (const cp of need) for (const piece of candidates(cp)) files.add(piece.file);
  await Promise.all([...files].map((file) => load(join(FALLBACK_DIR, file))));
  if ([...need].some((cp) => !hanaMinFor(cp) && inRanges(LAST_FALLBACK.ranges, cp))) await load(LAST_FALLBACK.path);
}

/** Every fallback font unpacked so far, for a document to register. */
export function loadedFallbacks(): NamedFont[] {
  return [...unpacked].flatMap(([path, font]) => (font instanceof Promise ? [] : [{ name: fallbackName(path), font }]));
}

const fallbackName = (path: string) => (path === LAST_FALLBACK.path ? LAST_FALLBACK.name : `fallback:${relative(FALLBACK_DIR, path)}`);

/** The unpacked piece of HanaMin that has a glyph for the character, if any. */
function hanaMinFor(codePoint: number): NamedFont | undefined {
  for (const piece of candidates(codePoint)) {
    const font = loadedFont(join(FALLBACK_DIR, piece.file));
    if (font?.hasGlyphForCodePoint(codePoint)) return { name: `fallback:${piece.file}`, font };
  }
  return undefined;
}

/**
 * The fallback order, decided here only: the piece of HanaMin that has the character, else BabelStone Han
 * if it has it (each as far as loadFallbacks() unpacked them).
 */
function fallbackFor(codePoint: number): NamedFont | undefined {
  const hanaMin = hanaMinFor(codePoint);
  if (hanaMin) return hanaMin;
  const last = inRanges(LAST_FALLBACK.ranges, codePoint) ? loadedFont(LAST_FALLBACK.path) : undefined;
  return last?.hasGlyphForCodePoint(codePoint) ? { name: LAST_FALLBACK.name, font: last } : undefined;
}

/** A stretch of text printed with one font: `font` is the name it is registered under with pdfkit. */
export interface Run {
  text: string;
  font: string;
  fontkit: fontkit.Font;
}

/**
 * Splits a string into runs by the font that can print each character: the main font where it prints
 * it as itself, else the first fallback that has it (fallbackFor: HanaMin, then BabelStone Han), else the
 * main font (its glyph or blank). By code points, so a character outside the BMP (𪚥, two UTF-16 units)
 * is never cut in half. Every text a PDF prints is
 * measured and drawn through this, so widths and alignment account for the fallback's own advances.
 */
export function splitRuns(text: string, main: NamedFont): Run[] {
  const runs: Run[] = [];
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    const use = mainPrints(main.font, cp) ? main : (fallbackFor(cp) ?? main);
    const last = runs.at(-1);
    if (last && last.font === use.name) last.text += ch;
    else runs.push({ text: ch, font: use.name, fontkit: use.font });
  }
  return runs;
}
