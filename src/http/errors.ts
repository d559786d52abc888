import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { fromDatabaseError } from '../db/errors.js';
import { DomainError, type ErrorCode, errorCodes } from '../errors.js';

/** Codes no DomainError carries: refusals of the HTTP layer itself, and the answer to a bug. */
export const httpErrorCodes = { payload_too_large: 413, unsupported_media_type: 415, internal_error: 500 } as const;

export const problemTitles: Record<ErrorCode | keyof typeof httpErrorCodes, string> = {
  validation_failed: 'The request is not valid',
  unauthorized: 'Authentication required',
  forbidden: 'Not allowed for this key',
  not_found: 'Not found',
  already_exists: 'Already exists',
  idempotency_conflict: 'Idempotency key reused with a different request',
  already_reversed: 'Transaction already reversed',
  reversal_not_reversible: 'A reversal cannot be reversed',
  concurrency_conflict: 'Concurrent update',
  unknown_account: 'Unknown account',
  unbalanced_transaction: 'Transaction does not balance',
  insufficient_funds: 'Insufficient funds',
  date_in_future: 'Accounting date in the future',
  fund_closed: 'Fund closed',
  unknown_village: 'Unknown village',
  unknown_household: 'Unknown household',
  not_monitored: 'Household not monitored',
  already_monitored: 'Household already monitored',
  category_not_allowed: 'Category not allowed for this fund',
  over_cap: 'Over the yearly cap',
  village_mismatch: 'Household not in that village',
  invalid_rule: 'Invalid distribution rule',
  chart_account_missing: 'Fund lacks a standard account',
  approver_is_requester: 'Approver is the requester',
  not_approved: 'Not approved',
  already_paid: 'Already paid',
  invalid_state: 'Not allowed in the current state',
  import_failed: 'Import refused',
  reserved_for_operations: 'Moved only by its operation',
  rate_limited: 'Too many requests',
  last_admin: 'The last admin cannot be revoked',
  period_closed: 'Accounting period closed',
  period_not_ended: 'Accounting period not ended',
  not_reconciled: 'Bank reconciliation does not agree',
  bank_account_missing: 'Fund has no bank account number',
  approver_is_preparer: 'Reviewer is the preparer',
  not_preparer: 'Only the preparer may change a draft',
  review_required: 'Hand-posted vouchers of this fund need review',
  voucher_changed: 'The draft changed since it was read',
  attachment_type_not_allowed: 'Not a PDF, JPEG or PNG file',
  attachment_too_large: 'Attachment too large',
  database_unavailable: 'Database unavailable',
  database_timeout: 'Database timed out',
  payload_too_large: 'Request body too large',
  unsupported_media_type: 'Unsupported media type',
  internal_error: 'Internal error',
};

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  instance?: string;
  [extra: string]: unknown;
}

function problem(code: keyof typeof problemTitles, status: number, detail: string, extra: Record<string, unknown> = {}): Problem {
  return { type: `urn:fund-ledger:problem:${code}`, title: problemTitles[code], status, detail, code, ...extra };
}

export function sendProblem(reply: FastifyReply, body: Problem) {
  // Sent as a string so that no route's response schema reshapes it.
  return reply.code(body.status).type('application/problem+json').send(JSON.stringify(body));
}

/** Every error becomes an RFC 9457 problem with a stable code; only a bug becomes a 500. */
export function toProblem(error: unknown, request: FastifyRequest): Problem {
  const instance = request.url;
  if (hasZodFastifySchemaValidationErrors(error)) {
    const where = (error as { validationContext?: string }).validationContext ?? 'body';
    const errors = error.validation.map((v) => ({ in: where, path: v.instancePath || '/', message: v.message ?? 'invalid' }));
    const detail = errors.map((e) => `${e.in}${e.path === '/' ? '' : ` ${e.path}`}: ${e.message}`).join('; ');
    return problem('validation_failed', 400, detail, { instance, errors });
  }
  const domain = error instanceof DomainError ? error : fromDatabaseError(error);
  if (domain) return problem(domain.code, errorCodes[domain.code], domain.message, { instance, ...domain.details });

  const fastifyError = error as FastifyError;
  const status = fastifyError.statusCode;
  if (status === 413) return problem('payload_too_large', httpErrorCodes.payload_too_large, fastifyError.message, { instance });
  if (status === 415) return problem('unsupported_media_type', httpErrorCodes.unsupported_media_type, fastifyError.message, { instance });
  if (status && status >= 400 && status < 500) {
    // Fastify's own refusals (malformed JSON, empty body with a JSON content type, …).
    return problem('validation_failed', 400, fastifyError.message, { instance });
  }
  return problem('internal_error', httpErrorCodes.internal_error, 'An unexpected error occurred; it has been logged.', { instance });
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const body = toProblem(error, request);
    if (body.status >= 500) request.log.error({ err: error }, 'request failed');
    return sendProblem(reply, body);
  });
  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, problem('not_found', 404, `No route ${request.method} ${request.url.split('?')[0]}.`, { instance: request.url })),
  );
}

/**
 * Fastify's `frameworkErrors` option: the router refuses a URL with broken percent-encoding or an over-long
 * path parameter before any hook or error handler runs, and by default answers plain JSON, not a problem.
 */
export function answerFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  return sendProblem(reply, toProblem(error, request));
}
