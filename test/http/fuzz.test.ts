import fc from 'fast-check';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rows } from '../../src/db/client.js';
import { generateOpenApi } from '../../src/openapi.js';
import { ADMIN_TOKEN, expectLedgerIntact, startApp, type TestApp } from '../helpers/app.js';
import { backends, realPostgres } from '../helpers/database.js';
import { createHousehold, createPreventionFund, createVillage } from '../helpers/fixtures.js';

/**
 * Property-based fuzzing of every /v1 route in the OpenAPI document: each generated request is malformed
 * somewhere (path, query or body), so every answer must be a 4xx problem — never a 500, never a success —
 * and nothing may be written. Routes are read from the document, so a new route is fuzzed automatically.
 *
 * Replay: each route's cases come from fc.sample with seed SEED + the route's position in the document; a
 * failure prints that seed, the case index and the request itself (fc.sample(requestsFor(route), {seed})[case]).
 */
const SEED = 20261130;
const REQUESTS = 1_000;

interface Route {
  method: 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT';
  path: string;
  pathParams: string[];
  queryParams: string[];
  /** null when the operation takes no body: then only the path can carry the malformation. */
  body: { props: Record<string, any> } | null;
}

interface Case {
  method: Route['method'];
  url: string;
  body?: string;
  headers: Record<string, string>;
}

/** The tables the fuzzed routes write; every other table but audit_log is counted too. */
const WRITTEN_TABLES = [
  'transactions', 'transaction_lines', 'accounts', 'funds', 'villages', 'households', 'household_monitoring', 'disbursements',
  'disbursement_batches', 'dividends', 'industries', 'insurance_policies', 'insurance_claims', 'income_receipts', 'api_keys', 'events',
  'idempotency_keys', 'accounting_periods',
];

/** Every table a write would change. audit_log is left out: it records refused writes by design. */
async function tableCounts(t: TestApp): Promise<Record<string, number>> {
  const tables = await rows<{ name: string }>(
    t.database.db,
    sql`select table_name as name from information_schema.tables
        where table_schema = 'public' and table_type = 'BASE TABLE' and table_name <> 'audit_log' order by 1`,
  );
  const counts: Record<string, number> = {};
  for (const { name } of tables) {
    const [row] = await rows<{ n: string | number }>(t.database.db, sql.raw(`select count(*) as n from "${name}"`));
    counts[name] = Number(row!.n);
  }
  return counts;
}

interface Document {
  paths: Record<string, Record<string, any>>;
  components?: { schemas?: Record<string, any> };
}

function routesOfDocument(doc: Document): Route[] {
  const routes: Route[] = [];
  for (const [path, operations] of Object.entries(doc.paths)) {
    if (!path.startsWith('/v1/')) continue;
    for (const [method, op] of Object.entries(operations)) {
      const parameters: { in: string; name: string }[] = op.parameters ?? [];
      const content = op.requestBody?.content as Record<string, { schema?: any }> | undefined;
      const schema = content?.['application/json']?.schema;
      routes.push({
        method: method.toUpperCase() as Route['method'],
        path,
        pathParams: parameters.filter((p) => p.in === 'path').map((p) => p.name),
        queryParams: parameters.filter((p) => p.in === 'query').map((p) => p.name),
        body: op.requestBody ? { props: schema?.properties ?? {} } : null,
      });
    }
  }
  return routes;
}

// ---- junk ------------------------------------------------------------------------------------------

const SQL = ["' or 1=1--", "'; drop table transactions;--", '1; delete from funds', '" OR ""="', "admin'--", '%27%20or%201%3D1'];
const NUMERIC_TEXT = ['1e308', '-1e308', '1e-308', '-0', 'NaN', 'Infinity', '-Infinity', '1.005', '0.001', '00.10', '1,000.00', '0x10', '9'.repeat(40), '-5', '0', ' 1 ', '１２３'];
const ODD_TEXT = ['', ' ', '\u0000', '\u0007bell', 'line\nbreak', '\u202Eevil', '💥🏦', '张三\u0000', 'null', 'true', '[]', '{}', '../../etc/passwd', '%00', '\\', 'x'.repeat(5000), '2025-02-30', '2025-13-01', '99999-01-01', '2025-1-1', '2026-10'];

const junkString = fc.oneof(
  fc.constantFrom(...SQL, ...NUMERIC_TEXT, ...ODD_TEXT),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ minLength: 300, maxLength: 3000 }),
);

