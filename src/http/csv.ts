import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { DomainError, type ErrorCode } from '../errors.js';
import { isCalendarDate } from '../ledger/dates.js';

/**
 * Files uploaded as CSV (a household roster, a bank statement): read from their bytes whatever Excel saved
 * them as, and refused whole with every bad line named.
 *
 * A small RFC 4180 reader: comma-separated, fields optionally in double quotes, a quote inside a quoted
 * field written twice, line breaks (CRLF, LF or CR) inside quoted fields kept. A leading BOM is
 * dropped. Blank lines are skipped. Malformed quoting does not stop the reading: the record carries a
 * problem, so an import can report every bad line at once.
 */

export interface CsvRecord {
  /** The line of the file where the record begins (1 is the first line), as an editor shows it. */
  line: number;
  fields: string[];
  problem?: string;
}

const UNQUOTED = /[^,\r\n]*/y;

/** Line breaks in a piece of text: CRLF counts once. */
function breaks(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) n++;
  }
  return n;
}

export function parseCsv(input: string): CsvRecord[] {
  // TextDecoder drops a UTF-8 BOM; GB18030 spells one too (84 31 95 33), which arrives as U+FEFF.
  const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  const records: CsvRecord[] = [];
  let i = 0;
  let line = 1;
  while (i < text.length) {
    const record: CsvRecord = { line, fields: [] };
    for (;;) {
      let field: string;
      if (text[i] === '"') {
        field = '';
        i++;
        for (;;) {
          const close = text.indexOf('"', i);
          if (close === -1) {
            field += text.slice(i);
            line += breaks(text.slice(i));
            i = text.length;
            record.problem ??= 'a quoted field is not closed: a quote is missing';
            break;
          }
          field += text.slice(i, close);
          line += breaks(text.slice(i, close));
          if (text[close + 1] === '"') {
            field += '"';
            i = close + 2;
          } else {
            i = close + 1;
            break;
          }
        }
        UNQUOTED.lastIndex = i;
        const rest = UNQUOTED.exec(text)![0];
        if (rest) {
          record.problem ??= 'text after the closing quote of a field: quote the whole field';
          field += rest;
          i += rest.length;
        }
      } else {
        UNQUOTED.lastIndex = i;
        field = UNQUOTED.exec(text)![0];
        i += field.length;
        if (field.includes('"')) record.problem ??= 'a quote inside an unquoted field: quote the whole field and double its quotes';
      }
      record.fields.push(field);
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === '\r') i++;
      if (text[i] === '\n') i++;
      line++;
      break;
    }
    const blank = record.fields.length === 1 && record.fields[0] === '' && !record.problem;
    if (!blank) records.push(record);
  }
  return records;
}

/** The encodings a file is read in, tried in this order (see decodeText). */
export type TextEncoding = 'UTF-8' | 'GB18030';

export type Decoded =
  | { text: string; encoding: TextEncoding }
  | { failure: { encoding: TextEncoding | 'UTF-8 or GB18030'; byte: number; line: number } };

const LABELS: Record<TextEncoding, string> = { 'UTF-8': 'utf-8', GB18030: 'gb18030' };

/**
 * Where the first character that cannot be read begins. A prefix that reads without error (a character
 * cut off by its end not counting, in stream mode) stays readable as it shrinks, so a binary search finds
 * the longest; the bad character then begins at the last complete character before its end, at most 3
 * bytes back (no character in either encoding is longer than 4 bytes).
 */
function firstUnreadable(label: string, bytes: Uint8Array): number {
  const reads = (n: number, stream: boolean) => {
    try {
      new TextDecoder(label, { fatal: true }).decode(bytes.subarray(0, n), { stream });
      return true;
    } catch {
      return false;
    }
  };
  let low = 0;
  let high = bytes.length;
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (reads(mid, true)) low = mid;
    else high = mid - 1;
  }
  for (let start = low; start > low - 4 && start > 0; start--) if (reads(start, false)) return start;
  return Math.max(0, low - 3);
}

/** The line (1 is the first) that the byte at `offset` is on: LF, CRLF or CR end a line, as parseCsv counts. */
function lineAt(bytes: Uint8Array, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) {
    if (bytes[i] === 0x0a || (bytes[i] === 0x0d && bytes[i + 1] !== 0x0a)) line++;
  }
  return line;
}

/**
 * A file's text, told from its bytes: UTF-8 (a BOM or not) when the bytes are valid UTF-8, else GB18030,
 * the national standard that contains GBK and GB2312, which is what Excel on a Chinese Windows saves as
 * "CSV". A real Chinese text is almost never valid in both (GBK's two-byte pairs break UTF-8's rules
 * within a few characters), and ASCII reads the same in both. Otherwise: where reading failed, in UTF-8
 * if the file read as UTF-8 past at least one non-ASCII character before that (it was meant to be
 * UTF-8), else in GB18030. LF and CR are single bytes in both encodings (no multi-byte character
 * contains them), so lines count the same.
 */
export function decodeText(bytes: Uint8Array): Decoded {
  for (const encoding of ['UTF-8', 'GB18030'] as const) {
    try {
      return { text: new TextDecoder(LABELS[encoding], { fatal: true }).decode(bytes), encoding };
    } catch {
      // tried next, or reported below
    }
  }
  const utf8 = firstUnreadable(LABELS['UTF-8'], bytes);
  const gb18030 = firstUnreadable(LABELS.GB18030, bytes);
  const meantAsUtf8 = bytes.subarray(0, utf8).some((b) => b >= 0x80);
  const failure =
    utf8 === gb18030
      ? { encoding: 'UTF-8 or GB18030' as const, byte: utf8 }
      : meantAsUtf8
        ? { encoding: 'UTF-8' as const, byte: utf8 }
        : { encoding: 'GB18030' as const, byte: gb18030 };
  return { failure: { ...failure, line: lineAt(bytes, failure.byte) } };
}

