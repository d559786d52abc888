import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Database } from '../db/client.js';
import { DomainError } from '../errors.js';
import { problems } from './schemas.js';

export const healthRoutes: FastifyPluginAsyncZod<{ database: Database }> = async (app, { database }) => {
  app.get('/healthz', {
    schema: { operationId: 'getHealth', tags: ['health'], summary: 'The process is up', security: [], response: { 200: z.object({ status: z.literal('ok') }) } },
    handler: async () => ({ status: 'ok' as const }),
  });

  app.get('/readyz', {
    schema: {
      operationId: 'getReadiness',
      tags: ['health'],
      summary: 'The database answers',
      security: [],
      response: { 200: z.object({ status: z.literal('ready'), database: z.enum(['postgres', 'pglite']) }), ...problems('database_unavailable') },
    },
    handler: async () => {
      try {
        await database.ping();
      } catch {
        throw new DomainError('database_unavailable', 'The database does not answer.');
      }
      return { status: 'ready' as const, database: database.kind };
    },
  });
};