const junkNumber = fc.oneof(
  fc.constantFrom(1e308, -1e308, Number.MIN_VALUE, -0, 0, 1.005, 0.1 + 0.2, Number.MAX_SAFE_INTEGER + 2, -1, 2 ** 31, 1e21),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
);

/** Any JSON value, biased to the shapes that break parsers and validators. */
const junkValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    junkString,
    junkNumber,
    fc.constantFrom(null, true, false),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(junkString, tie('value'), { maxKeys: 4 }),
  ),
})).value;

/** A JSON value whose type is none of the declared ones, so the field can never validate. */
function wrongTypedValue(declared: Set<string>): fc.Arbitrary<unknown> {
  const candidates: [string, fc.Arbitrary<unknown>][] = [
    ['string', junkString],
    ['number', junkNumber],
    ['boolean', fc.boolean()],
    ['null', fc.constant(null)],
    ['array', fc.array(junkValue, { maxLength: 3 })],
    ['object', fc.dictionary(junkString, junkValue, { maxKeys: 3 })],
  ];
  const wrong = candidates.filter(([type]) => !declared.has(type) && !(type === 'number' && declared.has('integer')));
  return fc.oneof(...wrong.map(([, arb]) => arb));
}

/** The JSON types a property schema admits, or null when the document does not say plainly. */
function declaredTypes(schema: any): Set<string> | null {
  if (!schema || typeof schema !== 'object') return null;
  if (typeof schema.type === 'string') return new Set([schema.type]);
  if (Array.isArray(schema.type)) return new Set(schema.type);
  const members = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(members)) {
    const all = new Set<string>();
    for (const member of members) {
      const types = declaredTypes(member);
      if (!types) return null;
      for (const type of types) all.add(type);
    }
    return all;
  }
  return null;
}

const invalidJson = fc
  .oneof(
    fc.constantFrom('{"code": ', "{'code': 'x'}", '{"a":1}}', '[1,2', 'NaN', '{"amount": 1e}', '{"__proto__": {"admin": true}}', '{"constructor": {"prototype": {"x": 1}}}', '\u0000', '{"a": "\u0000', '{,}', 'undefined', '{"a":01}'),
    fc.string({ unit: 'binary', minLength: 1, maxLength: 60 }),
  )
  .filter((text) => {
    try {
      const parsed = JSON.parse(text);
      // Prototype poisoning parses as JSON but Fastify refuses it: keep it.
      return /__proto__|constructor/.test(text) && typeof parsed === 'object';
    } catch {
      return true;
    }
  });

const OVERSIZE = JSON.stringify({ name: 'x'.repeat(1024 * 1024 + 10) });

// Lone surrogates cannot be percent-encoded (UTF-8 turns them into U+FFFD); the raw "%" junk covers broken encodings.
const safeSegment = (value: string) => encodeURIComponent(Buffer.from(value, 'utf8').toString('utf8'));

// ---- requests --------------------------------------------------------------------------------------

