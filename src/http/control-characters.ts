import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DomainError } from '../errors.js';

/**
 * One rule for every string a request carries, checked before any route's own validation and before
 * anything reaches the database: PostgreSQL refuses NUL outright, and the other control characters are
 * invisible in a name, a statement or a log line, so they are refused with a 400 naming the parameter.
 *
 * - Refused everywhere: C0 controls (U+0000–U+001F), DEL (U+007F), C1 controls (U+0080–U+009F), and a
 *   lone UTF-16 surrogate (JSON can spell one; it cannot be stored and would be replaced by U+FFFD).
 * - Tab, line feed and carriage return are allowed only inside JSON body string values (a purpose or a
 *   reason may run over several lines); never in a path, a query, a header or a property name.
 *
 * CSV bodies are checked cell by cell by the importer, which can name the line and column.
 */

const LONE_SURROGATE = String.raw`[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]`;
const CONTROL = new RegExp(String.raw`[\u0000-\u001f\u007f-\u009f]|${LONE_SURROGATE}`);
const CONTROL_BUT_LINE_BREAKS = new RegExp(String.raw`[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]|${LONE_SURROGATE}`);

const codePoint = (c: string) => `U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;

/** What is wrong with the string, or undefined when it may be stored. */
export function controlCharacterIn(value: string, options: { allowLineBreaks?: boolean } = {}): string | undefined {
  const found = (options.allowLineBreaks ? CONTROL_BUT_LINE_BREAKS : CONTROL).exec(value);
  if (!found) return undefined;
  const at = `at character ${found.index + 1}`;
  return /[\ud800-\udfff]/.test(found[0])
    ? `must be well-formed Unicode text (a lone surrogate ${codePoint(found[0])} ${at})`
    : `must not contain control characters (${codePoint(found[0])} ${at}${options.allowLineBreaks ? '; only tab, line feed and carriage return are allowed' : ''})`;
}

interface Finding {
  in: 'params' | 'querystring' | 'headers' | 'body';
  path: string;
  message: string;
}

// A JSON pointer segment; a control character in a property name is shown escaped, so that the pointer stays readable.
const segment = (name: string) =>
  name
    .replace(/~/g, '~0')
    .replace(/\//g, '~1')
    .replace(new RegExp(CONTROL.source, 'g'), (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

// No route's body nests a quarter as deep; a deeper one (JSON.parse takes 100,000 levels) is refused here
// rather than walked, so that neither this walk nor a pointer into it can grow without bound.
const MAX_DEPTH = 32;

// Enough to show what is wrong without echoing a whole file of it.
const MAX_FINDINGS = 100;

/** Every bad string in a parsed value, keys and values, down to MAX_DEPTH. */
function inspect(value: unknown, where: Finding['in'], path: string, allowLineBreaks: boolean, into: Finding[], depth = 0): void {
  if (into.length >= MAX_FINDINGS) return;
  if (typeof value === 'string') {
    const message = controlCharacterIn(value, { allowLineBreaks });
    if (message) into.push({ in: where, path: path || '/', message });
    return;
  }
  if (!value || typeof value !== 'object') return;
  if (depth >= MAX_DEPTH) {
    into.push({ in: where, path: path || '/', message: `must not nest more than ${MAX_DEPTH} levels deep` });
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((item, i) => inspect(item, where, `${path}/${i}`, allowLineBreaks, into, depth + 1));
    return;
  }
  for (const [name, item] of Object.entries(value)) {
    const message = controlCharacterIn(name);
    if (message) into.push({ in: where, path: `${path}/${segment(name)}`, message: `a property name ${message}` });
    inspect(item, where, `${path}/${segment(name)}`, allowLineBreaks, into, depth + 1);
  }
}

// The headers whose values are stored; X-Request-Id is checked where it is read (src/app.ts, genReqId).
const STORED_HEADERS = ['idempotency-key'];

export function findControlCharacters(request: FastifyRequest): Finding[] {
  const found: Finding[] = [];
  inspect(request.params, 'params', '', false, found);
  inspect(request.query, 'querystring', '', false, found);
  for (const name of STORED_HEADERS) inspect(request.headers[name], 'headers', `/${name}`, false, found);
  // A JSON body has been parsed into objects (or is a bare JSON string); a CSV body arrives as one string,
  // left to the importer, which names the line and column of a control character.
  const csv = /^text\/csv\b/i.test(request.headers['content-type'] ?? '');
  // A file sent as the body (an attachment) is bytes, not text: nothing in it is a parameter.
  if (request.body !== null && typeof request.body === 'object' && !ArrayBuffer.isView(request.body)) inspect(request.body, 'body', '', true, found);
  else if (typeof request.body === 'string' && !csv) inspect(request.body, 'body', '', true, found);
  return found.slice(0, MAX_FINDINGS);
}

export function registerControlCharacterCheck(app: FastifyInstance): void {
  // preValidation: the body is parsed, no route has validated it, and no hook has read the database with it.
  app.addHook('preValidation', async (request) => {
    const errors = findControlCharacters(request);
    if (!errors.length) return;
    const detail = errors.map((e) => `${e.in}${e.path === '/' ? '' : ` ${e.path}`}: ${e.message}`).join('; ');
    throw new DomainError('validation_failed', detail, { errors });
  });
}
