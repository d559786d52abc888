import { chineseCapitals } from '../statements/capitals.js';
import { statementDigest } from '../statements/digest.js';
import { displayMoney } from '../statements/document.js';
import { type Doc, openDocument, pageDrawn, prepareFallbacks, put, type Style } from '../statements/pdf.js';
import type { VoucherData, VoucherPart } from './voucher.js';

/**
 * The 记账凭证 form, two to an A4 page (a half sheet each, cut along the dashed line, as vouchers are
 * bound): fund, date, number; 摘要 / 会计科目 / 借方 / 贷方 by line; the total in figures and in Chinese
 * capitals; 附件 N 张; 记账 / 审核 / 制单; the voucher's digest. A voucher of more lines than a form holds
 * continues on the next form (第 k/n 张), carrying its totals (过次页 / 承前页).
 */

const PAGE_WIDTH = 595.28;
const PAGE_HEIGHT = 841.89;
const HALF = PAGE_HEIGHT / 2;
const MARGIN = 40;
const WIDTH = PAGE_WIDTH - 2 * MARGIN;
export const LINES_PER_FORM = 10;
const ROW = 17;
const RED = '#c00000';
const INK = '#000000';

/** Where each column starts and how wide it is: 摘要, 会计科目, 借方, 贷方. */
const COLUMNS = (() => {
  const shares = [0.3, 0.34, 0.18, 0.18];
  let x = MARGIN;
  return shares.map((share) => {
    const column = { x, width: share * WIDTH };
    x += column.width;
    return column;
  });
})();

export interface PrintMeta {
  /** When, in the ledger's time zone, and by whom. */
  printedAt: string;
  printedBy: string;
}

/** One half-sheet: a part (one fund) of a voucher, or a piece of a long one. */
interface Form {
  voucher: VoucherData;
  digest: string;
  part: VoucherPart;
  lines: VoucherPart['lines'];
  index: number;
  count: number;
  /** Totals of the lines on the forms before this one (承前页). */
  before: { debit: string; credit: string } | null;
}

const add = (a: string, b: string) => {
  // Sums of printed two-decimal strings, exact in integers of fen.
  const fen = (v: string) => {
    const negative = v.startsWith('-');
    const [whole, fraction = '00'] = (negative ? v.slice(1) : v).split('.');
    const n = BigInt(whole!) * 100n + BigInt(fraction.padEnd(2, '0'));
    return negative ? -n : n;
  };
  const total = fen(a || '0') + fen(b || '0');
  const abs = total < 0n ? -total : total;
  return `${total < 0n ? '-' : ''}${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`;
};

/** A voucher's forms, part by part (only `fundId`'s when given) and LINES_PER_FORM lines at a time; each carries the digest of the whole voucher. */
export function formsOf(voucher: VoucherData, fundId?: string, digest = statementDigest('voucher', voucher)): Form[] {
  return voucher.parts.filter((p) => !fundId || p.fund.id === fundId).flatMap((part) => {
    // A continued form gives its first row to 承前页.
    const pieces: VoucherPart['lines'][] = [part.lines.slice(0, LINES_PER_FORM)];
    for (let at = LINES_PER_FORM; at < part.lines.length; at += LINES_PER_FORM - 1) pieces.push(part.lines.slice(at, at + LINES_PER_FORM - 1));
    const count = pieces.length;
    let debit = '0.00';
    let credit = '0.00';
    return pieces.map((lines, index) => {
      const form: Form = { voucher, digest, part, lines, index, count, before: index ? { debit, credit } : null };
      for (const l of lines) {
        if (l.debit) debit = add(debit, l.debit);
        if (l.credit) credit = add(credit, l.credit);
      }
      return form;
    });
  });
}

function box(doc: Doc, x: number, y: number, width: number, height: number, weight = 0.6) {
  doc.rect(x, y, width, height).lineWidth(weight).strokeColor('#333333').stroke();
}

