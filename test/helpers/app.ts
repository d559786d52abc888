import type { InjectOptions } from 'fastify';
import { type App, buildApp } from '../../src/app.js';
import { type Role, scopedRoles } from '../../src/auth/roles.js';
import { loadConfig } from '../../src/config.js';
import { checkInvariants } from '../../src/ledger/invariants.js';
import { assertContractHooked, contractChecks } from './contract.js';
import type { Backend, TestDatabase } from './database.js';

export const ADMIN_TOKEN = 'test-admin-token-0123456789';
export const ID_HASH_KEY = 'test-id-hash-key-0123456789abcdef0123456789';

export interface Reply<T = any> {
  status: number;
  body: T;
  headers: Record<string, unknown>;
}

export interface TestApp {
  app: App;
  database: TestDatabase;
  /**
   * Sends a request as the given token (the admin's by default) and parses the JSON answer. Every answer, here
   * and through `app.inject`, is checked against openapi/openapi.json (test/helpers/contract.ts).
   */
  call<T = any>(method: InjectOptions['method'], url: string, options?: { token?: string | null; body?: unknown; headers?: Record<string, string> }): Promise<Reply<T>>;
  /** A key for the role; officer, approver and reader keys reach the whole ledger unless `scopes` says otherwise. */
  keyFor(role: Role, scopes?: { townships?: string[]; funds?: string[] }): Promise<string>;
  close(): Promise<void>;
}

/** `env` adds configuration; the rate limit is off unless a test sets it (tests send bursts on purpose). */
export async function startApp(backend: Backend, env: Record<string, string> = {}): Promise<TestApp> {
  const database = await backend.open();
  const config = loadConfig({ LEDGER_ADMIN_TOKEN: ADMIN_TOKEN, LOG_LEVEL: 'silent', LEDGER_RATE_LIMIT: '0', ...env });
  const app = await buildApp({ config, database, idHashKey: ID_HASH_KEY });
  await app.ready();

  const call: TestApp['call'] = async (method, url, options = {}) => {
    const token = options.token === undefined ? ADMIN_TOKEN : options.token;
    const headers: Record<string, string> = { ...options.headers };
    if (token) headers.authorization = `Bearer ${token}`;
    const checksBefore = contractChecks();
    const response = await app.inject({
      method,
      url,
      headers,
      ...(options.body === undefined ? {} : typeof options.body === 'string' ? { payload: options.body } : { payload: options.body as object }),
    });
    assertContractHooked(checksBefore);
    const text = response.body;
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: leave the text
    }
    return { status: response.statusCode, body: body as any, headers: response.headers };
  };

  return {
    app,
    database,
    call,
    async keyFor(role, scopes) {
      const scoped = scopedRoles.includes(role) ? { scopes: scopes ?? { all: true } } : {};
      const reply = await call('POST', '/v1/api-keys', { body: { name: `${role} for tests`, role, ...scoped } });
      if (reply.status !== 201) throw new Error(`could not issue a ${role} key: ${JSON.stringify(reply.body)}`);
      return reply.body.token as string;
    },
    async close() {
      await app.close();
      await database.drop();
    },
  };
}

/** Fails the test with the list of broken invariants, if any. */
export async function expectLedgerIntact(t: TestApp): Promise<void> {
  const violations = await checkInvariants(t.database.db);
  if (violations.length) throw new Error(`ledger invariants broken:\n${JSON.stringify(violations, null, 2)}`);
}
