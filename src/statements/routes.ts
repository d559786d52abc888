import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { Principal } from '../auth/roles.js';
import type { AppContext } from '../context.js';
import { problems } from '../http/schemas.js';
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { rows } from '../db/client.js';
import { fundJournal } from './export.js';
import { sendStatement } from './reply.js';
import * as s from './schemas.js';
import { createStatementService } from './service.js';

const formats = 'Add `format=csv` or `format=pdf` for the same statement as CSV or as a printable PDF (A4, page X of Y and the digest on every page).';

/** Statements for auditors; the trial balance is served with the fund's routes (GET /v1/funds/{fundId}/trial-balance). */
export const statementRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  const statements = createStatementService(ctx.database.db, { today: ctx.today, timeZone: ctx.config.LEDGER_TIMEZONE });
  const by = (principal: Principal) => ({ id: principal.id, name: principal.name, reach: principal.reach });

  app.get('/v1/funds/:fundId/statement', {
    config: { permission: 'report' },
    schema: {
      operationId: 'getFundStatement',
      tags: ['statements'],
      summary: 'Fund statement (基金收支报表) for a period',
      description:
        'The fund’s cash (bank + reserved) at the start and end of the period, income by source, disbursements by category and ' +
        `by village, premiums and reserved amounts; opening + in − out = closing. ${formats}`,
      params: s.fundParams,
      querystring: s.periodQuery,
      response: s.statementResponses(s.fundStatement, 'chart_account_missing'),
    },
    handler: async (req, reply) => {
      const { format, ...period } = req.query;
      const statement = await statements.generate('fund', { fundId: req.params.fundId, ...period }, by(req.principal));
      return sendStatement(reply, statements, statement, format);
    },
  });

  app.get('/v1/accounts/:accountId/ledger', {
    config: { permission: 'report' },
    schema: {
      operationId: 'getAccountLedger',
      tags: ['statements'],
      summary: 'Account ledger (明细账) for a period',
      description:
        'Every line of the period by date and voucher number with its running balance, from the opening balance to the closing one, ' +
        'and who posted its voucher (制单). ' +
        `The PDF carries the totals from page to page (承前页 / 过次页). ${formats}`,
      params: s.accountParams,
      querystring: s.periodQuery,
      response: s.statementResponses(s.ledgerStatement),
    },
    handler: async (req, reply) => {
      const { format, ...period } = req.query;
      const statement = await statements.generate('ledger', { accountId: req.params.accountId, ...period }, by(req.principal));
      return sendStatement(reply, statements, statement, format);
    },
  });

  app.get('/v1/households/:householdId/statement', {
    config: { permission: 'report' },
    schema: {
      operationId: 'getHouseholdStatement',
      tags: ['statements'],
      summary: 'Household benefit statement for a period',
      description:
        'Everything the household received (paid disbursements and insurance claims), by fund and category, each payment with who ' +
        `requested it or filed the claim (制单) and who approved it (审核). ${formats}`,
      params: s.householdParams,
      querystring: s.periodQuery,
      response: s.statementResponses(s.householdStatement),
    },
    handler: async (req, reply) => {
      const { format, ...period } = req.query;
      const statement = await statements.generate('household', { householdId: req.params.householdId, ...period }, by(req.principal));
      return sendStatement(reply, statements, statement, format);
    },
  });

  app.get('/v1/villages/:villageId/statement', {
    config: { permission: 'report' },
    schema: {
      operationId: 'getVillageStatement',
      tags: ['statements'],
      summary: 'Village allocation statement for a period',
      description:
        'Allocated, spent and remaining per fund, every dividend split that reached the village with its rule version, and each use ' +
        `of the allocation (an approved payment or batch) with who requested it (制单) and who approved it (审核). ${formats}`,
      params: s.villageParams,
      querystring: s.periodQuery,
      response: s.statementResponses(s.villageStatement),
    },
    handler: async (req, reply) => {
      const { format, ...period } = req.query;
      const statement = await statements.generate('village', { villageId: req.params.villageId, ...period }, by(req.principal));
      return sendStatement(reply, statements, statement, format);
    },
  });

  app.get('/v1/villages/:villageId/notice', {
    config: { permission: 'report' },
    schema: {
      operationId: 'getVillageNotice',
      tags: ['statements'],
      summary: 'Village public notice (公示表) for a period',
      description:
        'The households of the village paid in the period, with amounts and categories, ready to post: names masked (张*明), ' +
        `no ID number, phone, bank or health detail. ${formats}`,
      params: s.villageParams,
      querystring: s.periodQuery,
      response: s.statementResponses(s.noticeStatement),
    },
    handler: async (req, reply) => {
      const { format, ...period } = req.query;
      const statement = await statements.generate('notice', { villageId: req.params.villageId, ...period }, by(req.principal));
      return sendStatement(reply, statements, statement, format);
    },
  });

  app.get('/v1/insurance-policies/:policyId/statement', {
    config: { permission: 'report' },
    schema: {
      operationId: 'getInsuranceStatement',
      tags: ['statements'],
      summary: 'Insurance statement (防贫保) of a policy',
      description:
        'Premium paid, claims by status, payouts (each with who filed the claim, 制单, and who approved it, 审核), refunds, ' +
        `carry-forwards and the surplus, as they stand. ${formats}`,
      params: s.policyParams,
      querystring: s.formatQuery,
      response: s.statementResponses(s.insuranceStatement),
    },
    handler: async (req, reply) => {
      const statement = await statements.generate('insurance', { policyId: req.params.policyId }, by(req.principal));
      return sendStatement(reply, statements, statement, req.query.format);
    },
  });

  app.get('/v1/funds/:fundId/general-ledger', {
    config: { permission: 'report' },
    schema: {
      operationId: 'getGeneralLedger',
      tags: ['statements'],
      summary: 'General ledger (总账) of a fund for a year: every account month by month',
      description:
        'Per account: the balance brought forward (上年结转), then each month’s debits and credits (本月合计), its balance with its side ' +
        `(借/贷/平) and the year to date (本年累计); each month’s closing balance equals the trial balance at the month’s end. ${formats}`,
      params: s.fundParams,
      querystring: s.yearQuery,
      response: s.statementResponses(s.generalLedgerStatement),
    },
    handler: async (req, reply) => {
      const { format, year = Number(ctx.today().slice(0, 4)) } = req.query;
      const statement = await statements.generate('general-ledger', { fundId: req.params.fundId, year }, by(req.principal));
      return sendStatement(reply, statements, statement, format);
    },
  });

  app.get('/v1/funds/:fundId/export', {
    config: { permission: 'report' },
    schema: {
      operationId: 'exportFundJournal',
      tags: ['statements'],
      summary: "The fund's journal as plain text for hledger / ledger-cli (format=ledger) or beancount",
      description:
        'Every voucher of the fund up to `asOf` (today when omitted), its lines on the fund’s accounts, debits positive and credits ' +
        'negative in CNY, accounts named by type and code (Assets:1002 …). Independent tools re-add it on their own: ' +
        '`hledger -f export.journal balance` gives the trial balance to the fen; `bean-check export.beancount` checks the beancount file.',
      params: s.fundParams,
      querystring: s.exportQuery,
      response: {
        200: {
          description: 'The journal, UTF-8 text',
          content: { 'text/plain': { schema: z.string() } },
          headers: { 'Content-Disposition': { description: 'attachment; the file name', type: 'string' } },
        },
        ...problems('not_found'),
      },
    },
    handler: async (req, reply) => {
      const { format, asOf = ctx.today() } = req.query;
      // One snapshot, so that a voucher posted meanwhile is in the file whole or not at all.
      const chunks = await ctx.database.db.transaction(
        async (tx) => {
          const parts: string[] = [];
          for await (const part of fundJournal(tx, req.params.fundId, asOf, format)) parts.push(part);
          return parts;
        },
        { isolationLevel: 'repeatable read', accessMode: 'read only' },
      );
      const [code] = await rows<{ code: string }>(ctx.database.db, sql`select code from funds where id = ${req.params.fundId}`);
      const file = `${(code?.code ?? 'fund').replace(/[^A-Za-z0-9._-]/g, '_')}-${asOf}.${format === 'beancount' ? 'beancount' : 'journal'}`;
      reply.type('text/plain; charset=utf-8').header('content-disposition', `attachment; filename="${file}"`);
      return chunks.join('');
    },
  });

  app.post('/v1/statements/verify', {
    config: { permission: 'report', changesNothing: true },
    schema: {
      operationId: 'verifyStatement',
      tags: ['statements'],
      summary: 'Check a printed statement’s digest against the ledger',
      description:
        'Rebuilds the statement from the ledger with the parameters given and answers whether it still has the printed digest: ' +
        'false for an edited digest, or for a statement the ledger has since changed (e.g. a posting back-dated into its period). ' +
        'Household, village and notice statements cover the funds the key reaches: verify them with a key of the same reach.',
      body: s.verifyBody,
      response: { 200: s.verifyResult, ...problems('not_found', 'chart_account_missing') },
    },
    handler: (req) => statements.verify(req.body.kind, req.body.params as never, req.body.digest, req.principal.reach),
  });
};