function requestsFor(route: Route, validIds: string[]): fc.Arbitrary<Case> {
  const nonexistentId = fc.uuid({ version: [4, 7] });
  // A "poisoned" path parameter never names an existing thing: junk text or a UUID nobody issued.
  const poisonedParam = fc.oneof(
    { arbitrary: junkString.map(safeSegment), weight: 4 },
    { arbitrary: nonexistentId, weight: 4 },
    { arbitrary: fc.constantFrom('%', '%zz', '%E0%A4%A', '%00'), weight: 1 },
  );
  const validParam = (name: string) => (name === 'period' ? fc.constantFrom('2025-01', '2026-10') : fc.constantFrom(...validIds));

  const pathWith = (param: (name: string) => fc.Arbitrary<string>) =>
    fc.tuple(...route.pathParams.map(param)).map((values) => {
      let path = route.path;
      route.pathParams.forEach((name, i) => (path = path.replace(`{${name}}`, values[i]!)));
      return path;
    });
  const poisonedPath = pathWith(() => poisonedParam);
  // A path of existing things (or poisoned): used only when the query or the body is surely malformed.
  const anyPath = pathWith((name) => fc.oneof(validParam(name), poisonedParam));

  const junkQueryValue = fc.oneof(junkString, fc.constantFrom(...NUMERIC_TEXT));
  const unknownName = fc.oneof(fc.constantFrom('admin', 'where', 'sort', '__proto__', 'limit[]', 'fundId2'), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 })).filter(
    (n) => !route.queryParams.includes(n),
  );
  const query = (mustBeMalformed: boolean) =>
    fc
      .tuple(
        fc.subarray(route.queryParams).chain((names) => fc.tuple(...names.map((n) => junkQueryValue.map((v) => [n, v] as const)))),
        fc.array(fc.tuple(unknownName, junkQueryValue), { minLength: mustBeMalformed ? 1 : 0, maxLength: 3 }),
      )
      .map(([declared, unknown]) => {
        const pairs = [...declared, ...unknown].map(([n, v]) => `${safeSegment(n)}=${safeSegment(v)}`);
        return pairs.length ? `?${pairs.join('&')}` : '';
      });

  const idempotency = fc.option(fc.oneof(fc.uuid(), fc.string({ minLength: 0, maxLength: 300 }).filter((s) => /^[\x20-\x7e]*$/.test(s))), { nil: undefined });
  const jsonHeaders = (contentType: string, key: string | undefined): Record<string, string> => ({
    'content-type': contentType,
    ...(key === undefined ? {} : { 'idempotency-key': key }),
  });

  if (route.method === 'GET' || route.method === 'DELETE' || route.body === null) {
    // Without a body, a strict query schema can refuse an unknown parameter; otherwise the path must be junk.
    // A route that takes no input at all (GET /v1/me) must still refuse a query it does not know.
    const queryIsStrict = route.queryParams.length > 0 || !route.pathParams.length;
    const cases: fc.Arbitrary<string>[] = [];
    if (route.pathParams.length) cases.push(poisonedPath.chain((path) => query(false).map((q) => path + q)));
    if (queryIsStrict) cases.push(anyPath.chain((path) => query(true).map((q) => path + q)));
    if (!cases.length) throw new Error(`${route.method} ${route.path}: nothing to fuzz (no path parameter, no query, no body)`);
    const url = fc.oneof(...cases);
    if (route.method === 'GET' || route.method === 'DELETE') return url.map((u) => ({ method: route.method, url: u, headers: {} }));
    // A bodiless POST (approve, close...) may still receive junk: it must be refused or ignored, never accepted.
    return fc.record({ url, body: fc.option(fc.oneof(invalidJson, junkValue.map((v) => JSON.stringify(v) ?? 'null')), { nil: undefined }), key: idempotency }).map(
      // No body, no content-type: an empty JSON body would be refused for that alone, hiding the junk path.
      ({ url: u, body, key }): Case =>
        body === undefined
          ? { method: route.method, url: u, headers: key === undefined ? {} : ({ 'idempotency-key': key } as Record<string, string>) }
          : { method: route.method, url: u, body, headers: jsonHeaders('application/json', key) },
    );
  }

  const props = route.body.props;
  const names = Object.keys(props);
  const typedNames = names.filter((n) => declaredTypes(props[n]) !== null);
  const extraKey = fc.oneof(fc.constantFrom('admin', 'id', 'balance', 'createdAt', 'status'), junkString).filter((k) => !names.includes(k) && k !== '__proto__');

  // The operation's own field names with junk values: at least one field of a wrong type, or an unknown field.
  const rightNamesWrongValues = fc
    .record({
      present: fc.subarray(names),
      values: fc.tuple(...names.map(() => junkValue)),
      broken: typedNames.length ? fc.constantFrom(...typedNames) : fc.constant(null),
      extras: fc.array(fc.tuple(extraKey, junkValue), { minLength: typedNames.length ? 0 : 1, maxLength: 3 }),
    })
    .chain(({ present, values, broken, extras }) =>
      (broken === null ? fc.constant(undefined) : wrongTypedValue(declaredTypes(props[broken])!)).map((wrong) => {
        const body: Record<string, unknown> = {};
        names.forEach((n, i) => {
          if (present.includes(n)) body[n] = values[i];
        });
        if (broken !== null) body[broken] = wrong;
        for (const [k, v] of extras) body[k] = v;
        return JSON.stringify(body);
      }),
    );
  const notAnObject = fc.oneof(junkString, junkNumber, fc.constantFrom(null, true, false), fc.array(junkValue, { maxLength: 3 })).map((v) => JSON.stringify(v));
  const body = fc.oneof(
    { arbitrary: rightNamesWrongValues, weight: 6 },
    { arbitrary: fc.dictionary(junkString, junkValue, { minKeys: 1, maxKeys: 5 }).filter((o) => Object.keys(o).some((k) => !names.includes(k))).map((o) => JSON.stringify(o)), weight: 2 },
    { arbitrary: notAnObject, weight: 2 },
    { arbitrary: invalidJson, weight: 2 },
    { arbitrary: fc.constant(OVERSIZE), weight: 1 },
  );
  const contentType = fc.oneof(
    { arbitrary: fc.constant('application/json'), weight: 12 },
    { arbitrary: fc.constantFrom('application/json; charset=utf-8', 'text/plain', 'application/x-www-form-urlencoded', 'application/xml'), weight: 1 },
  );
  return fc.record({ path: anyPath, body, contentType, key: idempotency }).map(({ path, body: b, contentType: ct, key }) => ({
    method: route.method,
    url: path,
    body: b,
    headers: jsonHeaders(ct, key),
  }));
}

