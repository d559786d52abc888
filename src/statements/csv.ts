import type { Presentation, Provenance, Table } from './document.js';

// A leading =, +, -, @, tab or carriage return makes a spreadsheet run the cell as a formula: text cells
// (descriptions, names typed by officers) are defused with a quote; money cells are left as numbers.
const FORMULA_START = /^[=+\-@\t\r]/;

function cell(value: string, money = false): string {
  const text = !money && FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

const line = (cells: string[], money: boolean[] = []) => cells.map((c, i) => cell(c, money[i])).join(',');

function table(t: Table): string[] {
  const money = t.columns.map((c) => Boolean(c.money));
  const lines = [line(t.columns.map((c) => c.header))];
  for (const row of t.rows) lines.push(line(row, money));
  if (t.total) lines.push(line(t.total, money));
  return lines;
}

/**
 * The statement as CSV (UTF-8 with a byte-order mark, so spreadsheets read the Chinese): first the
 * header fields and the digest as "field,value" lines, then each block in order, separated by an empty
 * line; a table is its column headers, its rows and its total. Amounts are plain decimal strings.
 */
export function statementCsv(doc: Presentation, meta: Provenance): string {
  const lines = [
    line(['statement', doc.title]),
    line(['fund', doc.fund]),
    line(['period', doc.period]),
    ...(doc.subject ? [line(['subject', doc.subject])] : []),
    line(['generatedAt', meta.generatedAt]),
    line(['generatedBy', `${meta.generatedBy.name} (${meta.generatedBy.id})`]),
    line(['digest', meta.digest]),
  ];
  let previous: string | undefined;
  for (const block of doc.blocks) {
    // A heading stays on the line above what it names.
    if (previous !== 'heading') lines.push('');
    previous = block.type;
    if (block.type === 'heading' || block.type === 'text') lines.push(line([block.text]));
    else if (block.type === 'fields') for (const f of block.fields) lines.push(line([f.label, f.value], [false, Boolean(f.money)]));
    else lines.push(...table(block.table));
  }
  return `\uFEFF${lines.join('\r\n')}\r\n`;
}
