import PDFDocument from 'pdfkit';
import { type Column, displayMoney, type Field, type Presentation, type Provenance, type Table } from './document.js';
import { type NamedFont, loadedFallbacks, loadFallbacks, type Run, splitRuns, statementFonts } from './fonts.js';

// A4 portrait, in points. Every row has a fixed height, so the pages are laid out before anything is
// drawn: the number of pages is known when the first footer prints "page 1 of Y", and no page has to be
// kept in memory to be finished later (pdfkit's bufferPages).
const PAGE_WIDTH = 595.28;
const PAGE_HEIGHT = 841.89;
const MARGIN = 40;
const CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN;
const BODY_TOP = 106;
const BODY_BOTTOM = PAGE_HEIGHT - MARGIN - 18;
const ROW = 14;
const HEADER_ROW = 24;
const HEADING = 22;
const TEXT_LINE = 13;
const GAP = 8;
const PAD = 3;
const SIZE = { title: 14, meta: 8, body: 8.5, header: 8, heading: 10.5, footer: 7.5 };

/** Once this much PDF waits unread, drawing pauses until the client has taken some. */
const UNREAD_LIMIT = 1 << 20;

interface LaidTable {
  table: Table;
  xs: number[];
  widths: number[];
}

type Op =
  | { op: 'heading'; y: number; text: string }
  | { op: 'field'; y: number; field: Field }
  | { op: 'text'; y: number; text: string }
  | { op: 'columns'; y: number; table: LaidTable }
  | { op: 'row'; y: number; table: LaidTable; cells: string[]; style: 'row' | 'total' | 'carry' }
  | { op: 'note'; y: number; text: string };

function layTable(table: Table): LaidTable {
  const total = table.columns.reduce((acc, c) => acc + c.width, 0);
  const widths = table.columns.map((c) => (c.width / total) * CONTENT_WIDTH);
  const xs: number[] = [];
  let x = MARGIN;
  for (const w of widths) {
    xs.push(x);
    x += w;
  }
  return { table, xs, widths };
}

export type Style = 'regular' | 'bold';

/** The main font of a style, under the name it is registered with in every document. */
const mainFont = (style: Style): NamedFont => ({ name: style, font: statementFonts()[style] });

/** The width of text at `size`, each run by its own font's advances (rare characters by the fallback's). */
function measure(runs: Run[], size: number): number {
  return runs.reduce((width, r) => width + (r.fontkit.layout(r.text).advanceWidth * size) / r.fontkit.unitsPerEm, 0);
}

/**
 * Greedy wrap by the fonts' own widths: Chinese breaks between any two characters, a Latin word only
 * at a space before it.
 */
function wrap(text: string, size: number, width: number): string[] {
  const main = mainFont('regular');
  const lines: string[] = [];
  let current = '';
  for (const ch of text) {
    if (ch === '\n') {
      lines.push(current);
      current = '';
      continue;
    }
    const next = current + ch;
    if (current && measure(splitRuns(next, main), size) > width) {
      const space = /[A-Za-z0-9]$/.test(current) && /[A-Za-z0-9]/.test(ch) ? current.lastIndexOf(' ') : -1;
      if (space > 0) {
        lines.push(current.slice(0, space));
        current = current.slice(space + 1) + ch;
      } else {
        lines.push(current);
        current = ch.trim();
      }
    } else current = next;
  }
  lines.push(current);
  return lines;
}

