/**
 * A statement as printed: the blocks of a page body, shared by the PDF and the CSV renderers so the two
 * show the same rows. Money cells hold the statement's own decimal strings; each renderer formats them.
 */
export type Align = 'left' | 'right' | 'center';

export interface Column {
  header: string;
  /** Relative width; the PDF shares the page width among the columns by these. */
  width: number;
  align?: Align;
  /** A decimal string: the PDF prints it with thousands separators, the CSV as it is. */
  money?: boolean;
}

/** 承前页 / 过次页: a table whose running totals are printed at each page break. */
export interface Carry {
  /** The label of the row that ends a page (过次页) and of the row that starts the next (承前页). */
  forward: string;
  back: string;
  /** The cells of a carry row labelled `label`, once the first `count` rows are printed. */
  after(count: number, label: string): string[];
}

export interface Table {
  columns: Column[];
  rows: string[][];
  /** Printed after the last row, also in the CSV. */
  total?: string[];
  carry?: Carry;
  /** Printed in place of rows when there are none. */
  empty?: string;
}

export interface Field {
  label: string;
  value: string;
  money?: boolean;
}

export type Block =
  | { type: 'heading'; text: string }
  | { type: 'fields'; fields: Field[] }
  | { type: 'table'; table: Table }
  | { type: 'text'; text: string };

export interface Presentation {
  /** Statement kind, e.g. "明细账 Account ledger". */
  title: string;
  /** The fund (or funds) the statement is about, for the page header. */
  fund: string;
  period: string;
  /** What else the statement is about: an account, a village, a household, a policy. */
  subject?: string;
  blocks: Block[];
  /** File name without extension, ASCII only. */
  fileName: string;
}

/** Who asked and when: printed, but not part of the digest. */
export interface Provenance {
  digest: string;
  /** ISO 8601, UTC (as in the JSON and the CSV). */
  generatedAt: string;
  /** The same moment in the ledger's time zone, with its offset: what the PDF prints. */
  printedAt: string;
  generatedBy: { id: string; name: string };
}

/** "1234567.89" → "1,234,567.89", on the string itself so no amount passes through a float. */
export function displayMoney(value: string): string {
  if (value === '') return '';
  const negative = value.startsWith('-');
  const [whole, fraction] = (negative ? value.slice(1) : value).split('.');
  const grouped = whole!.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${negative ? '-' : ''}${grouped}${fraction === undefined ? '' : `.${fraction}`}`;
}

export const periodText = (from: string, to: string) => `${from} 至 ${to}`;
