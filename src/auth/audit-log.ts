import { keyNames } from './key-names.js';
import { and, desc, eq, lt, type SQL, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '../db/client.js';
import { auditLog } from '../db/schema.js';
import { cursor, limit } from '../http/pagination.js';
import { calendarDate, id, keyName } from '../http/schemas.js';
import { roles } from './roles.js';

/** A day (in the ledger's time zone) or an exact moment with its offset. */
const moment = z.union([calendarDate, z.iso.datetime({ offset: true, error: 'a day YYYY-MM-DD or a moment such as 2026-11-30T08:00:00Z' })]);

export const auditEntry = z
  .object({
    id: z.number().int(),
    at: z.string().meta({ description: 'When the write began (its database transaction started)' }),
    actorId: z.string().nullable().meta({ description: 'The API key id, "env-admin", or null when the request was not authenticated' }),
    actorName: keyName('made the request'),
    actorRole: z.enum(roles).nullable(),
    requestId: z.string().meta({ description: 'The request id (the X-Request-Id header when sent), as in the service log' }),
    clientAddress: z.string().nullable(),
    method: z.string(),
    route: z.string().nullable().meta({ description: 'The route pattern, null when no route matched', examples: ['/v1/disbursements/:disbursementId/approve'] }),
    path: z.string().meta({ description: 'The path without query string; a segment that is neither a UUID nor a route word shows as *' }),
    targetIds: z.record(z.string(), z.string()).meta({
      description: "The route's parameters and, for a success, the answer's id and top-level …Id fields (transactionId, fundId, …)",
      examples: [{ disbursementId: '0c9a…', id: '0c9a…', approvalTransactionId: '5e21…' }],
    }),
    status: z.number().int().meta({ description: 'The HTTP status answered' }),
    outcome: z.enum(['succeeded', 'refused']),
    errorCode: z.string().nullable().meta({ description: "A refusal's problem code (validation_failed, forbidden, …)" }),
    replayed: z.boolean().meta({ description: 'An Idempotency-Key replay: the stored answer was sent again and nothing new was written' }),
  })
  .meta({ id: 'AuditEntry' });

export type AuditEntry = z.infer<typeof auditEntry>;

export const listAuditQuery = z.strictObject({
  actorId: z
    .string()
    .regex(/^[A-Za-z0-9-]{1,100}$/, { error: 'an API key id or env-admin' })
    .optional()
    .meta({ description: 'Only this API key\'s writes ("env-admin" for the LEDGER_ADMIN_TOKEN)' }),
  outcome: z.enum(['succeeded', 'refused']).optional(),
  route: z.string().max(300).regex(/^\//, { error: 'a route pattern such as /v1/transactions' }).optional().meta({
    description: 'Exactly this route pattern',
    examples: ['/v1/disbursements/:disbursementId/approve'],
  }),
  from: moment.optional().meta({ description: 'From this moment, or from the start of this day (ledger time zone); write + as %2B' }),
  to: moment.optional().meta({ description: 'Up to this moment, or to the end of this day (ledger time zone)' }),
  targetId: id.optional().meta({ description: 'Only writes that name this id, as a route parameter or in the answer' }),
  limit,
  cursor,
});

export type AuditFilter = Omit<z.infer<typeof listAuditQuery>, 'cursor'> & { before?: number };

const isDay = (value: string) => value.length === 10;

/** Reads the audit log, newest first. Writing it is src/http/audit.ts's business alone. */
export function createAuditLogService(db: Db, options: { timeZone: string }) {
  const startOfDay = (day: string, plusDays = 0) => sql`((${day}::date + ${plusDays}::int)::timestamp at time zone ${options.timeZone})`;

  return {
    async list(filter: AuditFilter): Promise<AuditEntry[]> {
      const where: SQL[] = [];
      if (filter.before !== undefined) where.push(lt(auditLog.id, filter.before));
      if (filter.actorId) where.push(eq(auditLog.actorId, filter.actorId));
      if (filter.outcome) where.push(eq(auditLog.outcome, filter.outcome));
      if (filter.route) where.push(eq(auditLog.route, filter.route));
      if (filter.from) where.push(sql`${auditLog.at} >= ${isDay(filter.from) ? startOfDay(filter.from) : sql`${filter.from}::timestamptz`}`);
      if (filter.to) {
        where.push(isDay(filter.to) ? sql`${auditLog.at} < ${startOfDay(filter.to, 1)}` : sql`${auditLog.at} <= ${filter.to}::timestamptz`);
      }
      // "Some value is the id", written as the expression the GIN index audit_log_target_values_idx holds.
      if (filter.targetId) {
        where.push(sql`jsonb_path_query_array(${auditLog.targetIds}, '$.*') @> ${JSON.stringify([filter.targetId])}::jsonb`);
      }
      const found = await db
        .select()
        .from(auditLog)
        .where(and(...where))
        .orderBy(desc(auditLog.id))
        .limit(filter.limit);
      const names = await keyNames(db, found.map((row) => row.actorId));
      return found.map((row) => ({
        ...row,
        at: row.at.toISOString(),
        actorName: row.actorId ? (names.get(row.actorId) ?? null) : null,
        actorRole: row.actorRole as AuditEntry['actorRole'],
      }));
    },
  };
}
