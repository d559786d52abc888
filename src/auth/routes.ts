import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { problems, text } from '../http/schemas.js';
import { roles } from './roles.js';

const issuedKey = z
  .object({
    id: z.string(),
    name: z.string(),
    role: z.enum(roles),
    createdAt: z.string(),
    token: z.string().meta({ description: 'Shown once: only its hash is stored' }),
  })
  .meta({ id: 'IssuedApiKey' });

export const authRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  app.post('/v1/api-keys', {
    config: { permission: 'admin' },
    schema: {
      tags: ['api keys'],
      summary: 'Issue an API key for a role; the token is shown once',
      body: z.strictObject({ name: text(200), role: z.enum(roles) }),
      response: { 201: issuedKey, ...problems(403) },
    },
    handler: (req, reply) =>
      ctx.write(req, reply, 201, (tx) => ctx.apiKeys.issue(tx, req.body, req.principal.id), { answerHoldsSecret: true }),
  });
};
