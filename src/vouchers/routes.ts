import type { FastifyReply } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import type { Executor } from '../db/client.js';
import { decodeCursor, page, toPage } from '../http/pagination.js';
import { idempotencyHeaders, postingCodes, problems } from '../http/schemas.js';
import { readVoucherNumbers } from '../ledger/voucher-numbers.js';
import { localMoment } from '../ledger/dates.js';
import { sendStatement } from '../statements/reply.js';
import { formatQuery, statementResponses } from '../statements/schemas.js';
import { createStatementService } from '../statements/service.js';
import { createTransactionService } from '../transactions/service.js';
import { transactionParams } from '../transactions/schemas.js';
import { fundParams } from '../funds/schemas.js';
import { bindingCover, bindingVouchers } from './binding.js';
import { bindingPdf } from './print.js';
import { createDraftService, type VoucherDraft } from './drafts.js';
import * as s from './schemas.js';

const draftChecks = ['unknown_account', 'unbalanced_transaction', 'date_in_future', 'reserved_for_operations', 'fund_closed', 'period_closed'] as const;

/** Drafts with the numbers of their posted vouchers (given when linked, at the end of an approval's write), read in one query. */
async function numberedAll<T extends Pick<VoucherDraft, 'transactionId'>>(executor: Executor, drafts: T[]) {
  const numbers = await readVoucherNumbers(executor, drafts.flatMap((d) => (d.transactionId ? [d.transactionId] : [])));
  return drafts.map((d) => ({ ...d, voucherNumbers: (d.transactionId && numbers.get(d.transactionId)) || [] }));
}
const numbered = async <T extends Pick<VoucherDraft, 'transactionId'>>(executor: Executor, draft: T) => (await numberedAll(executor, [draft]))[0]!;

