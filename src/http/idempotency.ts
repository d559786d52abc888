import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Tx } from '../db/client.js';
import { DomainError } from '../errors.js';
import type { GroupJob, PostingGroups, PostingOrder } from '../ledger/group.js';
import { markRecorded, successRow } from './audit.js';
import { IDEMPOTENCY_KEY_PATTERN as KEY_PATTERN } from './schemas.js';

/** JSON with object keys sorted, so that the same body always hashes the same. */
function canonical(value: unknown): string {
  // A file sent as the body (an attachment) counts by its hash, not as an object of numbered bytes.
  if (value instanceof Uint8Array) return JSON.stringify(`sha256:${createHash('sha256').update(value).digest('hex')}`);
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
 * Runs a write in a posting group (src/ledger/group.ts: the writes arriving together share one database
 * transaction and one commit) and answers with `status` and its result, after that commit. The work is a
 * posting order (a hand-posted voucher, decided with its group in memory) or any work in the group's
 * transaction. With an `Idempotency-Key` header the key is stored with a hash of the request and the
 * answer, in that same transaction: a retry with the same key and body gets the stored answer and writes
 * nothing; the same key with another request is refused. Concurrent requests with one key never both
 * work: in one process the second waits for the first's group, across processes on the key's row.
 * Refused requests leave no key behind and may be retried. A success (a replay too) appends its audit
 * row in the same transaction (src/http/audit.ts).
 */
export function createWriter(groups: PostingGroups) {
  return async function write<T>(
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    work: ((tx: Tx) => Promise<T>) | PostingOrder,
    options: {
      answerHoldsSecret?: boolean;
      /** Runs in a database transaction of its own, beside the groups: a long import, a period close. */
      alone?: boolean;
    } = {},
  ): Promise<T> {
    const header = request.headers['idempotency-key'];
    if (header !== undefined && options.answerHoldsSecret) {
      // A stored answer would keep the secret in the database, and a replay would show it twice.
      throw new DomainError('validation_failed', 'Idempotency-Key is not accepted here: the answer holds a secret that is shown only once.');
    }
    if (header !== undefined && (typeof header !== 'string' || !KEY_PATTERN.test(header))) {
      throw new DomainError('validation_failed', 'Idempotency-Key: 1–255 visible ASCII characters.');
    }
    const outcome = await groups.submit<T>({
      work: work as GroupJob<T>['work'],
      status,
      claim: header === undefined ? undefined : { owner: request.principal.id, key: header, requestHash: requestHash(request) },
      trail: (answer, answeredStatus, replayed) => successRow(request, answeredStatus, answer, replayed),
      alone: options.alone,
    });
    markRecorded(request);
    reply.code(outcome.status);
    if (outcome.replayed) reply.header('idempotent-replayed', 'true');
    return outcome.answer;
  };
}

export type Writer = ReturnType<typeof createWriter>;
