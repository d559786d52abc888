// Checks an HTTP answer against the committed openapi/openapi.json — the file integrators download, not the
// document the code would generate now — so that any drift between the service and what it publishes fails
// the test that saw it. Schemas are validated by @hyperjump/json-schema's OpenAPI 3.1 dialect (JSON Schema
// 2020-12 plus the OAS vocabulary), the reference implementation of both specifications; this file only does
// what no schema can: find the operation, the response, the media type and the headers.
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type OutputUnit, type Validator, setShouldValidateFormat, setShouldValidateSchema, validate } from '@hyperjump/json-schema/openapi-3-1';
import '@hyperjump/json-schema/formats';

export const DOCUMENT_PATH = fileURLToPath(new URL('../../openapi/openapi.json', import.meta.url));
// hyperjump reads a file whose name ends in openapi.json as an OpenAPI document: schemas are addressed by
// JSON pointer into it, so a violation names the exact place in the document that refused.
const DOCUMENT_URI = pathToFileURL(DOCUMENT_PATH).href;

// The OAS dialect treats `format` as an annotation by default; the document promises dates, uuids and
// date-times, so they are checked as well.
setShouldValidateFormat(true);

export interface ObservedResponse {
  method: string;
  /** The request URL as sent: path and query. */
  url: string;
  status: number;
  headers: Record<string, string | string[] | number | undefined>;
  /** The raw body; empty when there is none. */
  body: Buffer;
}

export interface Verdict {
  /** `METHOD /template` of the operation, or undefined when the document does not describe the request. */
  operation?: string;
  violations: string[];
}

type Json = any;

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

// Headers the service sends about transport, caching, CORS or browser hardening: no API contract
// is written in them, so they need no declaration. Every other header an operation sends must be declared.
const TRANSPORT_HEADERS = new Set([
  'content-type', 'content-length', 'date', 'connection', 'keep-alive', 'transfer-encoding', 'vary', 'etag',
  'cache-control', 'pragma', 'expires', 'last-modified', 'accept-ranges',
  'content-security-policy', 'cross-origin-opener-policy', 'cross-origin-resource-policy', 'cross-origin-embedder-policy',
  'origin-agent-cluster', 'referrer-policy', 'strict-transport-security', 'x-content-type-options',
  'x-dns-prefetch-control', 'x-download-options', 'x-frame-options', 'x-permitted-cross-domain-policies', 'x-xss-protection',
]);
const isTransportHeader = (name: string) => TRANSPORT_HEADERS.has(name) || name.startsWith('access-control-');

// Paths the service serves that are web pages, not API: the document rightly leaves them out (the bare
// address is the console's front door, a redirect to it).
const OUTSIDE_API = [/^\/$/, /^\/console(\/|$)/, /^\/docs(\/|$)/];

interface Route {
  method: string;
  template: string;
  pattern: RegExp;
  literals: number;
  pointer: string;
}

let document: Json;
let routes: Route[];
let basePath = '';

function load(): void {
  if (document) return;
  document = JSON.parse(readFileSync(DOCUMENT_PATH, 'utf8'));
  // A server URL with a path (`https://host/api`) puts the document's paths under it.
  const server = document.servers?.[0]?.url as string | undefined;
  if (server) basePath = new URL(server, 'http://localhost').pathname.replace(/\/$/, '');
  routes = [];
  for (const [template, item] of Object.entries<Json>(document.paths ?? {})) {
    const segments = template.split('/');
    const pattern = new RegExp(`^${segments.map((s) => (/^\{.+\}$/.test(s) ? '[^/]+' : escapeRegExp(s))).join('/')}$`);
    const literals = segments.filter((s) => !/^\{.+\}$/.test(s)).length;
    for (const method of METHODS) {
      if (item[method]) routes.push({ method, template, pattern, literals, pointer: `/paths/${escapePointer(template)}/${method}` });
    }
  }
  // A literal segment beats a parameter where both match (OpenAPI 3.1 §4.8.8).
  routes.sort((a, b) => b.literals - a.literals);
}

export function openApiDocument(): Json {
  load();
  return document;
}

// Compiling is the cost (tens of milliseconds a schema; the document has hundreds of response schemas, most of
// them the same problem unions repeated per operation), validating is not. Schemas are compiled once per
// process and shared by content: with only local references, equal text means an equal schema wherever it is.
// The schemas themselves are checked once against the OAS 3.1 dialect by test/contract/document.test.ts,
// not again at every compile.
setShouldValidateSchema(false);
const validators = new Map<string, { pointer: string; compiled: Promise<Validator> }>();