function drawForm(doc: Doc, form: Form, top: number, meta: PrintMeta) {
  const { voucher, part } = form;
  const red = voucher.reversal !== null;
  const ink = (color: string) => doc.fillColor(color);
  const text = (style: Style, size: number, value: string, x: number, y: number, width: number, align?: 'left' | 'right' | 'center') =>
    put(doc, style, size, value, x, y, width, align);

  ink(red ? RED : INK);
  text('bold', 16, red ? '记账凭证（红字冲销）' : '记 账 凭 证', MARGIN, top + 20, WIDTH, 'center');
  ink(INK);
  const date = voucher.date.replace(/^(\d{4})-(\d{2})-(\d{2})$/, '$1 年 $2 月 $3 日');
  text('regular', 9, `基金：${part.fund.name}（${part.fund.code}）`, MARGIN, top + 46, WIDTH * 0.45);
  text('regular', 9, date, MARGIN, top + 46, WIDTH, 'center');
  text('bold', 9.5, `凭证号：${part.label}${form.count > 1 ? `（${form.index + 1}/${form.count}）` : ''}`, MARGIN, top + 46, WIDTH, 'right');

  const head = top + 62;
  box(doc, MARGIN, head, WIDTH, ROW * (LINES_PER_FORM + 2));
  ['摘要', '会计科目', '借方金额', '贷方金额'].forEach((h, i) => text('bold', 9, h, COLUMNS[i]!.x, head + 4, COLUMNS[i]!.width, 'center'));
  for (let r = 1; r <= LINES_PER_FORM + 1; r++) {
    doc.moveTo(MARGIN, head + r * ROW).lineTo(MARGIN + WIDTH, head + r * ROW).lineWidth(0.4).strokeColor('#666666').stroke();
  }
  COLUMNS.slice(1).forEach((c, i) => {
    // The total row's label spans 摘要 and 会计科目: the line between them stops above it.
    const bottom = head + ROW * (i === 0 ? LINES_PER_FORM + 1 : LINES_PER_FORM + 2);
    doc.moveTo(c.x, head).lineTo(c.x, bottom).lineWidth(0.4).strokeColor('#666666').stroke();
  });
  const cell = (value: string, column: number, row: number, style: Style = 'regular', align: 'left' | 'right' = 'left', span = 1) =>
    text(style, 8.5, value, COLUMNS[column]!.x + 3, head + row * ROW + 4, COLUMNS.slice(column, column + span).reduce((w, c) => w + c.width, 0) - 6, align);

  let row = 1;
  if (form.before) {
    cell('承前页', 0, row);
    cell(displayMoney(form.before.debit), 2, row, 'regular', 'right');
    cell(displayMoney(form.before.credit), 3, row, 'regular', 'right');
    row += 1;
  }
  ink(red ? RED : INK);
  for (const line of form.lines) {
    cell(line.summary, 0, row);
    cell(`${line.accountCode} ${line.accountName}`, 1, row);
    if (line.debit) cell(displayMoney(line.debit), 2, row, 'regular', 'right');
    if (line.credit) cell(displayMoney(line.credit), 3, row, 'regular', 'right');
    row += 1;
  }
  const last = form.index === form.count - 1;
  const totalRow = LINES_PER_FORM + 1;
  if (last) {
    cell(`合计 人民币（大写）${part.totalInCapitals}`, 0, totalRow, 'bold', 'left', 2);
    cell(displayMoney(part.debitTotal), 2, totalRow, 'bold', 'right');
    cell(displayMoney(part.creditTotal), 3, totalRow, 'bold', 'right');
  } else {
    let debit = form.before?.debit ?? '0.00';
    let credit = form.before?.credit ?? '0.00';
    for (const l of form.lines) {
      if (l.debit) debit = add(debit, l.debit);
      if (l.credit) credit = add(credit, l.credit);
    }
    cell('过次页', 0, totalRow, 'bold');
    cell(displayMoney(debit), 2, totalRow, 'bold', 'right');
    cell(displayMoney(credit), 3, totalRow, 'bold', 'right');
  }
  ink(INK);

  let y = head + ROW * (LINES_PER_FORM + 2) + 8;
  text('regular', 9, `附件 ${voucher.attachments} 张`, MARGIN, y, WIDTH * 0.3);
  if (voucher.reference) text('regular', 9, `参考号：${voucher.reference}`, MARGIN + WIDTH * 0.3, y, WIDTH * 0.7, 'right');
  y += 15;
  if (voucher.reversal) {
    ink(RED);
    const reversed = voucher.reversal.labels.length ? voucher.reversal.labels.join('、') : voucher.reversal.transactionId;
    text('regular', 9, `冲销 ${reversed} 号凭证，原因：${voucher.reversal.reason}`, MARGIN, y, WIDTH);
    ink(INK);
    y += 15;
  }
  const third = WIDTH / 3;
  text('regular', 9.5, `记账：${voucher.postedByName ?? ''}`, MARGIN, y, third);
  text('regular', 9.5, `审核：${voucher.reviewedByName ?? ''}`, MARGIN + third, y, third);
  text('regular', 9.5, `制单：${voucher.preparedByName ?? ''}`, MARGIN + 2 * third, y, third);
  y = top + HALF - 40;
  text('regular', 7, `总号 #${voucher.number} · 打印 ${meta.printedAt} · ${meta.printedBy}`, MARGIN, y, WIDTH * 0.45);
  text('regular', 7, `SHA-256 ${form.digest}`, MARGIN + WIDTH * 0.45, y, WIDTH * 0.55, 'right');
}

function cutLine(doc: Doc) {
  doc.moveTo(MARGIN / 2, HALF).lineTo(PAGE_WIDTH - MARGIN / 2, HALF).dash(4, { space: 4 }).lineWidth(0.5).strokeColor('#999999').stroke().undash();
}

/** Draws forms two to a page, the page written out before the next is drawn. */
async function drawForms(doc: Doc, forms: Form[], meta: PrintMeta, carried: { pending: Form | null }) {
  const all = carried.pending ? [carried.pending, ...forms] : forms;
  carried.pending = null;
  let i = 0;
  for (; i + 1 < all.length; i += 2) {
    if (doc.destroyed) return;
    doc.addPage({ size: 'A4', margin: 0 });
    drawForm(doc, all[i]!, 0, meta);
    cutLine(doc);
    drawForm(doc, all[i + 1]!, HALF, meta);
    await pageDrawn(doc);
  }
  if (i < all.length) carried.pending = all[i]!;
}

