import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppContext } from '../context.js';
import { DomainError } from '../errors.js';
import { decodeCursor, page, toPage } from '../http/pagination.js';
import { idempotencyHeaders, postingCodes, problems } from '../http/schemas.js';
import * as s from './schemas.js';
import { createDisbursementService } from './service.js';

/** A list position is the date and the id of the last disbursement (or batch) shown. */
function decodePosition(cursor: string | undefined) {
  const position = decodeCursor(cursor, 'string');
  if (position === undefined) return undefined;
  const match = /^(\d{4}-\d{2}-\d{2})\/([0-9a-f-]{36})$/.exec(position);
  if (!match) throw new DomainError('validation_failed', 'cursor: not a cursor this service issued; use nextCursor from a previous page.');
  return { date: match[1]!, id: match[2]! };
}

export const disbursementsRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  const { write } = ctx;
  const disbursements = createDisbursementService(ctx.database.db, { households: ctx.households, today: ctx.today });
  const tags = ['disbursements'];

  app.post('/v1/disbursements', {
    config: { permission: 'record' },
    schema: {
      operationId: 'requestDisbursement',
      tags,
      summary: 'Request a payment to a monitored household (医疗补贴, 生活补助, 临时救助 …)',
      description:
        'Checks that the fund allows the category (insurance never: its payouts are claims against a policy, POST /v1/insurance-claims), ' +
        'that the household is monitored on the date (the day the benefit is for), lives in the village when paying ' +
        "from a village's allocation, and stays within the fund's yearly cap for the date's year (over_cap gives the remaining allowance). " +
        'Nothing is posted yet.',
      headers: idempotencyHeaders,
      body: s.createDisbursementBody,
      response: { 201: s.disbursement, ...problems('not_found', 'fund_closed', 'category_not_allowed', 'chart_account_missing', 'unknown_village', 'unknown_household', 'not_monitored', 'village_mismatch', 'over_cap', 'date_in_future') },
    },
    handler: (req, reply) => write(req, reply, 201, (tx) => disbursements.request(tx, req.body, req.principal.id)),
  });

  app.get('/v1/disbursements', {
    config: { permission: 'read' },
    schema: {
      operationId: 'listDisbursements',
      tags,
      summary: 'The payment register, by payment date',
      querystring: s.listDisbursementsQuery,
      response: { 200: page(s.disbursement) },
    },
    handler: async (req) => {
      const { cursor, ...filter } = req.query;
      const items = await disbursements.list({ ...filter, after: decodePosition(cursor), reach: req.principal.reach });
      return toPage(items, filter.limit, (d) => `${d.date}/${d.id}`);
    },
  });

  app.get('/v1/disbursements/:disbursementId', {
    config: { permission: 'read' },
    schema: { operationId: 'getDisbursement', tags, summary: 'Get a disbursement', params: s.disbursementParams, response: { 200: s.disbursement } },
    handler: (req) => disbursements.get(req.params.disbursementId),
  });

  app.post('/v1/disbursements/:disbursementId/approve', {
    config: { permission: 'approve' },
    schema: {
      operationId: 'approveDisbursement',
      tags,
      summary: 'Approve a requested disbursement and reserve its money (maker–checker: another key than the requester)',
      description:
        'Re-checks, under the household lock, that the household is monitored on the date and also today (the reservation is posted ' +
        'today), and the cap, then posts Dr bank_reserved / Cr bank (and, from a village, ' +
        "Dr the village's allocation / Cr village_distribution). Refused with insufficient_funds when the money is not there.",
      headers: idempotencyHeaders,
      params: s.disbursementParams,
      response: { 200: s.disbursement, ...problems('invalid_state', 'approver_is_requester', 'category_not_allowed', 'chart_account_missing', 'unknown_village', 'not_monitored', 'over_cap', ...postingCodes) },
    },
    handler: (req, reply) => write(req, reply, 200, (tx) => disbursements.approve(tx, req.params.disbursementId, req.principal.id)),
  });

  app.post('/v1/disbursements/:disbursementId/pay', {
    config: { permission: 'approve' },
    schema: {
      operationId: 'payDisbursement',
      tags,
      summary: 'Record the bank payment of an approved disbursement (Dr expense / Cr bank_reserved)',
      description:
        'Refused with not_monitored when the household is no longer monitored today, the day the payment is posted: fail the ' +
        'disbursement to release its reservation.',
      headers: idempotencyHeaders,
      params: s.disbursementParams,
      body: s.payBody,
      response: { 200: s.disbursement, ...problems('not_approved', 'already_paid', 'invalid_state', 'approver_is_requester', 'not_monitored', 'chart_account_missing', ...postingCodes) },
    },
    handler: (req, reply) => write(req, reply, 200, (tx) => disbursements.pay(tx, req.params.disbursementId, req.body, req.principal.id)),
  });

  app.post('/v1/disbursements/:disbursementId/fail', {
    config: { permission: 'approve' },
    schema: {
      operationId: 'failDisbursement',
      tags,
      summary: 'Fail a disbursement or one line of a batch: release its reservation, or post the bank’s return of a paid one',
      description:
        'Requested: nothing is posted. Approved: the reservation is released (a linked reversal; for a batch line, Dr bank / Cr bank_reserved ' +
        'for its amount). Paid: the return is posted, Dr bank / Cr expense (and the village allocation is restored).',
      headers: idempotencyHeaders,
      params: s.disbursementParams,
      body: s.failBody,
      response: { 200: s.disbursement, ...problems('invalid_state', 'already_reversed', 'chart_account_missing', ...postingCodes) },
    },
    handler: (req, reply) => write(req, reply, 200, (tx) => disbursements.fail(tx, req.params.disbursementId, req.body, req.principal.id)),
  });

  app.post('/v1/disbursement-batches', {
    config: { permission: 'record' },
    schema: {
      operationId: 'requestDisbursementBatch',
      tags,
      summary: 'Request a batch of payments, e.g. a monthly living allowance (生活补助), one line per household',
      description:
        'Every line is checked as a single request would be. If any is refused, nothing is written and the answer is a 400 ' +
        'validation_failed problem whose `errors` lists each bad line as {index, householdId, code, message}. ' +
        'The answer is the batch with every line (nextCursor null), in household-code order.',
      headers: idempotencyHeaders,
      body: s.createBatchBody,
      response: { 201: s.batchWithItems, ...problems('not_found', 'fund_closed', 'category_not_allowed', 'chart_account_missing', 'unknown_village', 'unknown_household', 'date_in_future') },
    },
    handler: (req, reply) => write(req, reply, 201, (tx) => disbursements.requestBatch(tx, req.body, req.principal.id)),
  });

  app.get('/v1/disbursement-batches', {
    config: { permission: 'read' },
    schema: {
      operationId: 'listDisbursementBatches',
      tags,
      summary: 'The batches of the funds in reach, by date: each with its total and lines counted by status (read the lines with GET by id)',
      querystring: s.listBatchesQuery,
      response: { 200: page(s.batch) },
    },
    handler: async (req) => {
      const { cursor, ...filter } = req.query;
      const items = await disbursements.listBatches({ ...filter, after: decodePosition(cursor), reach: req.principal.reach });
      return toPage(items, filter.limit, (b) => `${b.date}/${b.id}`);
    },
  });

  app.get('/v1/disbursement-batches/:batchId', {
    config: { permission: 'read' },
    schema: {
      operationId: 'getDisbursementBatch',
      tags,
      summary: 'Get a batch, its totals by status and a page of its lines',
      description:
        'total and byStatus count every line; items is one page of lines in household-code order (limit, default 500), ' +
        'nextCursor leads to the next page. A refused line’s index in an approve or pay problem is its place in this order.',
      params: s.batchParams,
      querystring: s.batchItemsQuery,
      response: { 200: s.batchWithItems },
    },
    handler: async (req) => {
      const { limit, cursor } = req.query;
      const batch = await disbursements.getBatch(req.params.batchId, { limit, afterCode: decodeCursor(cursor, 'string') });
      return { ...batch, ...toPage(batch.items, limit, (line) => line.householdCode) };
    },
  });

  app.post('/v1/disbursement-batches/:batchId/approve', {
    config: { permission: 'approve' },
    schema: {
      operationId: 'approveDisbursementBatch',
      tags,
      summary: 'Approve every requested line of a batch with one reservation (maker–checker: another key than the requester)',
      description:
        'Re-checks every line under the households’ locks, each household monitored on the date and also today (the reservation ' +
        'is posted today); if any line is refused, nothing is approved and the answer is a 400 ' +
        'validation_failed problem whose `errors` lists {index (place in the batch’s items, household-code order), householdId, ' +
        'disbursementId, code, message}: fail those lines, then approve again. ' +
        'The answer is the batch summary (total, byStatus) without its lines: read them with GET, page by page.',
      headers: idempotencyHeaders,
      params: s.batchParams,
      response: { 200: s.batch, ...problems('invalid_state', 'approver_is_requester', 'category_not_allowed', 'chart_account_missing', 'unknown_village', ...postingCodes) },
    },
    handler: (req, reply) => write(req, reply, 200, (tx) => disbursements.approveBatch(tx, req.params.batchId, req.principal.id)),
  });

  app.post('/v1/disbursement-batches/:batchId/pay', {
    config: { permission: 'approve' },
    schema: {
      operationId: 'payDisbursementBatch',
      tags,
      summary: 'Pay every approved line of a batch with one voucher: one expense line per household, one bank_reserved line',
      description:
        'Every approved line’s household must still be monitored today, the day the payment is posted; if any is not, nothing is ' +
        'paid and the answer is a 400 validation_failed problem whose `errors` lists {index, householdId, disbursementId, code, message}: ' +
        'fail those lines, then pay again. The answer is the batch summary (total, byStatus) without its lines: read them with GET, page by page.',
      headers: idempotencyHeaders,
      params: s.batchParams,
      body: s.payBody,
      response: { 200: s.batch, ...problems('not_approved', 'already_paid', 'invalid_state', 'approver_is_requester', 'chart_account_missing', ...postingCodes) },
    },
    handler: (req, reply) => write(req, reply, 200, (tx) => disbursements.payBatch(tx, req.params.batchId, req.body, req.principal.id)),
  });
};
