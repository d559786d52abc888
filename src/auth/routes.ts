import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { cursor, decodeCursor, limit, page, toPage } from '../http/pagination.js';
import { id, problems, text } from '../http/schemas.js';
import { roles } from './roles.js';

const apiKey = z
  .object({
    id: z.string(),
    name: z.string(),
    role: z.enum(roles),
    createdBy: z.string().nullable(),
    createdAt: z.string(),
    expiresAt: z.string().nullable(),
    lastUsedAt: z.string().nullable().meta({ description: 'Last request made with it, to the minute' }),
    revokedAt: z.string().nullable(),
  })
  .meta({ id: 'ApiKey' });

const issuedKey = apiKey
  .extend({ token: z.string().meta({ description: 'Shown once: only its hash is stored' }) })
  .meta({ id: 'IssuedApiKey' });

export const authRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.post('/v1/api-keys', {
    config: { permission: 'admin' },
    schema: {
      tags: ['api keys'],
      summary: 'Issue an API key for a role; the token is shown once',
      body: z.strictObject({
        name: text(200),
        role: z.enum(roles),
        expiresAt: z.iso
          .datetime({ offset: true, error: 'an ISO 8601 moment with its offset, e.g. 2027-06-30T00:00:00+08:00' })
          .optional()
          .meta({ description: 'Refused from this moment on; never expires when omitted' }),
      }),
      response: { 201: issuedKey, ...problems(403) },
    },
    handler: (req, reply) =>
      ctx.write(req, reply, 201, (tx) => ctx.apiKeys.issue(tx, req.body, req.principal.id), { answerHoldsSecret: true }),
  });

  app.get('/v1/api-keys', {
    config: { permission: 'admin' },
    schema: {
      tags: ['api keys'],
      summary: 'List API keys (never their tokens)',
      querystring: z.strictObject({ limit, cursor }),
      response: { 200: page(apiKey), ...problems(403) },
    },
    handler: async (req) => {
      const items = await ctx.apiKeys.list({ after: decodeCursor(req.query.cursor, 'string'), limit: req.query.limit });
      return toPage(items, req.query.limit, (k) => k.id);
    },
  });

  app.delete('/v1/api-keys/:keyId', {
    config: { permission: 'admin' },
    schema: {
      tags: ['api keys'],
      summary: 'Revoke an API key: refused from the next request on',
      params: z.object({ keyId: id }),
      response: { 200: apiKey, ...problems(403, 404) },
    },
    handler: (req, reply) => ctx.write(req, reply, 200, (tx) => ctx.apiKeys.revoke(tx, req.params.keyId)),
  });
};
