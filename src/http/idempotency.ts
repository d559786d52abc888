import { createHash } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Db, Tx } from '../db/client.js';
import { idempotencyKeys } from '../db/schema.js';
import { DomainError } from '../errors.js';
import { inLedgerTransaction } from '../ledger/commit.js';
import { markRecorded, recordSuccess } from './audit.js';
import { IDEMPOTENCY_KEY_PATTERN as KEY_PATTERN } from './schemas.js';

/** JSON with object keys sorted, so that the same body always hashes the same. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

const requestHash = (request: FastifyRequest) =>
  createHash('sha256').update(`${request.method} ${request.url}\n${canonical(request.body)}`).digest('hex');

/**
 * Runs a write in one ledger transaction (src/ledger/commit.ts) and answers with `status` and its result. With an
 * `Idempotency-Key` header the key is stored with a hash of the request and the answer, in that same
 * transaction: a retry with the same key and body gets the stored answer and writes nothing; the same
 * key with another request is refused. Concurrent requests with one key wait on the key's row, so
 * exactly one of them does the work. Refused requests roll back, key included, and may be retried.
 * A success (a replay too) appends its audit row in the same transaction (src/http/audit.ts).
 */
export function createWriter(db: Db) {
  return async function write<T>(
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    work: (tx: Tx) => Promise<T>,
    options: { answerHoldsSecret?: boolean } = {},
  ): Promise<T> {
    const header = request.headers['idempotency-key'];
    if (header !== undefined && options.answerHoldsSecret) {
      // A stored answer would keep the secret in the database, and a replay would show it twice.
      throw new DomainError('validation_failed', 'Idempotency-Key is not accepted here: the answer holds a secret that is shown only once.');
    }
    if (header === undefined) {
      const result = await inLedgerTransaction(db, async (tx) => {
        const body = await work(tx);
        await recordSuccess(tx, request, status, body);
        return body;
      });
      markRecorded(request);
      reply.code(status);
      return result;
    }
    if (typeof header !== 'string' || !KEY_PATTERN.test(header)) {
      throw new DomainError('validation_failed', 'Idempotency-Key: 1–255 visible ASCII characters.');
    }
    const owner = request.principal.id;
    const hash = requestHash(request);
    const outcome = await inLedgerTransaction(db, async (tx) => {
      const claimed = await tx
        .insert(idempotencyKeys)
        .values({ owner, key: header, requestHash: hash })
        .onConflictDoNothing()
        .returning({ key: idempotencyKeys.key });
      if (!claimed.length) {
        const [stored] = await tx
          .select()
          .from(idempotencyKeys)
          .where(and(eq(idempotencyKeys.owner, owner), eq(idempotencyKeys.key, header)));
        if (!stored || stored.requestHash !== hash) {
          throw new DomainError(
            'idempotency_conflict',
            'This Idempotency-Key was already used with a different request; use a new key for a new request.',
          );
        }
        await recordSuccess(tx, request, stored.responseStatus!, stored.responseBody, true);
        return { replayed: true, status: stored.responseStatus!, body: stored.responseBody as T };
      }
      const body = await work(tx);
      await tx
        .update(idempotencyKeys)
        .set({ responseStatus: status, responseBody: sql`${JSON.stringify(body)}::jsonb` })
        .where(and(eq(idempotencyKeys.owner, owner), eq(idempotencyKeys.key, header)));
      await recordSuccess(tx, request, status, body);
      return { replayed: false, status, body };
    });
    markRecorded(request);
    reply.code(outcome.status);
    if (outcome.replayed) reply.header('idempotent-replayed', 'true');
    return outcome.body;
  };
}

export type Writer = ReturnType<typeof createWriter>;
