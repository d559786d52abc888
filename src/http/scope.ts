import type { FastifyInstance, FastifyRequest } from 'fastify';
import { type SQL, sql } from 'drizzle-orm';
import { fundInReach, townshipInReach, transactionInReach, uuids as ids } from '../auth/reach.js';
import type { Reach } from '../auth/roles.js';
import { type Db, rows } from '../db/client.js';
import { DomainError, notFound } from '../errors.js';

/**
 * Keeps scoped keys inside their reach. Every id a request names — in its path or anywhere in its
 * body — must be of a row the key reaches; otherwise the request is answered exactly as if the row did
 * not exist (404 for a path, the service's own "unknown …" for a body), so a key never learns what lies
 * outside its scope. Lists are narrowed by the services themselves (see src/auth/reach.ts).
 */

type Kind = 'fund' | 'account' | 'transaction' | 'village' | 'household' | 'industry' | 'dividend' | 'disbursement' | 'batch' | 'policy' | 'claim' | 'bankLine' | 'voucher' | 'attachment';

const reachable: Record<Kind, (reach: Reach, values: string[]) => SQL> = {
  fund: (r, v) => sql`select id from funds where id in ${ids(v)} and ${fundInReach(r, sql`id`)}`,
  account: (r, v) => sql`select id from accounts where id in ${ids(v)} and ${fundInReach(r, sql`fund_id`)}`,
  transaction: (r, v) => sql`select t.id from transactions t where t.id in ${ids(v)} and ${transactionInReach(r, sql`t.id`)}`,
  village: (r, v) => sql`select id from villages where id in ${ids(v)} and ${townshipInReach(r, sql`township`)}`,
  household: (r, v) =>
    sql`select h.id from households h join villages v on v.id = h.village_id where h.id in ${ids(v)} and ${townshipInReach(r, sql`v.township`)}`,
  industry: (r, v) => sql`select id from industries where id in ${ids(v)} and ${fundInReach(r, sql`fund_id`)}`,
  dividend: (r, v) => sql`select id from dividends where id in ${ids(v)} and ${fundInReach(r, sql`fund_id`)}`,
  disbursement: (r, v) => sql`select id from disbursements where id in ${ids(v)} and ${fundInReach(r, sql`fund_id`)}`,
  batch: (r, v) => sql`select id from disbursement_batches where id in ${ids(v)} and ${fundInReach(r, sql`fund_id`)}`,
  policy: (r, v) => sql`select id from insurance_policies where id in ${ids(v)} and ${fundInReach(r, sql`fund_id`)}`,
  bankLine: (r, v) => sql`select id from bank_statement_lines where id in ${ids(v)} and ${fundInReach(r, sql`fund_id`)}`,
  voucher: (r, v) =>
    sql`select d.id from voucher_drafts d where d.id in ${ids(v)} and not exists (select 1 from unnest(d.fund_ids) f(id) where not ${fundInReach(r, sql`f.id`)})`,
  // By what it is attached to, as that stands now: a transaction wholly in reach, a draft's funds as they are now.
  attachment: (r, v) =>
    sql`select a.id from attachments a where a.id in ${ids(v)} and case a.subject_kind
          when 'transaction' then ${transactionInReach(r, sql`a.subject_id`)}
          when 'voucher' then not exists (select 1 from voucher_drafts d cross join unnest(d.fund_ids) f(id)
                                           where d.id = a.subject_id and not ${fundInReach(r, sql`f.id`)})
          else ${fundInReach(r, sql`a.fund_id`)} end`,
  claim: (r, v) =>
    sql`select c.id from insurance_claims c join insurance_policies p on p.id = c.policy_id where c.id in ${ids(v)} and ${fundInReach(r, sql`p.fund_id`)}`,
};

/** Path parameters and what they name, with the words of the services' own 404s. */
export const pathParameters: Record<string, { kind: Kind; label: string } | null> = {
  fundId: { kind: 'fund', label: 'Fund' },
  accountId: { kind: 'account', label: 'Account' },
  transactionId: { kind: 'transaction', label: 'Transaction' },
  villageId: { kind: 'village', label: 'Village' },
  householdId: { kind: 'household', label: 'Household' },
  industryId: { kind: 'industry', label: 'Industry' },
  dividendId: { kind: 'dividend', label: 'Dividend' },
  disbursementId: { kind: 'disbursement', label: 'Disbursement' },
  batchId: { kind: 'batch', label: 'Disbursement batch' },
  policyId: { kind: 'policy', label: 'Insurance policy' },
  claimId: { kind: 'claim', label: 'Insurance claim' },
  lineId: { kind: 'bankLine', label: 'Bank statement line' },
  voucherId: { kind: 'voucher', label: 'Voucher draft' },
  attachmentId: { kind: 'attachment', label: 'Attachment' },
  // Not in anyone's scope: a month, and API keys (admins only, who reach everything).
  period: null,
  keyId: null,
};

