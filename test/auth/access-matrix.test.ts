import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { roles, type Role } from '../../src/auth/roles.js';
import { bodyFields, pathParameters } from '../../src/http/scope.js';
import { ADMIN_TOKEN, expectLedgerIntact, startApp, type TestApp } from '../helpers/app.js';
import { backends } from '../helpers/database.js';
import { createHousehold, createPreventionFund, uniqueCode } from '../helpers/fixtures.js';

/**
 * Walks the README's role × route table over every route of the OpenAPI document, with keys in and out
 * of scope. The table is the contract: a route missing from it, a row for a route that does not exist,
 * or a cell that differs from what the service does, fails.
 */

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const OPENAPI = JSON.parse(readFileSync(new URL('../../openapi/openapi.json', import.meta.url), 'utf8'));

function readMatrix(): Map<string, Record<Role, boolean>> {
  const start = README.indexOf('<!-- access-matrix:start -->');
  const end = README.indexOf('<!-- access-matrix:end -->');
  if (start < 0 || end < start) throw new Error('README.md has no access matrix between its markers');
  const lines = README.slice(start, end).split('\n').filter((l) => l.startsWith('|'));
  const header = lines[0]!.split('|').map((c) => c.trim());
  const matrix = new Map<string, Record<Role, boolean>>();
  for (const line of lines.slice(2)) {
    const cells = line.split('|').map((c) => c.trim());
    const route = cells[1]!.replaceAll('`', '');
    const allowed = Object.fromEntries(roles.map((role) => [role, cells[header.indexOf(role)] === '✓'])) as Record<Role, boolean>;
    if (matrix.has(route)) throw new Error(`README.md lists ${route} twice`);
    matrix.set(route, allowed);
  }
  return matrix;
}

const operations = Object.entries(OPENAPI.paths as Record<string, Record<string, unknown>>)
  .filter(([path]) => path.startsWith('/v1/'))
  .flatMap(([path, methods]) => Object.keys(methods).map((method) => ({ method: method.toUpperCase(), path, route: `${method.toUpperCase()} ${path}` })));

interface Township {
  name: string;
  ids: Record<string, string>;
  headName: string;
}

describe('the access matrix in README.md', () => {
  it('lists every route of the OpenAPI document once, and nothing else', () => {
    const matrix = readMatrix();
    expect(operations.length).toBeGreaterThan(70);
    expect(operations.map((o) => o.route).filter((r) => !matrix.has(r))).toEqual([]);
    expect([...matrix.keys()].filter((r) => !operations.some((o) => o.route === r))).toEqual([]);
  });

  it('names every id field of every request body, so the scope guard checks them all', () => {
    const unknown = new Set<string>();
    const walk = (schema: any): void => {
      if (!schema || typeof schema !== 'object') return;
      if (schema.$ref) return walk(OPENAPI.components.schemas[schema.$ref.split('/').pop()]);
      for (const [field, sub] of Object.entries<any>(schema.properties ?? {})) {
        if (/Id$/.test(field) && !(field in bodyFields)) unknown.add(field);
        walk(sub);
      }
      for (const key of ['items', 'anyOf', 'oneOf', 'allOf']) [schema[key]].flat().forEach(walk);
    };
    for (const { path, method } of operations) {
      const op = OPENAPI.paths[path][method.toLowerCase()];
      for (const content of Object.values<any>(op.requestBody?.content ?? {})) walk(content.schema);
      for (const name of [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!)) if (!(name in pathParameters)) unknown.add(name);
    }
    expect([...unknown]).toEqual([]);
  });
});

