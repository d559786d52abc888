// Every answer a test receives through Fastify's inject() — startApp's call(), t.app.inject(), and the
// apps some tests build themselves with buildApp() — and through fetch() from a service it started on this
// machine, is checked against the committed OpenAPI document.
//
// Why through light-my-request rather than around each app: Fastify loads light-my-request lazily, on the
// first inject() of the process (fastify.js `inject`), through Node's module cache. Replacing the cached
// export before that moment puts the check under every inject of every app in the test process, including
// apps that tests build without startApp, with nothing to remember in each test. This module is imported by
// test/helpers/app.ts, which every HTTP test imports before it can inject anything; startApp then proves
// that the check really ran (`assertContractHooked`), so a Fastify change that bypassed it would fail loudly.
import { appendFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { expect } from 'vitest';
import { type ObservedResponse, type Verdict, checkResponse } from './openapi-validator.js';

const HOOKED = Symbol.for('fund-ledger.contract-check');

let checked = 0;

/** How many answers have been checked in this process; startApp compares it before and after a call. */
export const contractChecks = () => checked;

const requireHere = createRequire(import.meta.url);
const requireFromFastify = createRequire(requireHere.resolve('fastify'));
const modulePath = requireFromFastify.resolve('light-my-request');
requireFromFastify('light-my-request');
const cached = requireFromFastify.cache[modulePath]!;
// Test files share a process when vitest reuses a worker: wrap the original once, never a wrapper.
const original = (cached.exports[HOOKED] ?? cached.exports) as (...args: any[]) => any;

function checkedInject(dispatch: unknown, options: any, callback?: (err: unknown, res?: any) => void) {
  // Called without options, light-my-request returns a chain (`inject().get(url).end()`); nothing in this
  // suite uses it and its request is only known at end(), so it goes through unchecked.
  if (options === undefined) return original(dispatch, options, callback);
  const request = typeof options === 'string' ? { method: 'GET', url: options } : options;
  if (callback) {
    return original(dispatch, options, (err: unknown, res: any) => {
      if (err || !res) return callback(err, res);
      verify(request, res).then(() => callback(null, res), (e) => callback(e));
    });
  }
  return (original(dispatch, options) as Promise<any>).then(async (res) => {
    await verify(request, res);
    return res;
  });
}
Object.assign(checkedInject, original, { [HOOKED]: original });
cached.exports = checkedInject;

// Tests that run the service as a process of its own (kill -9, the database gone, SIGTERM) talk to it with
// fetch(): its answers on this machine's loopback are checked the same way. Nothing else here fetches from
// loopback; anything farther is not the service.
const originalFetch: typeof fetch = (globalThis.fetch as any)[HOOKED] ?? globalThis.fetch;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
async function checkedFetch(input: string | URL | Request, init?: RequestInit): Promise<Response> {
  const response = await originalFetch(input, init);
  const url = new URL(input instanceof Request ? input.url : String(input));
  if (!LOOPBACK.has(url.hostname)) return response;
  let body: Buffer;
  try {
    body = Buffer.from(await response.clone().arrayBuffer());
  } catch {
    // The connection died mid-answer (a test killing the service): there is no whole answer to judge.
    return response;
  }
  const method = init?.method ?? (input instanceof Request ? input.method : 'GET');
  await verify({ method, url: `${url.pathname}${url.search}` }, { statusCode: response.status, headers: Object.fromEntries(response.headers), rawPayload: body });
  return response;
}
globalThis.fetch = Object.assign(checkedFetch, { [HOOKED]: originalFetch }) as typeof fetch;

async function verify(request: { method?: string; url?: string; path?: string; query?: unknown }, res: any): Promise<void> {
  const url = requestUrl(request);
  const method = (request.method ?? 'GET').toUpperCase();
  const verdict = await judge({ method, url, status: res.statusCode, headers: res.headers, body: res.rawPayload ?? Buffer.from(res.body ?? '') });
  checked++;
  if (!verdict.violations.length) return;

  const where = `${method} ${new URL(url, 'http://localhost').pathname} → ${res.statusCode}${verdict.operation ? ` (operation ${verdict.operation})` : ''}`;
  const message = `response violates openapi/openapi.json: ${where}\n  - ${verdict.violations.join('\n  - ')}`;
  const log = process.env.CONTRACT_FINDINGS_LOG;
  if (log) {
    const state = expect.getState();
    appendFileSync(log, `${JSON.stringify({ file: state.testPath, test: state.currentTestName, operation: verdict.operation ?? `${method} ${url}`, status: res.statusCode, violations: verdict.violations })}\n`);
  }
  // Inside a test, a soft failure lets the test run on, so it reports every violation it meets and still
  // fails; outside one (beforeAll, a fixture) there is no test to mark, so the hook itself throws.
  if (expect.getState().currentTestName === undefined) throw new Error(message);
  expect.soft(verdict.violations.length, message).toBe(0);
}

let provoking = 0;

/**
 * Runs fn, in which the test makes the service fail on purpose (a fault it injects into the database): its 500s
 * are then what the test expects, still checked against the document, not bugs found.
 */
export async function provokingInternalErrors<T>(fn: () => Promise<T>): Promise<T> {
  provoking++;
  try {
    return await fn();
  } finally {
    provoking--;
  }
}

/** What the hook holds against an answer: the document's verdict, and an internal error whatever it says. */
export async function judge(observed: ObservedResponse): Promise<Verdict> {
  const verdict = await checkResponse(observed);
  // The document may declare 500 (the service can fail), which would let an internal error pass as allowed;
  // outside provokingInternalErrors, any 5xx but 503 (database unavailable or timed out) is a bug found.
  if (observed.status >= 500 && observed.status !== 503 && !provoking) {
    verdict.violations.push(`the service answered ${observed.status}: an internal error is a bug, whatever the document declares`);
  }
  return verdict;
}

function requestUrl(request: { url?: string; path?: string; query?: unknown }): string {
  const base = request.url ?? request.path ?? '/';
  if (!request.query || typeof request.query !== 'object') return base;
  const url = new URL(base, 'http://localhost');
  for (const [k, v] of Object.entries(request.query as Record<string, unknown>)) url.searchParams.append(k, String(v));
  return `${url.pathname}${url.search}`;
}

/** Throws unless `before` (a contractChecks() reading) has moved: the hook is not in Fastify's path. */
export function assertContractHooked(before: number): void {
  if (checked === before) {
    throw new Error('the OpenAPI contract check did not run: Fastify loaded light-my-request before test/helpers/contract.ts replaced it');
  }
}