// ---- control characters ----------------------------------------------------------------------------

/** Every character the service refuses in any string: C0 controls, DEL and C1 controls (README, Abuse and bad input). */
const CONTROLS = [...Array.from({ length: 0x20 }, (_, i) => i), 0x7f, ...Array.from({ length: 0x20 }, (_, i) => 0x80 + i)].map((c) => String.fromCharCode(c));
/** Allowed inside JSON string values only, for text over several lines. */
const LINE_BREAKS = new Set(['\t', '\n', '\r']);
const PLACEHOLDER_ID = '0190b6a4-0000-7000-8000-000000000000';

interface Target {
  method: Route['method'];
  /** The route's path with its parameters filled with values of the right shape. */
  path: string;
  in: 'params' | 'querystring' | 'headers' | 'body';
  /** The JSON pointer the problem's errors[] names it by, for a given bad character. */
  pointer(bad: string): string;
  /** The request with `bad` put in this one parameter and nowhere else. */
  request(bad: string): Case;
  /** Where a JSON body value is the target, tab and line breaks are allowed. */
  freeText: boolean;
}

/** Every string-carrying place of a JSON schema, as a pointer and a function building a body with a value there. */
function bodyLeaves(doc: Document, schema: any, depth = 0): { pointer: string; build: (value: unknown) => unknown }[] {
  const resolved = schema?.$ref ? doc.components!.schemas![String(schema.$ref).split('/').pop()!] : schema;
  if (!resolved || depth > 4) return [];
  const alternatives = resolved.anyOf ?? resolved.oneOf ?? resolved.allOf;
  if (Array.isArray(alternatives)) {
    const seen = new Map<string, (value: unknown) => unknown>();
    for (const alternative of alternatives) for (const leaf of bodyLeaves(doc, alternative, depth)) if (!seen.has(leaf.pointer)) seen.set(leaf.pointer, leaf.build);
    return [...seen].map(([pointer, build]) => ({ pointer, build }));
  }
  if (resolved.type === 'array') {
    return bodyLeaves(doc, resolved.items, depth + 1).map((leaf) => ({ pointer: `/0${leaf.pointer}`, build: (value) => [leaf.build(value)] }));
  }
  if (resolved.type === 'object' && resolved.properties && Object.keys(resolved.properties).length) {
    return Object.entries(resolved.properties).flatMap(([name, property]) =>
      bodyLeaves(doc, property, depth + 1).map((leaf) => ({ pointer: `/${name}${leaf.pointer}`, build: (value: unknown) => ({ [name]: leaf.build(value) }) })),
    );
  }
  return [{ pointer: '', build: (value) => value }];
}

