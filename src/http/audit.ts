import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Db } from '../db/client.js';
import { auditLog } from '../db/schema.js';

/**
 * The audit trail of writes. Every request under /v1 other than GET and HEAD is a write and leaves one
 * row in audit_log:
 * - a success is recorded by the writer (src/http/idempotency.ts) inside the database transaction of
 *   the change, so the change and its record commit together or not at all; an idempotent replay is
 *   recorded the same way, as a success with `replayed`;
 * - a refusal (any status ≥ 400: validation, authentication, permission, a rule, a conflict, a bug)
 *   is recorded by the onSend hook below, after the rollback, in a statement of its own.
 * Only ids are kept: never a body, a header, a token or a query string.
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// A path segment kept as sent: a UUID or a plain route word (v1, disbursement-batches, carry-forward).
const PLAIN_SEGMENT = /^[a-z][a-z-]{0,62}[0-9]?$/i;

export type AuditOutcome = 'succeeded' | 'refused';

// Requests whose row the writer has committed; the hook leaves them alone.
const recorded = new WeakSet<FastifyRequest>();

export const isWrite = (request: FastifyRequest) => {
  if (request.method === 'GET' || request.method === 'HEAD') return false;
  const path = pathOf(request);
  return path === '/v1' || path.startsWith('/v1/');
};

const pathOf = (request: FastifyRequest) => request.url.split('?')[0]!;

/**
 * The path without its query string, and with any segment that is neither a UUID nor a plain route
 * word replaced by `*`: a mistyped URL may hold an ID number or a name, which must not end up here.
 * The route pattern and the target ids say the rest.
 */
export function safePath(url: string): string {
  return url
    .split('?')[0]!
    .slice(0, 2048)
    .split('/')
    .map((segment) => (segment === '' || UUID.test(segment) || PLAIN_SEGMENT.test(segment) ? segment : '*'))
    .join('/');
}

/**
 * What the write was about: the route's parameters (disbursementId, batchId, …) and, from the answer,
 * its `id` and every top-level `…Id` field (transactionId, fundId, householdId, approvalTransactionId,
 * …). Only UUID values are kept, so no free text and no secret (an issued key's token) can slip in.
 */
export function targetIds(params: unknown, answer?: unknown): Record<string, string> {
  const ids: Record<string, string> = {};
  const take = (source: unknown) => {
    if (!source || typeof source !== 'object' || Array.isArray(source)) return;
    for (const [name, value] of Object.entries(source as Record<string, unknown>)) {
      if ((name === 'id' || /^[a-z][A-Za-z]*Id$/.test(name)) && typeof value === 'string' && UUID.test(value)) ids[name] = value;
    }
  };
  take(params);
  take(answer);
  return ids;
}

function entry(request: FastifyRequest, fields: { status: number; outcome: AuditOutcome; errorCode?: string | null; answer?: unknown; replayed?: boolean }) {
  const principal = request.principal as FastifyRequest['principal'] | null;
  return {
    actorId: principal?.id ?? null,
    actorRole: principal?.role ?? null,
    requestId: String(request.id).slice(0, 200),
    clientAddress: request.ip ?? null,
    method: request.method,
    route: request.is404 ? null : (request.routeOptions.url ?? null),
    path: safePath(request.url),
    targetIds: targetIds(request.params, fields.answer),
    status: fields.status,
    outcome: fields.outcome,
    errorCode: fields.errorCode ?? null,
    replayed: fields.replayed ?? false,
  };
}

/** A successful write's row, written by its posting group (src/ledger/group.ts) in the write's own transaction. */
export const successRow = (request: FastifyRequest, status: number, answer: unknown, replayed: boolean) =>
  entry(request, { status, outcome: 'succeeded', answer, replayed });

/** Tells the hook that the row is committed with the change (call after the commit, not before). */
export const markRecorded = (request: FastifyRequest) => recorded.add(request);

/** The `code` of a problem+json answer, if the payload is one. */
function problemCode(payload: unknown): string | null {
  if (typeof payload !== 'string') return null;
  try {
    const code = (JSON.parse(payload) as { code?: unknown }).code;
    return typeof code === 'string' && /^[a-z_]{1,64}$/.test(code) ? code : null;
  } catch {
    return null;
  }
}

/** Records every write the writer did not: refusals, and (as a bug, logged) any success that bypassed it. */
declare module 'fastify' {
  interface FastifyContextConfig {
    /** A POST that only reads (e.g. verifying a statement): audited when answered, with no change to record it with. */
    changesNothing?: boolean;
  }
}

export function registerAudit(app: FastifyInstance, db: Db): void {
  // onSend rather than onResponse: the answer leaves only once its row is written, so a client (or a
  // test) that has the answer can find the row.
  app.addHook('onSend', async (request, reply, payload) => {
    if (!isWrite(request) || recorded.has(request)) return payload;
    recorded.add(request);
    const status = reply.statusCode;
    try {
      if (status >= 400) {
        await db.insert(auditLog).values(entry(request, { status, outcome: 'refused', errorCode: problemCode(payload) }));
      } else {
        // Every write goes through ctx.write; one that did not was not recorded with its change. A POST that
        // changes nothing (a check, such as a statement's digest) is recorded here, as it is answered.
        if (!request.routeOptions.config.changesNothing) {
          request.log.error({ route: request.routeOptions.url }, 'a write answered without going through ctx.write; audited after the fact');
        }
        await db.insert(auditLog).values(entry(request, { status, outcome: 'succeeded' }));
      }
    } catch (err) {
      // The answer still goes out: the change (if any) is committed or rolled back already.
      request.log.error({ err, status, route: request.routeOptions.url }, 'could not write the audit log row');
    }
    return payload;
  });
}
