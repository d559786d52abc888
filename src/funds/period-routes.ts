import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { withKeyName, withKeyNames } from '../auth/key-names.js';
import type { AppContext } from '../context.js';
import { DomainError } from '../errors.js';
import { decodeCursor, page, toPage } from '../http/pagination.js';
import { PERIOD_PATTERN } from '../ledger/dates.js';
import { idempotencyHeaders, problems } from '../http/schemas.js';
import { createPeriodService } from '../ledger/periods.js';
import * as s from './period-schemas.js';
import { fundParams } from './schemas.js';

/** Accounting periods (会计期间) and the tamper-evidence check of a fund's books. */
function periodCursor(value: string | undefined) {
  const period = decodeCursor(value, 'string');
  if (period !== undefined && !PERIOD_PATTERN.test(period)) {
    throw new DomainError('validation_failed', 'cursor: not a cursor this service issued; use nextCursor from a previous page.');
  }
  return period;
}

/** Who closed and who reopened a month, by the names of their keys (the ledger keeps the ids). */
const PERIOD_ACTORS = ['closedBy', 'reopenedBy'] as const;

export const periodRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  const { db } = ctx.database;
  const periods = createPeriodService(db, { today: ctx.today });

  app.get('/v1/funds/:fundId/periods', {
    config: { permission: 'read' },
    schema: {
      operationId: 'listPeriods',
      tags: ['periods'],
      summary: "A fund's months from its first posting to the current one, oldest first, closed or open",
      params: fundParams,
      querystring: s.listPeriodsQuery,
      response: { 200: page(s.periodView) },
    },
    handler: async (req) => {
      const { limit } = req.query;
      const items = await periods.listPeriods(req.params.fundId, { after: periodCursor(req.query.cursor), limit });
      return toPage(await withKeyNames(db, items, PERIOD_ACTORS), limit, (p) => p.period);
    },
  });

  app.get('/v1/funds/:fundId/periods/:period', {
    config: { permission: 'read' },
    schema: {
      operationId: 'getPeriod',
      tags: ['periods'],
      summary: 'A month with, once closed, every account\'s closing balance (the close snapshot)',
      params: s.periodParams,
      response: { 200: s.periodWithBalances },
    },
    handler: async (req) => withKeyName(db, await periods.getPeriod(req.params.fundId, req.params.period), PERIOD_ACTORS),
  });

  app.post('/v1/funds/:fundId/periods/:period/close', {
    config: { permission: 'admin' },
    schema: {
      operationId: 'closePeriod',
      tags: ['periods'],
      summary: 'Close a month: snapshot every account and refuse postings dated in it or before',
      headers: idempotencyHeaders,
      description:
        'A fund with a bank account in its chart closes a month only when its bank reconciliation (GET …/bank-reconciliations/{period}) ' +
        'agrees; otherwise, or with no bank statement imported for it, the close is refused with not_reconciled and its reasons unless ' +
        'the body gives a `reason`, which the period (`closeReason`) and the period.closed event keep.',
      params: s.periodParams,
      body: s.closeBody,
      response: { 200: s.periodWithBalances, ...problems('period_not_ended', 'invalid_state', 'not_reconciled') },
    },
    handler: (req, reply) =>
      ctx.write(
        req,
        reply,
        200,
        async (tx) => {
          const { fundId, period } = req.params;
          const reasons = await ctx.bank.unreconciledReasons(tx, fundId, period);
          const reason = req.body?.reason ?? null;
          if (reasons.length && !reason) {
            throw new DomainError(
              'not_reconciled',
              `The bank reconciliation of ${period} does not agree: ${reasons.join('; ')}. Reconcile it, or close with a reason.`,
              { period, reasons },
            );
          }
          return withKeyName(tx, await periods.closePeriod(tx, fundId, period, req.principal.id, reasons.length ? reason : null), PERIOD_ACTORS);
        },
        { alone: true },
      ),
  });

  app.post('/v1/funds/:fundId/periods/:period/reopen', {
    config: { permission: 'admin' },
    schema: {
      operationId: 'reopenPeriod',
      tags: ['periods'],
      summary: 'Reopen the latest closed month, with a reason; its snapshot is removed',
      headers: idempotencyHeaders,
      params: s.periodParams,
      body: s.reopenBody,
      response: { 200: s.periodWithBalances, ...problems('invalid_state') },
    },
    handler: (req, reply) =>
      ctx.write(
        req,
        reply,
        200,
        async (tx) => withKeyName(tx, await periods.reopenPeriod(tx, req.params.fundId, req.params.period, req.body.reason, req.principal.id), PERIOD_ACTORS),
        { alone: true },
      ),
  });

  app.get('/v1/funds/:fundId/verify', {
    config: { permission: 'report' },
    schema: {
      operationId: 'verifyFund',
      tags: ['periods'],
      summary: "Verify a fund's books: hash chain, voucher numbers, balances recomputed from the lines, lines and business records pointing at what exists (200 either way)",
      params: fundParams,
      querystring: s.verifyQuery,
      response: { 200: s.verification },
    },
    handler: (req) => {
      const { at, hash } = req.query;
      return periods.verify(req.params.fundId, at !== undefined && hash !== undefined ? { position: at, hash } : undefined);
    },
  });
};
