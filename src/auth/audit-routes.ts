import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppContext } from '../context.js';
import { decodeCursor, page, toPage } from '../http/pagination.js';
import { auditEntry, createAuditLogService, listAuditQuery } from './audit-log.js';

export const auditRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  const auditLog = createAuditLogService(ctx.database.db, { timeZone: ctx.config.LEDGER_TIMEZONE });

  app.get('/v1/audit-log', {
    config: { permission: 'audit' },
    schema: {
      operationId: 'listAuditLog',
      tags: ['audit'],
      summary: 'The audit log of every write, succeeded or refused, newest first',
      description:
        'One entry per request under /v1 other than GET and HEAD: who (API key id and role, or null when the token was missing ' +
        'or unknown), when, request id, client address, route, target ids, HTTP status and outcome, with the problem code of a ' +
        "refusal. A success's entry is written in the same database transaction as the change; a refusal's after the rollback. " +
        'An Idempotency-Key replay is a success with replayed = true. No request body, header, token or query string is kept. ' +
        'The database refuses any update or deletion. Pages go from the newest entry back; nextCursor continues further back.',
      querystring: listAuditQuery,
      response: { 200: page(auditEntry) },
    },
    handler: async (req) => {
      const { cursor, ...filter } = req.query;
      const items = await auditLog.list({ ...filter, before: decodeCursor(cursor, 'number') });
      return toPage(items, filter.limit, (e) => e.id);
    },
  });
};
