import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { amount, CALENDAR_DATE } from '../src/http/schemas.js';
import { isCalendarDate } from '../src/ledger/dates.js';
import { generateOpenApi } from '../src/openapi.js';

type Operation = { operationId?: string; tags?: string[]; security?: unknown; parameters?: any[]; requestBody?: unknown; responses: Record<string, any> };

describe('openapi/openapi.json', () => {
  let generated: string;
  let doc: any;
  let operations: { path: string; method: string; op: Operation }[];
  beforeAll(async () => {
    generated = await generateOpenApi();
    doc = JSON.parse(generated);
    operations = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.entries(ops as Record<string, Operation>).map(([method, op]) => ({ path, method, op })),
    );
  });

  it('is what the code generates (run `npm run openapi` after changing a route)', async () => {
    const committed = readFileSync(new URL('../openapi/openapi.json', import.meta.url), 'utf8');
    expect(committed).toBe(generated);
  });

  it('describes every /v1 route with a bearer token and problem answers', () => {
    expect(doc.openapi).toBe('3.1.0');
    const v1 = operations.filter((o) => o.path.startsWith('/v1/'));
    expect(v1.length).toBeGreaterThanOrEqual(13);
    for (const { op } of v1) {
      expect(op.security ?? doc.security).toEqual([{ bearerAuth: [] }]);
      expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['400', '401', '403', '429', '500', '503']));
    }
  });

  it('names every operation once, tags it with a declared tag, and describes every answer', () => {
    expect(doc.servers?.length).toBeGreaterThan(0);
    const tags = new Set(doc.tags.map((t: { name: string; description?: string }) => (expect(t.description).toBeTruthy(), t.name)));
    const ids = operations.map((o) => o.op.operationId);
    expect(ids.every((id) => typeof id === 'string' && /^[a-z][A-Za-z0-9]*$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    for (const { path, method, op } of operations) {
      expect(op.tags?.length, `${method} ${path}`).toBeGreaterThan(0);
      for (const tag of op.tags!) expect(tags.has(tag), `${method} ${path}: tag ${tag}`).toBe(true);
      for (const [status, response] of Object.entries(op.responses)) {
        expect(response.description, `${method} ${path} ${status}`).not.toMatch(/^(Default Response)?$/);
      }
    }
  });

  it('answers every refusal as application/problem+json with its codes as constants', () => {
    for (const { path, method, op } of operations) {
      for (const [status, response] of Object.entries(op.responses)) {
        if (Number(status) < 400) continue;
        expect(Object.keys(response.content), `${method} ${path} ${status}`).toEqual(['application/problem+json']);
        const schema = response.content['application/problem+json'].schema;
        for (const ref of schema.oneOf ?? [schema]) {
          const problem = doc.components.schemas[ref.$ref.split('/').pop()];
          expect(problem.properties.code.const, `${method} ${path} ${status}`).toBeTypeOf('string');
          expect(problem.properties.status.const).toBe(Number(status));
        }
      }
    }
    const retryAfter = operations.map((o) => o.op.responses['429']?.headers?.['Retry-After']);
    expect(retryAfter.every(Boolean)).toBe(true);
  });

  const codesOf = (doc: any, response: any): string[] =>
    (response?.content['application/problem+json'].schema.oneOf ?? [response?.content['application/problem+json'].schema]).map(
      (ref: { $ref: string }) => doc.components.schemas[ref.$ref.split('/').pop()!].properties.code.const,
    );

  it('declares the refusals of a body and of an Idempotency-Key wherever they apply', () => {
    for (const { path, method, op } of operations) {
      const where = `${method} ${path}`;
      if (op.requestBody) expect(Object.keys(op.responses), where).toEqual(expect.arrayContaining(['413', '415']));
      const key = op.parameters?.find((p) => p.in === 'header' && p.name === 'idempotency-key');
      if (!key) continue;
      expect(key.schema.pattern, where).toBe('^[\\x21-\\x7e]{1,255}$');
      expect(codesOf(doc, op.responses['409']), where).toContain('idempotency_conflict');
      const success = Object.entries(op.responses).filter(([status]) => Number(status) < 300);
      for (const [, response] of success) expect(response.headers?.['Idempotent-Replayed'], where).toBeDefined();
    }
  });

  it('declares Idempotency-Key on every write that honours it', () => {
    const honours = ['post /v1/villages', 'patch /v1/funds/{fundId}', 'post /v1/funds', 'post /v1/transactions', 'delete /v1/api-keys/{keyId}'];
    for (const name of honours) {
      const [method, path] = name.split(' ');
      const op = doc.paths[path!][method!] as Operation;
      expect(op.parameters?.some((p) => p.name === 'idempotency-key'), name).toBe(true);
    }
  });

  it("states the amount and calendar-date rules as the service's own validation", () => {
    const patterns = (schema: { pattern?: string; allOf?: { pattern: string }[] }) => [schema.pattern, ...(schema.allOf ?? []).map((p) => p.pattern)].filter(Boolean);
    const body = doc.paths['/v1/transactions'].post.requestBody.content['application/json'].schema;
    const amountSchema = body.properties.lines.items.properties.amount;
    expect(body.properties.date.pattern).toBe(CALENDAR_DATE.source);
    const accepts = (v: string) => patterns(amountSchema).every((p) => new RegExp(p!, 'u').test(v));
    for (const v of ['0', '0.00', '0.0', '00', '1.234', '-1', '1e3']) {
      expect(accepts(v), v).toBe(false);
      expect(amount.safeParse(v).success, v).toBe(false);
    }
    for (const v of ['0.01', '0.1', '0.10', '1', '10.5', '9999999999999.99']) {
      expect(accepts(v), v).toBe(true);
      expect(amount.safeParse(v).success, v).toBe(true);
    }
    const agree = (day: string) => {
      if (CALENDAR_DATE.test(day) !== isCalendarDate(day)) expect.fail(`${day}: pattern ${CALENDAR_DATE.test(day)}, isCalendarDate ${isCalendarDate(day)}`);
    };
    const pad = (n: number, width: number) => String(n).padStart(width, '0');
    // Every day of two centuries around now, and every year's month ends (leap years, centuries) from 0000 to 9999.
    for (let y = 1890; y <= 2110; y++) for (let m = 0; m <= 13; m++) for (let d = 0; d <= 32; d++) agree(`${y}-${pad(m, 2)}-${pad(d, 2)}`);
    for (let y = 0; y <= 9999; y++) for (const md of ['02-28', '02-29', '02-30', '04-30', '04-31', '12-31', '13-01']) agree(`${pad(y, 4)}-${md}`);
  });
});