/** Splits the statement into pages of positioned rows; tables repeat their headers and carry their totals. */
export function layoutPages(doc: Presentation): Op[][] {
  const pages: Op[][] = [];
  let ops: Op[] = [];
  let y = BODY_TOP;
  const newPage = () => {
    pages.push(ops);
    ops = [];
    y = BODY_TOP;
  };
  const fits = (height: number) => y + height <= BODY_BOTTOM;
  const ensure = (height: number) => {
    if (!fits(height) && ops.length) newPage();
  };

  const placeTable = (table: Table) => {
    const laid = layTable(table);
    const reserve = table.carry ? ROW : 0;
    type Item = { cells: string[]; style: 'row' | 'total' } | { note: string };
    const items: Item[] = table.rows.map((cells) => ({ cells, style: 'row' as const }));
    if (!items.length) items.push({ note: table.empty ?? '无 None' });
    if (table.total) items.push({ cells: table.total, style: 'total' });
    const startPage = () => {
      ops.push({ op: 'columns', y, table: laid });
      y += HEADER_ROW;
    };
    ensure(HEADER_ROW + ROW + reserve);
    startPage();
    let printed = 0;
    items.forEach((item, k) => {
      const last = k === items.length - 1;
      if (!fits(ROW + (last ? 0 : reserve))) {
        // The previous row was placed only if a carry row still fits below it.
        if (table.carry) ops.push({ op: 'row', y, table: laid, cells: table.carry.after(printed, table.carry.forward), style: 'carry' });
        newPage();
        startPage();
        if (table.carry) {
          ops.push({ op: 'row', y, table: laid, cells: table.carry.after(printed, table.carry.back), style: 'carry' });
          y += ROW;
        }
      }
      if ('note' in item) ops.push({ op: 'note', y, text: item.note });
      else {
        ops.push({ op: 'row', y, table: laid, cells: item.cells, style: item.style });
        if (item.style === 'row') printed++;
      }
      y += ROW;
    });
  };

  doc.blocks.forEach((block, i) => {
    const next = doc.blocks[i + 1];
    switch (block.type) {
      case 'heading':
        // A heading never ends a page without the start of what it names.
        ensure(HEADING + (next?.type === 'table' ? HEADER_ROW + ROW * (next.table.carry ? 2 : 1) : ROW));
        ops.push({ op: 'heading', y, text: block.text });
        y += HEADING;
        return;
      case 'fields':
        for (const field of block.fields) {
          ensure(ROW);
          ops.push({ op: 'field', y, field });
          y += ROW;
        }
        break;
      case 'text':
        for (const line of wrap(block.text, SIZE.body, CONTENT_WIDTH)) {
          ensure(TEXT_LINE);
          ops.push({ op: 'text', y, text: line });
          y += TEXT_LINE;
        }
        break;
      case 'table':
        placeTable(block.table);
        break;
    }
    y += GAP;
  });
  pages.push(ops);
  return pages;
}

export type Doc = InstanceType<typeof PDFDocument>;

/** The width pdfkit will draw `text` with, run by run, as put() draws it. */
function widthOf(doc: Doc, style: Style, size: number, text: string): number {
  return splitRuns(text, mainFont(style)).reduce((width, r) => width + doc.font(r.font).fontSize(size).widthOfString(r.text), 0);
}

/** The longest start of `text` that fits `width`, with "…" when cut. */
function fit(doc: Doc, style: Style, size: number, text: string, width: number): string {
  if (widthOf(doc, style, size, text) <= width) return text;
  const chars = [...text];
  let low = 0;
  let high = chars.length;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (widthOf(doc, style, size, `${chars.slice(0, mid).join('')}…`) <= width) low = mid;
    else high = mid - 1;
  }
  return `${chars.slice(0, low).join('')}…`;
}

/**
 * Draws one line of text in a box, cut to fit: run by run, each in the font that has its characters,
 * all on the main font's baseline, so a name with a rare character lines up with its neighbours and a
 * right-aligned cell stays right-aligned.
 */
export function put(doc: Doc, style: Style, size: number, text: string, x: number, y: number, width: number, align: Column['align'] = 'left') {
  if (!text) return;
  const shown = fit(doc, style, size, text, width);
  const w = align === 'left' ? 0 : widthOf(doc, style, size, shown);
  let left = align === 'right' ? x + width - w : align === 'center' ? x + (width - w) / 2 : x;
  const main = mainFont(style).font;
  const baseline = y + (main.ascent / main.unitsPerEm) * size;
  for (const run of splitRuns(shown, mainFont(style))) {
    doc.font(run.font).fontSize(size).text(run.text, left, baseline, { lineBreak: false, baseline: 'alphabetic' });
    left += doc.widthOfString(run.text);
  }
}

