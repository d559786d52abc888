import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppContext } from '../context.js';
import { decodeCursor, page, toPage } from '../http/pagination.js';
import { idempotencyHeaders, problems } from '../http/schemas.js';
import { sendStatement } from '../statements/reply.js';
import * as statementSchemas from '../statements/schemas.js';
import { createStatementService } from '../statements/service.js';
import * as s from './schemas.js';

export const fundRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  const { funds, write } = ctx;
  const statements = createStatementService(ctx.database.db, { today: ctx.today, timeZone: ctx.config.LEDGER_TIMEZONE });

  app.post('/v1/funds', {
    config: { permission: 'admin' },
    schema: { operationId: 'createFund', headers: idempotencyHeaders, tags: ['funds'], summary: 'Create a fund (专项基金), optionally with the standard prevention chart', body: s.createFundBody, response: { 201: s.fund, ...problems('already_exists') } },
    handler: (req, reply) => write(req, reply, 201, (tx) => funds.createFund(tx, req.body)),
  });

  app.get('/v1/funds', {
    config: { permission: 'read' },
    schema: { operationId: 'listFunds', tags: ['funds'], summary: 'List funds by code', querystring: s.listQuery, response: { 200: page(s.fund) } },
    handler: async (req) => {
      const items = await funds.listFunds({ afterCode: decodeCursor(req.query.cursor, 'string'), limit: req.query.limit, reach: req.principal.reach });
      return toPage(items, req.query.limit, (f) => f.code);
    },
  });

  app.get('/v1/funds/:fundId', {
    config: { permission: 'read' },
    schema: { operationId: 'getFund', tags: ['funds'], summary: 'Get a fund', params: s.fundParams, response: { 200: s.fund } },
    handler: (req) => funds.getFund(req.params.fundId),
  });

  app.patch('/v1/funds/:fundId', {
    config: { permission: 'admin' },
    schema: {
      operationId: 'updateFund',
      headers: idempotencyHeaders,
      tags: ['funds'],
      summary: "Change a fund's name, purpose, allowed categories or yearly caps",
      params: s.fundParams,
      body: s.updateFundBody,
      response: { 200: s.fund },
    },
    handler: (req, reply) => write(req, reply, 200, (tx) => funds.updateFund(tx, req.params.fundId, req.body)),
  });

  app.post('/v1/funds/:fundId/accounts', {
    config: { permission: 'admin' },
    schema: {
      operationId: 'createAccount',
      headers: idempotencyHeaders,
      tags: ['accounts'],
      summary: 'Open an account in a fund',
      params: s.fundParams,
      body: s.createAccountBody,
      response: { 201: s.account, ...problems('already_exists') },
    },
    handler: (req, reply) => write(req, reply, 201, (tx) => funds.createAccount(tx, req.params.fundId, req.body)),
  });

  app.get('/v1/funds/:fundId/accounts', {
    config: { permission: 'read' },
    schema: {
      operationId: 'listAccounts',
      tags: ['accounts'],
      summary: "List a fund's accounts by code",
      params: s.fundParams,
      querystring: s.listQuery,
      response: { 200: page(s.account) },
    },
    handler: async (req) => {
      const items = await funds.listAccounts(req.params.fundId, {
        afterCode: decodeCursor(req.query.cursor, 'string'),
        limit: req.query.limit,
      });
      return toPage(items, req.query.limit, (a) => a.code);
    },
  });

  app.get('/v1/funds/:fundId/trial-balance', {
    config: { permission: 'read' },
    schema: {
      operationId: 'getTrialBalance',
      tags: ['funds', 'statements'],
      summary: 'Trial balance (试算平衡表) of a fund at the end of a day',
      description: 'Add `format=csv` or `format=pdf` for the same statement as CSV or as a printable PDF (page X of Y and the digest on every page).',
      params: s.fundParams,
      querystring: statementSchemas.asOfQuery,
      response: statementSchemas.statementResponses(statementSchemas.trialBalanceStatement),
    },
    handler: async (req, reply) => {
      const statement = await statements.generate('trial-balance', { fundId: req.params.fundId, asOf: req.query.asOf }, req.principal);
      return sendStatement(reply, statements, statement, req.query.format);
    },
  });

  app.get('/v1/accounts/:accountId', {
    config: { permission: 'read' },
    schema: { operationId: 'getAccount', tags: ['accounts'], summary: 'Get an account with its current balance', params: s.accountParams, response: { 200: s.account } },
    handler: (req) => funds.getAccount(req.params.accountId),
  });

  app.get('/v1/accounts/:accountId/balance', {
    config: { permission: 'read' },
    schema: {
      operationId: 'getAccountBalance',
      tags: ['accounts'],
      summary: 'Balance and totals at the end of a day (by accounting date)',
      params: s.accountParams,
      querystring: s.asOfQuery,
      response: { 200: s.balance },
    },
    handler: (req) => funds.balanceAsOf(req.params.accountId, req.query.asOf ?? ctx.today()),
  });

  app.get('/v1/accounts/:accountId/entries', {
    config: { permission: 'read' },
    schema: {
      operationId: 'listAccountEntries',
      tags: ['accounts'],
      summary: "An account's lines in posting order, with the running balance after each",
      params: s.accountParams,
      querystring: s.entriesQuery,
      response: { 200: page(s.entry) },
    },
    handler: async (req) => {
      const { from, to, limit } = req.query;
      const items = await funds.entries(req.params.accountId, { from, to, limit, after: decodeCursor(req.query.cursor, 'number') });
      return toPage(items, limit, (e) => e.lineId);
    },
  });
};