describe.each(backends)('every role on every route on $name', (backend) => {
  let t: TestApp;
  const tokens = {} as Record<Role, string>;
  /** In reach of the scoped keys. */
  let mine: Township;
  /** Out of their reach. */
  let theirs: Township;
  let spareKeyId: string;

  async function township(name: string, headName: string): Promise<Township> {
    const ok = async (r: Promise<{ status: number; body: any }>) => {
      const reply = await r;
      if (reply.status >= 300) throw new Error(`${reply.status}: ${JSON.stringify(reply.body)}`);
      return reply.body;
    };
    const f = await createPreventionFund(t, { township: name });
    const village = await ok(t.call('POST', '/v1/villages', { body: { code: uniqueCode('V'), name: `${name}村`, township: name, county: '某县' } }));
    const other = await ok(t.call('POST', '/v1/villages', { body: { code: uniqueCode('V'), name: `${name}二村`, township: name, county: '某县' } }));
    const householdId = await createHousehold(t, village.id, '2025-01-01', headName);
    const income = await ok(
      t.call('POST', `/v1/funds/${f.fundId}/income`, { body: { source: 'donation', payer: '某银行', date: '2025-01-05', amount: '100000.00' } }),
    );
    const industry = await ok(
      t.call('POST', '/v1/industries', {
        body: { fundId: f.fundId, name: `${name}肉牛`, projectVillageId: village.id, radiatingVillages: [{ villageId: other.id }], projectVillageShare: '0.40' },
      }),
    );
    const dividend = await ok(t.call('POST', `/v1/industries/${industry.id}/dividends`, { body: { date: '2025-02-01', amount: '1000.00', reference: 'FH' } }));
    const body = { fundId: f.fundId, householdId, category: 'medical_subsidy', amount: '10.00', date: '2025-06-15' };
    const disbursement = await ok(t.call('POST', '/v1/disbursements', { body }));
    const batch = await ok(
      t.call('POST', '/v1/disbursement-batches', {
        body: { fundId: f.fundId, category: 'living_allowance', date: '2025-06-15', description: '生活补助', items: [{ householdId, amount: '20.00' }] },
      }),
    );
    const policy = await ok(
      t.call('POST', '/v1/insurance-policies', {
        body: { fundId: f.fundId, insurer: '某保险公司', policyNumber: uniqueCode('P'), premium: '100.00', coverFrom: '2025-01-01', coverTo: '2025-12-31', coveredPopulation: '全乡' },
      }),
    );
    const claim = await ok(
      t.call('POST', '/v1/insurance-claims', { body: { policyId: policy.id, householdId, cause: 'illness', date: '2025-06-01', amountClaimed: '50.00' } }),
    );
    // A bank statement of the fund's account, for the routes of its lines.
    await ok(t.call('PATCH', `/v1/funds/${f.fundId}`, { body: { bankAccountNumber: '6228480012345678901' } }));
    await ok(
      t.call('POST', `/v1/funds/${f.fundId}/bank-statements`, {
        body: {
          accountNumber: '6228480012345678901',
          from: '2025-01-01',
          to: '2025-01-31',
          openingBalance: '0.00',
          closingBalance: '100000.00',
          lines: [{ date: '2025-01-05', direction: 'in', amount: '100000.00', balanceAfter: '100000.00', bankReference: `B-${name}` }],
        },
      }),
    );
    const [line] = (await ok(t.call('GET', `/v1/funds/${f.fundId}/bank-statement-lines`))).items;
    const attached = await t.app.inject({
      method: 'POST',
      url: `/v1/transactions/${income.transactionId}/attachments?name=${encodeURIComponent('银行回单.pdf')}`,
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/pdf' },
      payload: Buffer.from('%PDF-1.4\n%%EOF\n'),
    });
    if (attached.statusCode !== 201) throw new Error(attached.body);
    const own = await ok(t.call('POST', `/v1/funds/${f.fundId}/accounts`, { body: { code: '5901', name: '其他支出', type: 'expense' } }));
    const voucher = await ok(
      t.call('POST', '/v1/vouchers', {
        body: {
          date: '2025-06-15',
          description: '其他支出',
          lines: [
            { accountId: own.id, direction: 'debit', amount: '1.00' },
            { accountId: f.byRole.bank!, direction: 'credit', amount: '1.00' },
          ],
        },
      }),
    );
    return {
      name,
      headName,
      ids: {
        fundId: f.fundId,
        accountId: f.byRole.bank!,
        transactionId: income.transactionId,
        villageId: village.id,
        householdId,
        industryId: industry.id,
        disbursementId: disbursement.id,
        batchId: batch.id,
        policyId: policy.id,
        claimId: claim.id,
        lineId: line.id,
        voucherId: voucher.id,
        dividendId: dividend.dividendId,
        attachmentId: JSON.parse(attached.body).id,
      },
    };
  }

  beforeAll(async () => {
    t = await startApp(backend);
    mine = await township('甲乡', '钱多多');
    theirs = await township('乙乡', '孙悟空');
    tokens.admin = ADMIN_TOKEN;
    tokens.auditor = await t.keyFor('auditor');
    for (const role of ['officer', 'approver', 'reader'] as const) tokens[role] = await t.keyFor(role, { townships: [mine.name] });
    spareKeyId = (await t.call('POST', '/v1/api-keys', { body: { name: 'to revoke', role: 'auditor' } })).body.id;
  }, 120_000);
  afterAll(async () => {
    await expectLedgerIntact(t);
    await t.close();
  });

  const urlOf = (path: string, place: Township) =>
    path.replace(/\{(\w+)\}/g, (_, name: string) => (name === 'period' ? '2025-01' : name === 'keyId' ? spareKeyId : place.ids[name]!));

  async function send(method: string, url: string, token: string) {
    return t.call(method as 'GET', url, { token, ...(method === 'GET' || method === 'DELETE' ? {} : { body: {} }) });
  }

  const scoped = (role: Role) => role === 'officer' || role === 'approver' || role === 'reader';

  it('answers each role as the table says, in scope and out', async () => {
    const matrix = readMatrix();
    const mismatches: string[] = [];
    for (const { method, path, route } of operations) {
      const allowed = matrix.get(route)!;
      const namesIds = /\{(?!period|keyId)\w+\}/.test(path);
      for (const role of roles) {
        const token = tokens[role];
        for (const place of [mine, theirs]) {
          if (place === theirs && !namesIds && !scoped(role)) continue;
          const reply = await send(method, urlOf(path, place), token);
          const code = reply.body?.code as string | undefined;
          const where = `${role} ${route} (${place.name})`;
          if (reply.status >= 500) mismatches.push(`${where}: ${reply.status} ${code}`);
          else if (!allowed[role]) {
            if (code !== 'forbidden') mismatches.push(`${where}: expected 403 forbidden, got ${reply.status} ${code}`);
          } else if (place === theirs && scoped(role) && namesIds) {
            if (reply.status !== 404 || code !== 'not_found') mismatches.push(`${where}: expected 404 out of scope, got ${reply.status} ${code}`);
          } else if (reply.status === 401 || code === 'forbidden' || code === 'not_found') {
            mismatches.push(`${where}: expected to be let in, got ${reply.status} ${code}`);
          } else if (scoped(role) && reply.status < 300) {
            // Whatever it answers, a scoped key sees nothing of the other township.
            const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
            const leaked = Object.entries(theirs.ids).filter(([, id]) => text.includes(id));
            if (leaked.length) mismatches.push(`${where}: shows ${leaked.map(([k]) => k).join(', ')} of ${theirs.name}`);
          }
          if (role === 'reader' && JSON.stringify(reply.body ?? '').includes(mine.headName)) {
            mismatches.push(`${where}: shows a reader the full name ${mine.headName}`);
          }
        }
      }
    }
    expect(mismatches).toEqual([]);
  }, 300_000);

  it('answers an id out of scope exactly as one that does not exist', async () => {
    const missing = '00000000-0000-4000-8000-000000000000';
    for (const { method, path } of operations.filter((o) => /\{(fundId|householdId|claimId|transactionId)\}/.test(o.path))) {
      const outOfScope = await send(method, urlOf(path, theirs), tokens.officer);
      const absent = await send(method, urlOf(path, { ...theirs, ids: Object.fromEntries(Object.keys(theirs.ids).map((k) => [k, missing])) }), tokens.officer);
      if (absent.body.code === 'forbidden') continue;
      const hide = (body: any) => JSON.stringify(body).replaceAll(missing, 'ID').replace(new RegExp(Object.values(theirs.ids).join('|'), 'g'), 'ID');
      expect(hide(outOfScope.body), `${method} ${path}`).toBe(hide(absent.body));
    }
  });

  it('masks household names for readers only', async () => {
    const url = `/v1/households/${mine.ids.householdId}`;
    expect((await t.call('GET', url, { token: tokens.reader })).body.headName).toBe('钱*多');
    for (const role of ['admin', 'officer', 'approver', 'auditor'] as const) {
      expect((await t.call('GET', url, { token: tokens[role] })).body.headName).toBe(mine.headName);
    }
  });
});