function hrule(doc: Doc, y: number, weight = 0.5) {
  doc.moveTo(MARGIN, y).lineTo(PAGE_WIDTH - MARGIN, y).lineWidth(weight).strokeColor('#444444').stroke();
}

function drawHeader(doc: Doc, p: Presentation, meta: Provenance) {
  put(doc, 'bold', SIZE.title, p.title, MARGIN, MARGIN - 4, CONTENT_WIDTH);
  const half = CONTENT_WIDTH * 0.62;
  put(doc, 'regular', SIZE.meta, `基金 Fund：${p.fund}`, MARGIN, 60, half);
  put(doc, 'regular', SIZE.meta, `期间 Period：${p.period}`, MARGIN + half, 60, CONTENT_WIDTH - half, 'right');
  if (p.subject) put(doc, 'regular', SIZE.meta, p.subject, MARGIN, 72, CONTENT_WIDTH);
  put(doc, 'regular', SIZE.meta, `生成 Generated：${meta.printedAt} · ${meta.generatedBy.name}`, MARGIN, 84, CONTENT_WIDTH);
  hrule(doc, 98, 0.8);
}

function drawFooter(doc: Doc, page: number, pages: number, meta: Provenance) {
  const y = PAGE_HEIGHT - MARGIN - 8;
  hrule(doc, y - 4, 0.5);
  put(doc, 'regular', SIZE.footer, `第 ${page} 页 共 ${pages} 页 · page ${page} of ${pages}`, MARGIN, y, 170);
  put(doc, 'regular', SIZE.footer, `SHA-256 ${meta.digest}`, MARGIN + 170, y, CONTENT_WIDTH - 170, 'right');
}

function drawOp(doc: Doc, op: Op) {
  switch (op.op) {
    case 'heading':
      put(doc, 'bold', SIZE.heading, op.text, MARGIN, op.y + 6, CONTENT_WIDTH);
      return;
    case 'field': {
      put(doc, 'regular', SIZE.body, op.field.label, MARGIN, op.y + PAD, 250);
      if (op.field.money) put(doc, 'regular', SIZE.body, displayMoney(op.field.value), MARGIN + 250, op.y + PAD, 130, 'right');
      else put(doc, 'regular', SIZE.body, op.field.value, MARGIN + 262, op.y + PAD, CONTENT_WIDTH - 262);
      return;
    }
    case 'text':
    case 'note':
      put(doc, 'regular', SIZE.body, op.text, MARGIN + (op.op === 'note' ? PAD : 0), op.y + PAD, CONTENT_WIDTH);
      return;
    case 'columns': {
      const { table, xs, widths } = op.table;
      // "借方 Debit": the Chinese on the first line, the English under it, so narrow columns keep both.
      table.columns.forEach((c, i) => {
        const space = c.header.indexOf(' ');
        const [first, second] = space < 0 ? [c.header, ''] : [c.header.slice(0, space), c.header.slice(space + 1)];
        put(doc, 'bold', SIZE.header, first, xs[i]! + PAD, op.y + 1, widths[i]! - 2 * PAD, c.align);
        put(doc, 'regular', SIZE.header - 0.5, second, xs[i]! + PAD, op.y + 11, widths[i]! - 2 * PAD, c.align);
      });
      hrule(doc, op.y + HEADER_ROW - 1);
      return;
    }
    case 'row': {
      const { table, xs, widths } = op.table;
      if (op.style === 'total') hrule(doc, op.y);
      const style = op.style === 'row' ? 'regular' : 'bold';
      table.columns.forEach((c, i) => {
        const value = op.cells[i] ?? '';
        put(doc, style, SIZE.body, c.money ? displayMoney(value) : value, xs[i]! + PAD, op.y + PAD, widths[i]! - 2 * PAD, c.align);
      });
      return;
    }
  }
}