async function finishForms(doc: Doc, meta: PrintMeta, carried: { pending: Form | null }) {
  if (carried.pending && !doc.destroyed) {
    doc.addPage({ size: 'A4', margin: 0 });
    drawForm(doc, carried.pending, 0, meta);
    cutLine(doc);
    await pageDrawn(doc);
  }
  if (!doc.destroyed) doc.end();
}

/** One voucher (each fund's part its own form) as a PDF stream, with the digest of its statement. */
export function voucherPdf(voucher: VoucherData, meta: PrintMeta & { digest: string }): Doc {
  const doc = openDocument({ Title: `记账凭证 ${voucher.parts.map((p) => p.label).join(' ')}`, Author: meta.printedBy, Subject: `SHA-256 ${meta.digest}` });
  const carried = { pending: null as Form | null };
  (async () => {
    await prepareFallbacks(doc, [JSON.stringify(voucher), JSON.stringify(meta)]);
    await drawForms(doc, formsOf(voucher, undefined, meta.digest), meta, carried);
    await finishForms(doc, meta, carried);
  })().catch((error: unknown) => doc.destroy(error as Error));
  return doc;
}

/** What the cover of a month's binding (凭证封面) states. */
export interface BindingCover {
  fund: { id: string; code: string; name: string };
  period: string;
  first: string | null;
  last: string | null;
  count: number;
  debitTotal: string;
  creditTotal: string;
  attachments: number;
}

function drawCover(doc: Doc, cover: BindingCover, meta: PrintMeta) {
  doc.addPage({ size: 'A4', margin: 0 });
  const [year, month] = cover.period.split('-');
  put(doc, 'bold', 24, '会 计 凭 证 封 面', MARGIN, 90, WIDTH, 'center');
  put(doc, 'regular', 11, `${year} 年 ${month} 月`, MARGIN, 130, WIDTH, 'center');
  const rows: [string, string][] = [
    ['单位（基金）', `${cover.fund.name}（${cover.fund.code}）`],
    ['会计期间', `${year} 年 ${month} 月`],
    ['凭证起止号', cover.count ? `${cover.first} 至 ${cover.last}` : '本月无凭证'],
    ['凭证张数', `${cover.count} 张`],
    ['借方金额合计', `${displayMoney(cover.debitTotal)}（${chineseCapitals(cover.debitTotal)}）`],
    ['贷方金额合计', `${displayMoney(cover.creditTotal)}（${chineseCapitals(cover.creditTotal)}）`],
    ['附件张数', `${cover.attachments} 张`],
    ['装订人', ''],
    ['会计主管', ''],
  ];
  const top = 180;
  const height = 34;
  box(doc, MARGIN + 20, top, WIDTH - 40, height * rows.length, 0.8);
  rows.forEach(([label, value], i) => {
    const y = top + i * height;
    if (i) doc.moveTo(MARGIN + 20, y).lineTo(MARGIN + WIDTH - 20, y).lineWidth(0.4).strokeColor('#666666').stroke();
    put(doc, 'bold', 11, label, MARGIN + 30, y + 11, 110);
    put(doc, 'regular', 11, value, MARGIN + 150, y + 11, WIDTH - 180);
  });
  doc.moveTo(MARGIN + 140, top).lineTo(MARGIN + 140, top + height * rows.length).lineWidth(0.4).strokeColor('#666666').stroke();
  put(doc, 'regular', 8, `打印 ${meta.printedAt} · ${meta.printedBy} · 每张凭证的 SHA-256 可以 POST /v1/statements/verify 核验（kind voucher）`, MARGIN, PAGE_HEIGHT - 60, WIDTH, 'center');
}

/**
 * A month's vouchers for binding: the cover, then every voucher, two forms to a page. `pages` yields the
 * vouchers a batch at a time, in number order; each batch is drawn, written and let go before the next
 * is read, so memory stays that of a batch whatever the month holds.
 */
export function bindingPdf(cover: BindingCover, pages: AsyncIterable<VoucherData[]>, meta: PrintMeta): Doc {
  const doc = openDocument({ Title: `会计凭证 ${cover.fund.code} ${cover.period}`, Author: meta.printedBy });
  const carried = { pending: null as Form | null };
  (async () => {
    await prepareFallbacks(doc, [JSON.stringify(cover), JSON.stringify(meta)]);
    drawCover(doc, cover, meta);
    await pageDrawn(doc);
    for await (const vouchers of pages) {
      if (doc.destroyed) return;
      await prepareFallbacks(doc, [JSON.stringify(vouchers)]);
      await drawForms(doc, vouchers.flatMap((v) => formsOf(v, cover.fund.id)), meta, carried);
    }
    await finishForms(doc, meta, carried);
  })().catch((error: unknown) => doc.destroy(error as Error));
  return doc;
}
