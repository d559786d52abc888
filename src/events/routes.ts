import { sql } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { fundInReach } from '../auth/reach.js';
import type { AppContext } from '../context.js';
import { DomainError } from '../errors.js';
import { cursor, limit } from '../http/pagination.js';
import { id } from '../http/schemas.js';
import { type EventPosition, readEvents } from './outbox.js';
import { type Event, event } from './schemas.js';


// The feed's cursor is a position (database transaction id, event id), opaque to readers.
const encode = (p: EventPosition) => Buffer.from(`${p.xid}.${p.id}`).toString('base64url');
function decode(value: string | undefined): EventPosition | undefined {
  if (value === undefined) return undefined;
  const match = /^(\d{1,19})\.(\d{1,19})$/.exec(Buffer.from(value, 'base64url').toString('utf8'));
  if (!match) throw new DomainError('validation_failed', 'after: not a position this feed issued; use nextCursor from a previous page.');
  return { xid: Number(match[1]), id: Number(match[2]) };
}

export const eventRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.get('/v1/events', {
    config: { permission: 'read' },
    schema: {
      operationId: 'listEvents',
      tags: ['events'],
      summary: 'Change feed: every posted transaction and business event, in a stable order that never skips',
      description:
        'Follow it by passing nextCursor as `after`. Events appear once their database transaction has committed and every ' +
        'older transaction has finished, so a reader never misses or re-reads one. nextCursor is the position to resume from, ' +
        'also when the page is empty.',
      querystring: z.strictObject({
        after: cursor,
        limit,
        fundId: id.optional().meta({ description: "Only this fund's events" }),
        type: z
          .string()
          .regex(/^[a-z_]+(\.[a-z_]+)?$/, { error: 'a type such as disbursement.paid, or a family such as disbursement' })
          .optional()
          .meta({ description: 'An event type, or its family: "disbursement" matches disbursement.paid and the rest' }),
      }),
      response: { 200: z.object({ items: z.array(event), nextCursor: z.string().nullable() }) },
    },
    handler: async (req) => {
      const after = decode(req.query.after);
      const { limit: pageSize, fundId, type } = req.query;
      // Events of no fund (households) need the whole ledger: fund_id null is in no scoped key's reach.
      const where = fundInReach(req.principal.reach, sql`fund_id`);
      const items = await readEvents(ctx.database.db, after, pageSize, { fundId, type, where });
      const last = items.at(-1);
      return {
        // Stored as recordEvent wrote it; the response schema checks each payload against its type's on the way out.
        items: items.map(({ xid: _xid, ...e }) => e as Event),
        nextCursor: last ? encode(last) : (req.query.after ?? null),
      };
    },
  });
};
