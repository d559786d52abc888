import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { withKeyName, withKeyNames } from '../auth/key-names.js';
import type { AppContext } from '../context.js';
import { notFound } from '../errors.js';
import { decodeCursor, page, toPage } from '../http/pagination.js';
import { idempotencyHeaders, postingCodes, problems } from '../http/schemas.js';
import { getTransaction, listTransactions } from '../ledger/queries.js';
import { withVoucherNumbers } from '../ledger/voucher-numbers.js';
import * as s from './schemas.js';
import { createTransactionService } from './service.js';

export const transactionRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  const { db } = ctx.database;
  const transactions = createTransactionService({ today: ctx.today });

  app.post('/v1/transactions', {
    config: { permission: 'record' },
    schema: {
      operationId: 'postTransaction',
      tags: ['transactions'],
      summary: 'Post a balanced transaction (凭证)',
      headers: idempotencyHeaders,
      body: s.createTransactionBody,
      response: { 201: s.transaction, ...problems('unknown_account', 'unbalanced_transaction', 'date_in_future', 'reserved_for_operations', 'review_required', ...postingCodes) },
    },
    handler: (req, reply) => ctx.write(req, reply, 201, transactions.post(req.body, req.principal)),
  });

  app.get('/v1/transactions', {
    config: { permission: 'read' },
    schema: {
      operationId: 'listTransactions',
      tags: ['transactions'],
      summary: 'Transactions in posting order',
      querystring: s.listTransactionsQuery,
      response: { 200: page(s.transaction) },
    },
    handler: async (req) => {
      const { fundId, from, to, limit } = req.query;
      const items = await listTransactions(db, { fundId, from, to, limit, after: decodeCursor(req.query.cursor, 'number'), reach: req.principal.reach });
      return toPage(await withKeyNames(db, items, ['createdBy'] as const), limit, (t) => t.number);
    },
  });

  app.get('/v1/posting-groups', {
    config: { permission: 'admin' },
    schema: {
      operationId: 'getPostingGroups',
      tags: ['transactions'],
      summary: 'How this process has grouped the writes since it started (coalesced commits)',
      querystring: s.noQuery,
      response: { 200: s.postingGroups },
    },
    handler: async () => ctx.postingGroups.stats(),
  });

  app.get('/v1/transactions/:transactionId', {
    config: { permission: 'read' },
    schema: { operationId: 'getTransaction', tags: ['transactions'], summary: 'Get a transaction with its lines', params: s.transactionParams, response: { 200: s.transaction } },
    handler: async (req) => {
      const found = await getTransaction(db, req.params.transactionId);
      if (!found) throw notFound('Transaction', req.params.transactionId);
      return withKeyName(db, found, ['createdBy'] as const);
    },
  });

  app.post('/v1/transactions/:transactionId/reversal', {
    config: { permission: 'record' },
    schema: {
      operationId: 'reverseTransaction',
      tags: ['transactions'],
      summary: 'Reverse a transaction with a linked mirror transaction (冲销)',
      headers: idempotencyHeaders,
      params: s.transactionParams,
      body: s.reversalBody,
      response: { 201: s.transaction, ...problems('already_reversed', 'reversal_not_reversible', 'date_in_future', 'reserved_for_operations', 'review_required', ...postingCodes) },
    },
    handler: async (req, reply) =>
      // Numbered within fund and month when linked, at the end of the write: read once it has committed.
      withVoucherNumbers(db, await ctx.write(req, reply, 201, (tx) => transactions.reverse(tx, req.params.transactionId, req.body, req.principal.id))),
  });
};