/** Body fields that name a row, with the refusal the services give when that row does not exist. */
export const bodyFields: Record<string, { kind: Kind; refuse: (missing: string[]) => DomainError }> = {
  fundId: { kind: 'fund', refuse: (m) => notFound('Fund', m[0]!) },
  transactionId: { kind: 'transaction', refuse: (m) => notFound('Transaction', m[0]!) },
  accountId: { kind: 'account', refuse: (m) => new DomainError('unknown_account', `No account with id ${m.join(', ')}.`, { accountIds: m }) },
  householdId: { kind: 'household', refuse: (m) => new DomainError('unknown_household', `No household with id ${m.join(', ')}.`, { householdIds: m }) },
  villageId: { kind: 'village', refuse: (m) => new DomainError('unknown_village', `No village with id ${m.join(', ')}.`, { villageIds: m }) },
  projectVillageId: { kind: 'village', refuse: (m) => new DomainError('unknown_village', `No village with id ${m.join(', ')}.`, { villageIds: m }) },
  policyId: { kind: 'policy', refuse: (m) => notFound('Insurance policy', m[0]!) },
  toPolicyId: { kind: 'policy', refuse: (m) => notFound('Insurance policy', m[0]!) },
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function missingFromReach(db: Db, reach: Reach, kind: Kind, values: string[]): Promise<string[]> {
  const wanted = [...new Set(values.map((v) => v.toLowerCase()))];
  const found = new Set((await rows<{ id: string }>(db, reachable[kind](reach, wanted))).map((r) => r.id));
  return wanted.filter((v) => !found.has(v));
}

/** Every (field, value) of the body whose field is one of bodyFields, at any depth, and every township. */
function collect(value: unknown, into: Map<string, string[]>): void {
  if (Array.isArray(value)) return value.forEach((v) => collect(v, into));
  // A file's bytes (an attachment's body) name nothing.
  if (!value || typeof value !== 'object' || ArrayBuffer.isView(value)) return;
  for (const [field, v] of Object.entries(value)) {
    if (typeof v === 'string' && (field in bodyFields || field === 'township')) into.set(field, [...(into.get(field) ?? []), v]);
    else collect(v, into);
  }
}

export function registerScopeGuard(app: FastifyInstance, db: Db): void {
  // A route whose path names something the guard does not know would slip past it: refuse to start.
  app.addHook('onRoute', (route) => {
    for (const [, name] of route.url.matchAll(/:([A-Za-z]+)/g)) {
      if (!(name! in pathParameters)) throw new Error(`${route.url}: the scope guard does not know the path parameter "${name}".`);
    }
  });

  // Before validation, so that a key learns nothing about the body rules of a route it cannot reach.
  app.addHook('preValidation', async (request: FastifyRequest) => {
    const reach = request.principal?.reach;
    if (!reach || request.is404) return;
    for (const [name, value] of Object.entries((request.params ?? {}) as Record<string, string>)) {
      const parameter = pathParameters[name];
      if (!parameter || !UUID.test(value)) continue; // a malformed id is the validator's to refuse
      if ((await missingFromReach(db, reach, parameter.kind, [value])).length) throw notFound(parameter.label, value);
    }
  });

  app.addHook('preHandler', async (request: FastifyRequest) => {
    const reach = request.principal?.reach;
    if (!reach || request.is404) return;
    const named = new Map<string, string[]>();
    collect(request.body, named);
    for (const [field, values] of named) {
      if (field === 'township') {
        const [row] = await rows<{ ok: boolean }>(db, sql`select ${townshipInReach(reach, sql`${values[0]}::text`)} as ok`);
        if (!row?.ok) throw new DomainError('forbidden', `Township ${values[0]} is outside this key's scope.`, { field: 'township' });
        continue;
      }
      const { kind, refuse } = bodyFields[field]!;
      const missing = await missingFromReach(db, reach, kind, values.filter((v) => UUID.test(v)));
      if (missing.length) throw refuse(missing);
    }
  });
}
