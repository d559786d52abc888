/**
 * A small RFC 4180 reader: comma-separated, fields optionally in double quotes, a quote inside a quoted
 * field written twice, line breaks (CRLF, LF or CR) inside quoted fields kept. A leading UTF-8 BOM is
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