/** Each parameter of each /v1 route — path, query, JSON body field at any depth, Idempotency-Key — as a target. */
function controlCharacterTargets(doc: Document): Target[] {
  const targets: Target[] = [];
  for (const [template, operations] of Object.entries(doc.paths)) {
    if (!template.startsWith('/v1/')) continue;
    for (const [lower, op] of Object.entries(operations)) {
      const method = lower.toUpperCase() as Route['method'];
      const parameters: { in: string; name: string }[] = op.parameters ?? [];
      const fill = (bad?: { name: string; value: string }) =>
        template.replace(/\{(\w+)\}/g, (_, name: string) =>
          bad?.name === name ? encodeURIComponent(bad.value) : name === 'period' ? '2026-10' : PLACEHOLDER_ID,
        );
      const path = fill();
      const writes = method !== 'GET' && method !== 'DELETE';
      const json = (body: unknown): Pick<Case, 'body' | 'headers'> => ({ body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
      const emptyBody = (): Pick<Case, 'body' | 'headers'> => (writes && op.requestBody?.content?.['application/json'] ? json({}) : { headers: {} });
      for (const parameter of parameters) {
        if (parameter.in === 'path') {
          targets.push({
            method, path, in: 'params', pointer: () => `/${parameter.name}`, freeText: false,
            request: (bad) => ({ method, url: fill({ name: parameter.name, value: `x${bad}` }), ...emptyBody() }),
          });
        } else if (parameter.in === 'query') {
          targets.push({
            method, path, in: 'querystring', pointer: () => `/${parameter.name}`, freeText: false,
            request: (bad) => ({ method, url: `${path}?${parameter.name}=${encodeURIComponent(`x${bad}`)}`, ...emptyBody() }),
          });
        }
      }
      if (writes) {
        targets.push({
          method, path, in: 'headers', pointer: () => '/idempotency-key', freeText: false,
          request: (bad) => {
            const body = emptyBody();
            return { method, url: path, ...body, headers: { ...body.headers, 'idempotency-key': `key-${bad}` } };
          },
        });
      }
      const schema = op.requestBody?.content?.['application/json']?.schema;
      if (!schema) continue;
      for (const leaf of bodyLeaves(doc, schema)) {
        targets.push({ method, path, in: 'body', pointer: () => leaf.pointer || '/', freeText: true, request: (bad) => ({ method, url: path, ...json(leaf.build(`x${bad}`)) }) });
      }
      // A property name is never free text; the pointer shows its control character escaped.
      targets.push({
        method, path, in: 'body', pointer: (bad) => `/x\\u${bad.charCodeAt(0).toString(16).padStart(4, '0')}`, freeText: false,
        request: (bad) => ({ method, url: path, ...json({ [`x${bad}`]: 'y' }) }),
      });
    }
  }
  return targets;
}

/** Sends a case as the admin, and the answer's body parsed as a problem (undefined when it is not JSON). */
async function send(t: TestApp, c: Case) {
  const response = await t.app.inject({ method: c.method, url: c.url, headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...c.headers }, ...(c.body === undefined ? {} : { payload: c.body }) });
  let problem: any;
  try {
    problem = JSON.parse(response.body);
  } catch {
    problem = undefined;
  }
  return { response, problem };
}

const show = (c: Case) => JSON.stringify({ ...c, body: c.body && c.body.length > 300 ? `${c.body.slice(0, 300)}… (${c.body.length} chars)` : c.body });

describe.each(backends)('fuzzing every route on $name', (backend) => {
  let t: TestApp;
  let doc: Document;
  let routes: Route[];
  let validIds: string[];
  beforeAll(async () => {
    t = await startApp(backend);
    doc = JSON.parse(await generateOpenApi()) as Document;
    routes = routesOfDocument(doc);
    const { fundId, byRole } = await createPreventionFund(t);
    const villageId = await createVillage(t);
    const householdId = await createHousehold(t, villageId);
    validIds = [fundId, villageId, householdId, byRole.bank!];
  });
  afterAll(() => t?.close());

  it(`answers ${REQUESTS} malformed requests with 4xx problems and writes nothing`, async () => {
    expect(routes.length).toBeGreaterThan(50);
    const before = await tableCounts(t);
    expect(Object.keys(before)).toEqual(expect.arrayContaining(WRITTEN_TABLES));
    expect(before.households).toBeGreaterThan(0);
    const perRoute = Math.ceil(REQUESTS / routes.length);
    const failures: string[] = [];
    let sent = 0;
    for (const [r, route] of routes.entries()) {
      const cases = fc.sample(requestsFor(route, validIds), { numRuns: perRoute, seed: SEED + r });
      for (const [i, c] of cases.entries()) {
        sent++;
        const { response, problem } = await send(t, c);
        const contentType = String(response.headers['content-type'] ?? '');
        const ok =
          response.statusCode >= 400 &&
          response.statusCode < 500 &&
          contentType.startsWith('application/problem+json') &&
          typeof problem?.code === 'string' &&
          problem?.status === response.statusCode;
        if (!ok) failures.push(`${route.method} ${route.path} [seed ${SEED + r}, case ${i}] → ${response.statusCode} ${contentType} ${response.body.slice(0, 300)}\n  ${show(c)}`);
      }
    }
    expect(sent).toBeGreaterThanOrEqual(REQUESTS);
    expect(failures, failures.join('\n')).toEqual([]);
    expect(await tableCounts(t)).toEqual(before);
    await expectLedgerIntact(t);
  }, 120_000);

  it('refuses every control character in every parameter of every route with a 400 naming it, writing nothing', async () => {
    const targets = controlCharacterTargets(doc);
    expect(targets.length).toBeGreaterThan(250);
    const before = await tableCounts(t);
    const refused = (target: Target) => CONTROLS.filter((bad) => !(target.freeText && LINE_BREAKS.has(bad)));
    // The full matrix (some 20,000 requests, each authenticated and, for a write, audited) runs once: on
    // PostgreSQL when there is one, which takes them in parallel. The other backend gives each parameter NUL
    // (which PostgreSQL itself refuses), DEL, NEL and one C0 and one C1 control in turn, so that every
    // character still reaches many parameters there.
    const full = backend.name === (realPostgres ? 'postgres' : 'pglite');
    const cases = targets.flatMap((target, i) => {
      const chars = refused(target);
      const some = full ? chars : [...new Set(['\u0000', '\u007f', '\u0085', chars[i % 32]!, chars[chars.length - 1 - (i % 32)]!])];
      return some.filter((bad) => chars.includes(bad)).map((bad) => ({ target, bad }));
    });
    const failures: string[] = [];
    const check = async ({ target, bad }: (typeof cases)[number]) => {
      const c = target.request(bad);
      const { response, problem } = await send(t, c);
      const named = (problem?.errors ?? []).some((e: { in: string; path: string }) => e.in === target.in && e.path === target.pointer(bad));
      const ok =
        response.statusCode === 400 &&
        String(response.headers['content-type']).startsWith('application/problem+json') &&
        problem?.code === 'validation_failed' &&
        named;
      if (!ok) failures.push(`${c.method} ${target.path} ${target.in} ${target.pointer(bad)} U+${bad.charCodeAt(0).toString(16).padStart(4, '0')} → ${response.statusCode} ${response.body.slice(0, 300)}`);
    };
    // A few at a time, as clients would send them: the refusals do not depend on order.
    for (let i = 0; i < cases.length; i += 16) await Promise.all(cases.slice(i, i + 16).map(check));
    const sent = cases.length;
    expect(sent).toBeGreaterThan(full ? 15_000 : 1_000);
    expect(failures.slice(0, 50), `${failures.length} failures`).toEqual([]);
    expect(await tableCounts(t)).toEqual(before);
  }, 120_000);

  it('refuses a cursor that decodes to a control character, as any other bad cursor', async () => {
    const cursor = (p: unknown) => Buffer.from(JSON.stringify({ p })).toString('base64url');
    const failures: string[] = [];
    const expectRefused = async (method: Route['method'], url: string) => {
      const r = await t.call(method, url);
      if (r.status !== 400 || r.body?.code !== 'validation_failed') failures.push(`${method} ${url} → ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`);
    };
    for (const target of controlCharacterTargets(doc)) {
      if (target.in !== 'querystring' || target.pointer('') !== '/cursor') continue;
      for (const bad of ['\u0000', '\u0085']) await expectRefused(target.method, `${target.path}?cursor=${cursor(`x${bad}`)}`);
      await expectRefused(target.method, `${target.path}?cursor=${Buffer.from('{"p":1e400}').toString('base64url')}`);
    }
    // The industries cursor holds a JSON [name, id] inside.
    await expectRefused('GET', `/v1/industries?cursor=${cursor(JSON.stringify(['x\u0000', PLACEHOLDER_ID]))}`);
    expect(failures).toEqual([]);
  });

  it('answers a body nested 100,000 levels deep with a 400, not a stack overflow', async () => {
    const depth = 100_000;
    for (const payload of ['['.repeat(depth) + ']'.repeat(depth), '{"a":'.repeat(depth) + '1' + '}'.repeat(depth)]) {
      const r = await t.app.inject({ method: 'POST', url: '/v1/villages', headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' }, payload });
      expect(r.statusCode).toBe(400);
      expect(JSON.parse(r.body)).toMatchObject({ code: 'validation_failed', errors: [{ in: 'body', message: expect.stringMatching(/nest/) }] });
    }
  });

  // Fastify's router refuses these before any route runs; `frameworkErrors` in src/app.ts makes them problems too.
  it('answers a broken percent-encoding and an over-long path parameter with a problem', async () => {
    for (const url of ['/v1/funds/%zz', `/v1/funds/${'a'.repeat(200)}`]) {
      const r = await t.call('GET', url);
      expect(r.status).toBeGreaterThanOrEqual(400);
      expect(r.status).toBeLessThan(500);
      expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(r.body).toMatchObject({ code: expect.any(String), status: r.status });
    }
  });
});