/** A validator for the schema at `pointer`, and the pointer it was compiled at (its errors name that place). */
function validatorAt(pointer: string): { pointer: string; compiled: Promise<Validator> } {
  const key = JSON.stringify(at(pointer));
  let entry = validators.get(key);
  if (!entry) {
    // A JSON pointer in a URI fragment is percent-encoded (RFC 6901 §6): templates hold `{` and `}`.
    entry = { pointer, compiled: validate(`${DOCUMENT_URI}#${pointer.split('/').map(encodeURIComponent).join('/')}`) };
    validators.set(key, entry);
  }
  return entry;
}

/** Validates `instance` against the schema at `pointer`; undefined when valid, else what is wrong. */
async function mismatch(pointer: string, instance: Json): Promise<string | undefined> {
  const { pointer: compiledAt, compiled } = validatorAt(pointer);
  const output = (await compiled)(instance, 'BASIC');
  return output.valid ? undefined : describe(output.errors, instance, compiledAt, pointer);
}

/** Follows local `$ref`s, returning the object and the pointer where it really lives. */
function resolve(pointer: string): { value: Json; pointer: string } {
  let value = at(pointer);
  for (let hops = 0; value && typeof value.$ref === 'string' && hops < 20; hops++) {
    if (!value.$ref.startsWith('#/')) throw new Error(`only local references are supported, found ${value.$ref}`);
    pointer = value.$ref.slice(1);
    value = at(pointer);
  }
  return { value, pointer };
}