export interface RowError {
  line: number;
  /** The column as the file names it; null when the problem is the whole line. */
  column: string | null;
  code: ErrorCode;
  message: string;
}

export const MAX_LISTED_ERRORS = 1000;

/** How a problem reads in one line: "身份证号: the ID number check digit is wrong". */
export const describeError = (e: Pick<RowError, 'column' | 'message'>) => (e.column ? `${e.column}: ${e.message}` : e.message);

export function refusal(errors: RowError[], rowCount: number): DomainError {
  errors.sort((a, b) => a.line - b.line);
  const badRows = new Set(errors.map((e) => e.line)).size;
  const listed = errors.slice(0, MAX_LISTED_ERRORS);
  const what = rowCount ? `${badRows} of ${rowCount} ${rowCount === 1 ? 'row' : 'rows'} ${badRows === 1 ? 'has' : 'have'} errors` : 'the file has errors';
  const more = errors.length > listed.length ? `; the first ${listed.length} of ${errors.length} problems are listed` : '';
  return new DomainError('import_failed', `Nothing was imported: ${what}${more}.`, { errors: listed, errorCount: errors.length });
}

/**
 * Reads an uploaded file's bytes: UTF-8 with or without a BOM, or GB18030 (GBK), what Excel in China saves
 * as "CSV" (see decodeText). Anything else is refused with the line and byte where reading failed.
 */
export function decodeCsv(bytes: Uint8Array): string {
  // Excel's "Unicode text" is UTF-16, tab-separated: say so rather than report its NUL bytes.
  if ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff)) {
    const message = 'the file is UTF-16 text (Excel "Unicode text"), not CSV: save it as "CSV UTF-8" or "CSV"';
    throw refusal([{ line: 1, column: null, code: 'validation_failed', message }], 0);
  }
  const decoded = decodeText(bytes);
  if ('text' in decoded) return decoded.text;
  const { encoding, byte, line } = decoded.failure;
  const shown = [...bytes.subarray(byte, byte + 4)].map((b) => b.toString(16).padStart(2, '0').toUpperCase()).join(' ');
  const message =
    `the file is neither UTF-8 nor GB18030 (GBK) text: on line ${line}, the bytes from byte ${byte} (counted from 0 at the start of ` +
    `the file: ${shown}) cannot be read as ${encoding}. Save it as "CSV UTF-8", or as "CSV" from Excel`;
  throw refusal([{ line, column: null, code: 'validation_failed', message }], 0);
}

/** Charsets a client may declare: UTF-8, and GB18030 under the names of its subsets. */
const READABLE_CHARSETS = new Set(['utf-8', 'utf8', 'gb18030', 'gbk', 'gb2312', 'cp936', 'x-gbk']);

/**
 * Lets the routes of one plugin take a CSV file as the body (`text/csv`, decoded by decodeCsv into a
 * string); everywhere else the API stays JSON-only. The bytes tell the encoding; a declared charset other
 * than UTF-8 or GB18030 means another one, refused with 415.
 */
export function acceptCsvBodies(app: FastifyInstance, bodyLimit: number): void {
  app.addContentTypeParser('text/csv', { parseAs: 'buffer', bodyLimit }, (req, body, done) => {
    const charset = /charset=([^;\s]+)/i.exec(req.headers['content-type'] ?? '')?.[1]?.replace(/"/g, '').toLowerCase();
    if (charset && !READABLE_CHARSETS.has(charset)) {
      const message = `The file must be UTF-8 or GB18030 (GBK), not ${charset}: save it as "CSV UTF-8", or as "CSV" from Excel.`;
      return done(Object.assign(new Error(message), { statusCode: 415 }), undefined);
    }
    try {
      done(null, decodeCsv(body as Buffer));
    } catch (error) {
      done(error as Error, undefined);
    }
  });
}

/** A day written 2025-03-01, 2025/3/1, 2025.3.1 or 2025年3月1日 (as spreadsheets write days), as YYYY-MM-DD; undefined when it is none. */
export function parseWrittenDay(raw: string): string | undefined {
  const m = /^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})$/.exec(raw) ?? /^(\d{4})(年)(\d{1,2})月(\d{1,2})日$/.exec(raw);
  if (!m) return undefined;
  const day = `${m[1]}-${m[3]!.padStart(2, '0')}-${m[4]!.padStart(2, '0')}`;
  return isCalendarDate(day) ? day : undefined;
}

/** The answer of a route that hands out a CSV file to fill in (a template), as the document states it. */
export const csvTemplateResponse = {
  200: {
    description: 'The template',
    content: { 'text/csv': { schema: z.string() } },
    headers: { 'Content-Disposition': { description: 'attachment; the file name', type: 'string' } },
  },
};

/** Sends `text` as a CSV download named `fileName` (ASCII) and, for browsers that read it, `localName`. */
export function sendCsvTemplate(reply: FastifyReply, fileName: string, localName: string, text: string): string {
  reply.type('text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${fileName}"; filename*=UTF-8''${encodeURIComponent(localName)}`);
  return text;
}
