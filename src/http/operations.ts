import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { PROBLEM_CODES, type ProblemCode, type ProblemResponse, problems } from './schemas.js';

/**
 * What every operation's description says beyond its route's own schema, derived from what the route is, so that
 * no route can forget it: the refusals every /v1 request can meet, those of a body and of an Idempotency-Key, the
 * headers those answers carry, and a description for every answer. Routes list only the codes of their own rules.
 */

type TransformInput = Parameters<typeof jsonSchemaTransform>[0];
type Schema = Record<string, unknown> & { response?: Record<string, unknown>; headers?: unknown; body?: unknown };
/** A response header as @fastify/swagger takes it: its JSON schema, with the description beside the keywords. */
export type Header = Record<string, unknown> & { description: string };

/**
 * Every /v1 request: its key is looked up in the database and its role checked (src/http/auth.ts), so it can meet the
 * database's failures, and a read on a replica can be cancelled by replay (concurrency_conflict, src/http/replica.ts).
 */
const everyV1: ProblemCode[] = [
  'validation_failed',
  'unauthorized',
  'forbidden',
  'concurrency_conflict',
  'database_unavailable',
  'database_timeout',
];
const withBody: ProblemCode[] = ['validation_failed', 'payload_too_large', 'unsupported_media_type'];

const replayedHeader: Header = {
  description: 'true when this is the stored answer to an earlier request with the same Idempotency-Key (nothing was written again)',
  type: 'string',
  enum: ['true'],
};

/** @fastify/rate-limit's headers, on any answer of a counted request, refusals too (none when LEDGER_RATE_LIMIT is 0). */
const rateLimitHeaders: Record<string, Header> = {
  'X-RateLimit-Limit': { description: 'Requests allowed a minute', type: 'integer' },
  'X-RateLimit-Remaining': { description: 'Requests left in this minute', type: 'integer' },
  'X-RateLimit-Reset': { description: 'Seconds until the minute ends', type: 'integer' },
};

/** Kept as the request's id in logs and audit rows when it looks like one (src/app.ts); otherwise a new id is made. */
const requestIdHeader = {
  type: 'string',
  description: 'Your id for this request, kept in our logs and audit rows when it is 1–64 letters, digits, ".", "_" or "-" (otherwise replaced)',
};

const isProblemResponse = (entry: unknown): entry is ProblemResponse => typeof entry === 'object' && entry !== null && PROBLEM_CODES in entry;

/** True when the route reads the Idempotency-Key header (src/http/idempotency.ts honours it on every write). */
const honoursIdempotencyKey = (schema: Schema) =>
  schema.headers instanceof z.ZodObject && 'idempotency-key' in (schema.headers as z.ZodObject).shape;

function impliedCodes(url: string, method: string, schema: Schema): ProblemCode[] {
  // Every request: the limiter (src/http/protection.ts) counts it, src/http/control-characters.ts checks its query and
  // headers, and it can meet a bug.
  const codes: ProblemCode[] = ['rate_limited', 'validation_failed', 'internal_error'];
  if (!url.startsWith('/v1/')) return codes;
  codes.push(...everyV1);
  // A path naming a row outside the key's scope is answered 404 by the scope guard (src/http/scope.ts).
  if (url.includes(':')) codes.push('not_found');
  // Fastify reads a body sent with any method but GET and HEAD, whether or not the route expects one.
  if (schema.body || !['GET', 'HEAD'].includes(method)) codes.push(...withBody);
  if (honoursIdempotencyKey(schema)) codes.push('idempotency_conflict');
  return codes;
}

function successDescription(status: number, schema: unknown): string {
  const named = (s: unknown) => (s instanceof z.ZodType ? z.globalRegistry.get(s)?.id : undefined);
  const items = schema instanceof z.ZodObject ? (schema.shape as Record<string, unknown>).items : undefined;
  const pageOf = items instanceof z.ZodArray ? named(items.element) : undefined;
  const what = named(schema) ?? (pageOf ? `a page of ${pageOf}, with nextCursor` : undefined);
  const verb = status === 201 ? 'Created' : 'OK';
  return what ? `${verb}: ${what}` : verb;
}

/** The route's answers as the document shows them: each with a description, its media types and its headers. */
function answers(url: string, method: string, schema: Schema) {
  const response = schema.response ?? {};
  const declared = Object.values(response).flatMap((entry) => (isProblemResponse(entry) ? entry[PROBLEM_CODES] : []));
  const replayable = honoursIdempotencyKey(schema);
  const success = Object.entries(response)
    .filter(([, entry]) => !isProblemResponse(entry))
    .map(([status, entry]) => {
      const withContent =
        typeof entry === 'object' && entry !== null && 'content' in entry
          ? (entry as { description?: string; content: unknown; headers?: Record<string, Header> })
          : { content: { 'application/json': { schema: entry } } };
      const description = withContent.description ?? successDescription(Number(status), entry);
      const headers = { ...withContent.headers, ...(replayable ? { 'Idempotent-Replayed': replayedHeader } : {}) };
      return [status, { ...withContent, description, headers }] as const;
    });
  return { ...Object.fromEntries(success), ...problems(...declared, ...impliedCodes(url, method, schema)) } as Record<
    string,
    { description: string; content: unknown; headers?: Record<string, Header> }
  >;
}

export function describeOperation(input: TransformInput) {
  const schema = input.schema as Schema | undefined;
  if (!schema || schema.hide) return jsonSchemaTransform(input);
  if (typeof schema.operationId !== 'string') throw new Error(`${input.url}: every operation needs an operationId.`);
  const method = [input.route?.method].flat()[0] ?? 'GET';
  const response = answers(input.url, method, schema);
  const transformed = jsonSchemaTransform({ ...input, schema: { ...schema, response } } as TransformInput);
  // The zod transform keeps a response's description and content only; its headers are put back here.
  const out = transformed.schema as { response: Record<string, Record<string, unknown>>; headers?: Record<string, unknown> & { properties?: object } };
  for (const [status, entry] of Object.entries(response)) {
    out.response[status] = { ...out.response[status], headers: { ...entry.headers, ...rateLimitHeaders } };
  }
  out.headers = { type: 'object', ...out.headers, properties: { ...out.headers?.properties, 'x-request-id': requestIdHeader } };
  return transformed;
}

type OpenApiDocument = { paths?: Record<string, Record<string, { responses?: Record<string, { headers?: Record<string, unknown> }> }>>; components?: Record<string, unknown> };

/**
 * Puts each response header, declared alike on hundreds of answers, once under components.headers and refers to it
 * there: the document says the same, at a fraction of the size. A header declared differently somewhere stays inline.
 */
export function shareResponseHeaders<T>(document: T): T {
  const doc = document as OpenApiDocument;
  const shared: Record<string, unknown> = {};
  for (const operations of Object.values(doc.paths ?? {})) {
    for (const operation of Object.values(operations)) {
      for (const response of Object.values(operation.responses ?? {})) {
        for (const [name, header] of Object.entries(response.headers ?? {})) {
          shared[name] ??= header;
          if (JSON.stringify(shared[name]) === JSON.stringify(header)) response.headers![name] = { $ref: `#/components/headers/${name}` };
        }
      }
    }
  }
  return { ...doc, components: { ...doc.components, headers: shared } } as T;
}