function at(pointer: string): Json {
  let node = document;
  for (const token of pointer.split('/').slice(1)) {
    if (node === undefined) return undefined;
    node = node[token.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return node;
}

export async function checkResponse(observed: ObservedResponse): Promise<Verdict> {
  load();
  const method = observed.method.toLowerCase();
  const url = new URL(observed.url, 'http://localhost');
  let path = url.pathname;
  if (basePath) {
    if (!path.startsWith(basePath)) return { violations: [] };
    path = path.slice(basePath.length) || '/';
  }
  const route = routes.find((r) => r.method === method && r.pattern.test(path));
  if (!route) {
    const pathKnown = routes.some((r) => r.pattern.test(path));
    // HEAD (Fastify's automatic twin of GET) and CORS preflights are HTTP machinery, not operations.
    if (OUTSIDE_API.some((p) => p.test(path)) || method === 'head' || method === 'options') return { violations: [] };
    // A refusal of a URL that names no operation (404, or 401 before routing) is not an operation's answer
    // and no document can list every URL that does not exist; a success there means a route the document misses.
    if (observed.status >= 400) return { violations: [] };
    return { violations: [`the service answered ${observed.status} but the document describes no ${observed.method.toUpperCase()} ${path}${pathKnown ? ' (the path is there, not this method)' : ''}`] };
  }

  const operation = `${method.toUpperCase()} ${route.template}`;
  const violations: string[] = [];
  const responses = at(`${route.pointer}/responses`) ?? {};
  const status = String(observed.status);
  const key = [status, `${status[0]}XX`, 'default'].find((k) => responses[k] !== undefined);
  if (!key) {
    return { operation, violations: [`status ${status} is not declared (declared: ${Object.keys(responses).join(', ') || 'none'})`] };
  }
  const response = resolve(`${route.pointer}/responses/${escapePointer(key)}`);

  violations.push(...(await checkHeaders(response, observed)));
  violations.push(...(await checkBody(response, observed, method)));
  return { operation, violations };
}

async function checkHeaders(response: { value: Json; pointer: string }, observed: ObservedResponse): Promise<string[]> {
  const violations: string[] = [];
  const declared = new Map<string, string>();
  for (const name of Object.keys(response.value.headers ?? {})) declared.set(name.toLowerCase(), `${response.pointer}/headers/${escapePointer(name)}`);
  const sent = new Map(Object.entries(observed.headers).map(([k, v]) => [k.toLowerCase(), v]));

  for (const [name, pointer] of declared) {
    // OAS 3.1 §4.8.17.1: a Content-Type entry in headers is ignored; the content map governs it.
    if (name === 'content-type') continue;
    const header = resolve(pointer);
    const value = sent.get(name);
    if (value === undefined) {
      if (header.value.required) violations.push(`required header ${name} is missing`);
      continue;
    }
    if (!header.value.schema) continue;
    const schemaPointer = `${header.pointer}/schema`;
    const instance = coerceHeader(String(value), resolve(schemaPointer).value);
    const wrong = await mismatch(schemaPointer, instance);
    if (wrong) violations.push(`header ${name}: ${JSON.stringify(String(value))} ${wrong}`);
  }
  for (const name of sent.keys()) {
    if (!declared.has(name) && !isTransportHeader(name)) violations.push(`header ${name} is sent but not declared`);
  }
  return violations;
}

/** Header values are text on the wire; a schema for a number or boolean describes the text's meaning. */
function coerceHeader(value: string, schema: Json): Json {
  const types = [schema?.type].flat();
  if ((types.includes('integer') || types.includes('number')) && value.trim() !== '' && !Number.isNaN(Number(value))) return Number(value);
  if (types.includes('boolean') && (value === 'true' || value === 'false')) return value === 'true';
  return value;
}

async function checkBody(response: { value: Json; pointer: string }, observed: ObservedResponse, method: string): Promise<string[]> {
  const content: Record<string, Json> | undefined = response.value.content;
  const sentType = [observed.headers['content-type']].flat()[0];
  const noBodyExpected = method === 'head' || observed.status === 204 || observed.status === 304;
  if (observed.body.length === 0) {
    if (content && Object.keys(content).length && !noBodyExpected) {
      return [`the document declares a body (${Object.keys(content).join(', ')}) but none was sent`];
    }
    return [];
  }
  if (!content || !Object.keys(content).length) return [`a body was sent (${sentType ?? 'no content-type'}) but the document declares none`];
  if (sentType === undefined) return ['a body was sent without a content-type'];
  const mediaType = String(sentType).split(';')[0]!.trim().toLowerCase();
  const [type] = mediaType.split('/');
  const declaredKey = [mediaType, `${type}/*`, '*/*'].map((candidate) => Object.keys(content).find((k) => k.toLowerCase() === candidate)).find(Boolean);
  if (!declaredKey) return [`media type ${mediaType} is not declared (declared: ${Object.keys(content).join(', ')})`];
  const schemaPointer = `${response.pointer}/content/${escapePointer(declaredKey)}/schema`;
  if (at(schemaPointer) === undefined) return [];

  let instance: Json;
  if (mediaType === 'application/json' || mediaType.endsWith('+json')) {
    try {
      instance = JSON.parse(observed.body.toString('utf8'));
    } catch {
      return [`the body is not valid JSON though sent as ${mediaType}`];
    }
  } else if (type === 'text') {
    instance = observed.body.toString('utf8');
  } else {
    // A binary body (application/pdf) is described as a string of octets: there is no JSON value to validate.
    return [];
  }
  const wrong = await mismatch(schemaPointer, instance);
  return wrong ? [`body (${declaredKey}) ${wrong}`] : [];
}

/**
 * The errors hyperjump reports, each as the instance location, the refusing keyword and what it holds; a
 * location inside the schema shared from `compiledAt` is named at `pointer`, where this answer's schema is.
 */
function describe(errors: OutputUnit[] | undefined, instance: Json, compiledAt: string, pointer: string): string {
  const shown = (errors ?? []).filter((e) => e.valid === false || e.valid === undefined).slice(0, 6);
  const parts = shown.map((e) => {
    let keywordPointer = e.absoluteKeywordLocation.includes('#') ? decodeURIComponent(e.absoluteKeywordLocation.split('#')[1]!) : '';
    if (keywordPointer.startsWith(compiledAt)) keywordPointer = pointer + keywordPointer.slice(compiledAt.length);
    const keyword = e.keyword.split('/').pop();
    const fromDocument = e.absoluteKeywordLocation.startsWith(DOCUMENT_URI) ? at(keywordPointer) : undefined;
    const where = e.instanceLocation.replace(/^#/, '') || '/';
    const got = valueAt(instance, e.instanceLocation);
    return `at ${where}: fails ${keyword}${fromDocument === undefined ? '' : ` ${short(fromDocument)}`} (schema ${keywordPointer}), value ${short(got)}`;
  });
  const more = (errors?.length ?? 0) > shown.length ? `; and ${(errors?.length ?? 0) - shown.length} more` : '';
  return `does not match its schema: ${parts.join('; ')}${more}`;
}

function valueAt(instance: Json, location: string): Json {
  let node = instance;
  for (const token of location.replace(/^#/, '').split('/').slice(1)) {
    if (node === undefined || node === null) return undefined;
    node = node[decodeURIComponent(token).replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return node;
}

function short(value: Json): string {
  const text = value === undefined ? 'undefined' : JSON.stringify(value);
  return text.length > 160 ? `${text.slice(0, 157)}...` : text;
}

function escapePointer(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