/**
 * pdfkit keeps the glyph layout of every distinct string it drew for the whole document (each embedded
 * font's layoutCache): some 100 MB for a 10,000-line ledger whose amounts are all different. Emptied
 * after each page, the cache still serves the repeats within a page (a cell is measured, then drawn) and
 * memory stays that of one page. (The cache is pdfkit's own property; should it go, this does nothing.)
 */
function forgetLayouts(doc: Doc) {
  const fonts = (doc as unknown as { _fontFamilies?: Record<string, { layoutCache?: object }> })._fontFamilies ?? {};
  for (const font of Object.values(fonts)) if (font.layoutCache) font.layoutCache = Object.create(null);
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
const pause = () => new Promise<void>((resolve) => setTimeout(resolve, 10));

/** After a page is drawn: its layouts forgotten, and drawing paused while the client has not read what was written. */
export async function pageDrawn(doc: Doc): Promise<void> {
  forgetLayouts(doc);
  // A finished page is written out when the next one starts; let the client read it before drawing more.
  while (doc.readableLength > UNREAD_LIMIT && !doc.destroyed) await pause();
  await nextTurn();
}

async function draw(doc: Doc, pages: Op[][], p: Presentation, meta: Provenance) {
  for (let i = 0; i < pages.length; i++) {
    if (doc.destroyed) return;
    doc.addPage({ size: 'A4', margin: 0 });
    drawHeader(doc, p, meta);
    for (const op of pages[i]!) drawOp(doc, op);
    drawFooter(doc, i + 1, pages.length, meta);
    await pageDrawn(doc);
  }
  if (!doc.destroyed) doc.end();
}

/**
 * The statement as a PDF stream. The data is already read; the pages are drawn one by one while the
 * client reads (pausing when it falls behind), so a long ledger never sits in memory as a whole PDF.
 */
export function statementPdf(p: Presentation, meta: Provenance): Doc {
  const doc = openDocument({ Title: p.title, Author: meta.generatedBy.name, Subject: `SHA-256 ${meta.digest}` });
  render(doc, p, meta).catch((error: unknown) => doc.destroy(error as Error));
  return doc;
}

/** An empty A4 document with the statements' fonts; pages are added by the caller. */
export function openDocument(info: { Title: string; Author: string; Subject?: string }): Doc {
  const fonts = statementFonts();
  const doc = new PDFDocument({
    autoFirstPage: false,
    size: 'A4',
    margin: 0,
    // No default Helvetica: every text is drawn with the CJK fonts.
    font: null as unknown as string,
    info: { ...info, Creator: 'fund-ledger' },
  });
  // Already-parsed fontkit fonts: pdfkit uses them as they are (see fonts.ts).
  doc.registerFont('regular', fonts.regular as never);
  doc.registerFont('bold', fonts.bold as never);
  return doc;
}

const registered = new WeakMap<Doc, Set<string>>();

/**
 * Makes ready the fallback fonts for the rare characters of `texts`, before anything of them is measured.
 * Registered, a font is embedded only if something is drawn with it, and then only its used glyphs.
 */
export async function prepareFallbacks(doc: Doc, texts: string[]): Promise<void> {
  await loadFallbacks(texts);
  const known = registered.get(doc) ?? new Set<string>();
  registered.set(doc, known);
  for (const fallback of loadedFallbacks()) {
    if (known.has(fallback.name)) continue;
    doc.registerFont(fallback.name, fallback.font as never);
    known.add(fallback.name);
  }
}

async function render(doc: Doc, p: Presentation, meta: Provenance) {
  // Every character the statement prints is in its data (JSON keeps them as they are).
  await prepareFallbacks(doc, [JSON.stringify(p), JSON.stringify(meta)]);
  await draw(doc, layoutPages(p), p, meta);
}