/** Hand-entered vouchers reviewed before posting (制单 → 审核 → 记账). */
export const voucherRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  const { db } = ctx.database;
  const transactions = createTransactionService({ today: ctx.today });
  const drafts = createDraftService({
    today: ctx.today,
    assertManualAccounts: transactions.assertManualAccounts,
    assertNotOperationVoucher: transactions.assertNotOperationVoucher,
  });
  const statements = createStatementService(db, { today: ctx.today, timeZone: ctx.config.LEDGER_TIMEZONE });

  app.get('/v1/transactions/:transactionId/voucher', {
    config: { permission: 'report' },
    schema: {
      operationId: 'printVoucher',
      tags: ['vouchers'],
      summary: 'The 记账凭证 of a posted transaction: `format=pdf` to print it',
      description:
        'Per fund it touches: its number in the fund’s month, date, each line’s 摘要, account and amount, the total in figures and in Chinese ' +
        'capitals, 附件 N 张, 记账 / 审核 / 制单, and the digest (verify it with POST /v1/statements/verify, kind voucher). A reversal is printed ' +
        'as 红字冲销: the reversed voucher’s lines in red, negative, with the voucher it reverses. The PDF is the voucher form, two to an A4 page.',
      params: transactionParams,
      querystring: formatQuery,
      response: statementResponses(s.voucherStatement),
    },
    handler: async (req, reply) => {
      const statement = await statements.generate('voucher', { transactionId: req.params.transactionId }, req.principal);
      return sendStatement(reply, statements, statement, req.query.format);
    },
  });

  app.get('/v1/funds/:fundId/vouchers', {
    config: { permission: 'report' },
    schema: {
      operationId: 'printVoucherBinding',
      tags: ['vouchers'],
      summary: 'A month of the fund’s vouchers for binding (会计凭证装订): cover and every voucher, two to an A4 page',
      description:
        'The cover (凭证封面) states the fund, the month, the first and last number, how many vouchers, the debit and credit totals and the ' +
        'attachments; then every voucher of the month in number order, as GET /v1/transactions/{transactionId}/voucher prints it, each with ' +
        'its own digest. Streamed: a month of thousands of vouchers is drawn a hundred at a time.',
      params: fundParams,
      querystring: s.bindingQuery,
      response: {
        200: {
          description: 'The binding, A4 PDF',
          content: { 'application/pdf': { schema: z.string().meta({ format: 'binary' }) } },
          headers: { 'Content-Disposition': { description: 'inline; the file name', type: 'string' } },
        },
      },
    },
    handler: async (req, reply) => {
      const cover = await bindingCover(db, req.params.fundId, req.query.period);
      const meta = { printedAt: localMoment(new Date().toISOString(), ctx.config.LEDGER_TIMEZONE), printedBy: req.principal.name };
      const file = `vouchers-${cover.fund.code.replace(/[^A-Za-z0-9._-]/g, '_')}-${cover.period}.pdf`;
      // Sent as a stream: the route's schema describes the bytes, not a value to serialise.
      return (reply as FastifyReply).type('application/pdf').header('content-disposition', `inline; filename="${file}"`).send(bindingPdf(cover, bindingVouchers(db, cover), meta));
    },
  });

  app.post('/v1/vouchers', {
    config: { permission: 'record' },
    schema: {
      operationId: 'draftVoucher',
      tags: ['vouchers'],
      summary: 'Draft a voucher for review (制单)',
      description:
        'The body of POST /v1/transactions plus `attachments`, the number of source documents. Checked as it would post now (accounts, ' +
        'balance per fund, dates, closed periods), except for the money available; not in the books until another key approves it.',
      headers: idempotencyHeaders,
      body: s.draftBody,
      response: { 201: s.voucherDraft, ...problems(...draftChecks) },
    },
    handler: async (req, reply) => numbered(db, await ctx.write(req, reply, 201, (tx) => drafts.create(tx, req.body, req.principal.id))),
  });

  app.post('/v1/vouchers/reversals', {
    config: { permission: 'record' },
    schema: {
      operationId: 'draftReversal',
      tags: ['vouchers'],
      summary: 'Draft the reversal (红字冲销) of a posted voucher for review',
      description:
        'The mirror of the voucher, checked as a reversal is (not itself a reversal, not reversed yet, not posted by an operation, dated on or ' +
        'after it; `date` today when omitted). Another key approves it (POST /v1/vouchers/{voucherId}/approve), which posts it linked to the ' +
        'voucher; it cannot be changed, only withdrawn and drafted again. The way to reverse in a fund with manualVouchersNeedReview.',
      headers: idempotencyHeaders,
      body: s.reversalDraftBody,
      response: { 201: s.voucherDraft, ...problems('already_reversed', 'reversal_not_reversible', 'reserved_for_operations', 'date_in_future', 'period_closed', 'fund_closed') },
    },
    handler: async (req, reply) => numbered(db, await ctx.write(req, reply, 201, (tx) => drafts.createReversal(tx, req.body, req.principal.id))),
  });

  app.get('/v1/vouchers', {
    config: { permission: 'read' },
    schema: {
      operationId: 'listVoucherDrafts',
      tags: ['vouchers'],
      summary: 'Voucher drafts, oldest first (`status=draft`: the review queue)',
      querystring: s.listDraftsQuery,
      response: { 200: page(s.voucherDraft) },
    },
    handler: async (req) => {
      const { status, fundId, limit } = req.query;
      const found = await drafts.list(db, { status, fundId, limit, after: decodeCursor(req.query.cursor, 'string'), reach: req.principal.reach });
      const listed = await numberedAll(db, found.map((f) => ({ ...f.draft, position: f.position })));
      const answered = toPage(listed, limit, (d) => d.position);
      return { ...answered, items: answered.items.map(({ position: _, ...d }) => d) };
    },
  });

  app.get('/v1/vouchers/:voucherId', {
    config: { permission: 'read' },
    schema: { operationId: 'getVoucherDraft', tags: ['vouchers'], summary: 'A voucher draft', params: s.voucherParams, response: { 200: s.voucherDraft } },
    handler: async (req) => numbered(db, await drafts.get(db, req.params.voucherId)),
  });

  app.put('/v1/vouchers/:voucherId', {
    config: { permission: 'record' },
    schema: {
      operationId: 'updateVoucherDraft',
      tags: ['vouchers'],
      summary: 'Correct a draft, or a rejected one (which goes back for review) — its preparer only',
      headers: idempotencyHeaders,
      params: s.voucherParams,
      body: s.draftBody,
      response: { 200: s.voucherDraft, ...problems(...draftChecks, 'not_preparer', 'invalid_state') },
    },
    handler: async (req, reply) => numbered(db, await ctx.write(req, reply, 200, (tx) => drafts.update(tx, req.params.voucherId, req.body, req.principal.id))),
  });

  app.post('/v1/vouchers/:voucherId/withdrawal', {
    config: { permission: 'record' },
    schema: {
      operationId: 'withdrawVoucherDraft',
      tags: ['vouchers'],
      summary: 'Withdraw a draft that is not posted — its preparer only',
      headers: idempotencyHeaders,
      params: s.voucherParams,
      body: s.reasonBody,
      response: { 200: s.voucherDraft, ...problems('not_preparer', 'invalid_state') },
    },
    handler: async (req, reply) =>
      numbered(db, await ctx.write(req, reply, 200, (tx) => drafts.withdraw(tx, req.params.voucherId, req.body.reason, req.principal.id))),
  });

  app.post('/v1/vouchers/:voucherId/approve', {
    config: { permission: 'approve' },
    schema: {
      operationId: 'approveVoucherDraft',
      tags: ['vouchers'],
      summary: 'Approve a draft and post it (审核 → 记账) — never by its preparer',
      description:
        'Posts the draft through the ledger core at this moment, with every check of a posting applied now (overdraft, closed funds and ' +
        'periods). Two approvals of one draft post it once: the second finds it posted (invalid_state).',
      headers: idempotencyHeaders,
      params: s.voucherParams,
      body: s.approveBody.nullish(),
      response: {
        200: s.voucherDraft,
        ...problems('approver_is_preparer', 'voucher_changed', 'invalid_state', 'unknown_account', 'unbalanced_transaction', 'date_in_future', 'reserved_for_operations', 'already_reversed', ...postingCodes),
      },
    },
    handler: async (req, reply) =>
      numbered(db, await ctx.write(req, reply, 200, (tx) => drafts.approve(tx, req.params.voucherId, req.body?.version, req.principal.id, req.principal.reach))),
  });

  app.post('/v1/vouchers/:voucherId/reject', {
    config: { permission: 'approve' },
    schema: {
      operationId: 'rejectVoucherDraft',
      tags: ['vouchers'],
      summary: 'Send a draft back to its preparer with the reason',
      headers: idempotencyHeaders,
      params: s.voucherParams,
      body: s.reasonBody,
      response: { 200: s.voucherDraft, ...problems('approver_is_preparer', 'invalid_state') },
    },
    handler: async (req, reply) =>
      numbered(db, await ctx.write(req, reply, 200, (tx) => drafts.reject(tx, req.params.voucherId, req.body.reason, req.principal.id, req.principal.reach))),
  });
};
