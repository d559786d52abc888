import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { cursor, decodeCursor, limit, page, toPage } from '../http/pagination.js';
import { id, idempotencyHeaders, keyName, problems, text } from '../http/schemas.js';
import { allows, permissions, roles } from './roles.js';
import { ENV_ADMIN_ID, withKeyName, withKeyNames } from './key-names.js';

const scopes = z
  .object({
    townships: z.array(text(100)).max(500).default([]).meta({ description: 'Townships whose funds, villages and households the key reaches' }),
    funds: z.array(id).max(500).default([]).meta({ description: 'Funds the key reaches (a county fund, one without a township, also reaches every village)' }),
    all: z.boolean().default(false).meta({ description: 'The whole ledger: instead of naming townships and funds' }),
  })
  .meta({ id: 'ApiKeyScopes' });

const apiKey = z
  .object({
    id: z.string(),
    name: z.string(),
    role: z.enum(roles),
    scopes: scopes.nullable().meta({ description: 'Null for admin and auditor keys, which reach the whole ledger' }),
    createdBy: z.string().nullable(),
    createdByName: keyName('issued it'),
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
      operationId: 'issueApiKey',
      tags: ['api keys'],
      summary: 'Issue an API key for a role; the token is shown once',
      description:
        'Officer, approver and reader keys need `scopes`: the townships and funds they reach, or `{"all": true}`. ' +
        'Admin and auditor keys reach the whole ledger and take no scopes.',
      body: z.strictObject({
        name: text(200),
        role: z.enum(roles),
        scopes: z
          .strictObject({ townships: z.array(text(100)).max(500).optional(), funds: z.array(id).max(500).optional(), all: z.boolean().optional() })
          .optional(),
        expiresAt: z.iso
          .datetime({ offset: true, error: 'an ISO 8601 moment with its offset, e.g. 2027-06-30T00:00:00+08:00' })
          .optional()
          .meta({ description: 'Refused from this moment on; never expires when omitted' }),
      }),
      response: { 201: issuedKey },
    },
    handler: (req, reply) =>
      ctx.write(req, reply, 201, async (tx) => ({ ...(await ctx.apiKeys.issue(tx, req.body, req.principal.id)), createdByName: req.principal.name }), {
        answerHoldsSecret: true,
      }),
  });

  app.get('/v1/me', {
    config: { permission: 'read' },
    schema: {
      operationId: 'getMe',
      tags: ['api keys'],
      summary: 'The key making the request: its id, name, role, what it may do and what it reaches',
      querystring: z.strictObject({}),
      response: {
        200: z
          .object({
            id: z.string().meta({ description: 'The key id (as in createdBy, requestedBy, approvedBy), or "env-admin"' }),
            name: z.string(),
            role: z.enum(roles),
            permissions: z.array(z.enum(permissions)),
            reach: z
              .object({ townships: z.array(z.string()), funds: z.array(z.string()) })
              .nullable()
              .meta({ description: 'Null: the whole ledger' }),
          })
          .meta({ id: 'Me' }),
      },
    },
    handler: async (req) => {
      const { id, name, role, reach } = req.principal;
      return { id, name, role, permissions: permissions.filter((p) => allows(role, p)), reach };
    },
  });

  app.get('/v1/api-keys', {
    config: { permission: 'admin' },
    schema: {
      operationId: 'listApiKeys',
      tags: ['api keys'],
      summary: 'List API keys (never their tokens)',
      querystring: z.strictObject({ limit, cursor }),
      response: { 200: page(apiKey) },
    },
    handler: async (req) => {
      const items = await ctx.apiKeys.list({ after: decodeCursor(req.query.cursor, 'string'), limit: req.query.limit });
      return toPage(await withKeyNames(ctx.database.db, items, ['createdBy'] as const), req.query.limit, (k) => k.id);
    },
  });

  app.delete('/v1/api-keys/:keyId', {
    config: { permission: 'admin' },
    schema: {
      operationId: 'revokeApiKey',
      headers: idempotencyHeaders,
      tags: ['api keys'],
      summary: 'Revoke an API key: refused from the next request on',
      description:
        `\`${ENV_ADMIN_ID}\` switches off the LEDGER_ADMIN_TOKEN bootstrap token for good (refused even while still set), ` +
        'once another admin key exists. The last admin cannot be revoked (409 `last_admin`).',
      params: z.object({ keyId: z.union([id, z.literal(ENV_ADMIN_ID)]) }),
      querystring: z.strictObject({}),
      response: { 200: apiKey, ...problems('last_admin') },
    },
    handler: (req, reply) =>
      ctx.write(req, reply, 200, async (tx) => withKeyName(tx, await ctx.apiKeys.revoke(tx, req.params.keyId, req.principal.id), ['createdBy'] as const)),
  });
};
