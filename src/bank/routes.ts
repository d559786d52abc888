import { readFileSync } from 'node:fs';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { withKeyName } from '../auth/key-names.js';
import type { AppContext } from '../context.js';
import { DomainError } from '../errors.js';
import { acceptCsvBodies, csvTemplateResponse, sendCsvTemplate } from '../http/csv.js';
import { decodeCursor, page, toPage } from '../http/pagination.js';
import { idempotencyHeaders, problems } from '../http/schemas.js';
import { sendStatement } from '../statements/reply.js';
import { provenance, statementResponses } from '../statements/schemas.js';
import { createStatementService } from '../statements/service.js';
import * as s from './schemas.js';
import type { StatementJson } from './statement-file.js';

/** A year of a busy fund's statement is some 20,000 lines, about 3 MiB as CSV. */
const STATEMENT_BODY_LIMIT = 32 * 1024 * 1024;

/**
 * The file to fill in, or to compare with what the bank exports (src/bank/statement-template.csv): the
 * statement's facts, then the table. Served as it is in the repository.
 */
export const BANK_STATEMENT_TEMPLATE = readFileSync(new URL('./statement-template.csv', import.meta.url), 'utf8');

export const bankRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  const { bank, write } = ctx;
  const statements = createStatementService(ctx.database.db, { today: ctx.today, timeZone: ctx.config.LEDGER_TIMEZONE });
  acceptCsvBodies(app, STATEMENT_BODY_LIMIT);
  const MATCH_ACTORS = ['createdBy'] as const;

  app.post('/v1/funds/:fundId/bank-statements', {
    config: { permission: 'record' },
    bodyLimit: STATEMENT_BODY_LIMIT,
    schema: {
      operationId: 'importBankStatement',
      headers: idempotencyHeaders,
      tags: ['bank'],
      summary: "Import the bank's statement of the fund's account (银行对账单), then match it to the ledger",
      description:
        'CSV as Chinese online banking exports it (`text/csv`, UTF-8 or GB18030) or JSON. All or nothing: every line is checked — ' +
        'its day within the period, the running balance (the balance before + in − out), the closing balance, exact money, no control ' +
        "characters, the fund's account number — and any problem refuses the whole file with 422 import_failed listing each line, column " +
        'and reason. A line imported before (the same bank reference, or without one the same date, direction, amount and balance after) ' +
        'is not stored again: the answer says how many lines were new and how many known. Then lines are matched to the ledger ' +
        'automatically (by reference, then by amount within LEDGER_BANK_MATCH_DAYS days). Honours Idempotency-Key.',
      params: s.fundParams,
      consumes: ['text/csv', 'application/json'],
      body: s.importBody,
      response: { 201: s.importAnswer, ...problems('import_failed', 'bank_account_missing', 'chart_account_missing') },
    },
    handler: (req, reply) => {
      // A string is a CSV file only when sent as one: a bare JSON string is neither form of a statement.
      if (typeof req.body === 'string' && !/^text\/csv\b/i.test(req.headers['content-type'] ?? '')) {
        throw new DomainError('validation_failed', 'body: a JSON statement is an object (accountNumber, from, to, openingBalance, closingBalance, lines); send a CSV file as text/csv.', {
          field: 'body',
        });
      }
      return write(req, reply, 201, (tx) => bank.importStatement(tx, req.params.fundId, req.body as string | StatementJson, req.principal.id), { alone: true });
    },
  });

  app.get('/v1/bank-statements/template', {
    config: { permission: 'read' },
    schema: {
      operationId: 'getBankStatementTemplate',
      tags: ['bank'],
      summary: 'A bank statement CSV as the import reads it: the facts, then the table with Chinese headers',
      querystring: z.strictObject({}),
      response: csvTemplateResponse,
    },
    handler: async (_req, reply) => sendCsvTemplate(reply, 'bank-statement-template.csv', '银行对账单模板.csv', BANK_STATEMENT_TEMPLATE),
  });

  app.get('/v1/funds/:fundId/bank-statement-lines', {
    config: { permission: 'read' },
    schema: {
      operationId: 'listBankStatementLines',
      tags: ['bank'],
      summary: "The bank's lines of the fund's account, by date, with their match",
      params: s.fundParams,
      querystring: s.listLinesQuery,
      response: { 200: page(s.statementLine) },
    },
    handler: async (req) => {
      const { status, from, to, limit } = req.query;
      const at = decodeCursor(req.query.cursor, 'string');
      const [date, position] = at?.split('|') ?? [];
      const after = at ? { date: date!, position: Number(position) } : undefined;
      const items = await bank.listLines({ fundId: req.params.fundId, status, from, to, limit, after });
      return toPage(
        items.map(({ position: _, ...line }) => line),
        limit,
        (last) => `${last.date}|${items.at(-1)!.position}`,
      );
    },
  });

  app.post('/v1/funds/:fundId/bank-statement-lines/auto-match', {
    config: { permission: 'record' },
    schema: {
      operationId: 'autoMatchBankStatementLines',
      headers: idempotencyHeaders,
      tags: ['bank'],
      summary: 'Match the unmatched bank lines to the ledger again (after vouchers were posted since the import)',
      params: s.fundParams,
      response: { 200: s.autoMatchAnswer, ...problems('bank_account_missing', 'chart_account_missing') },
    },
    handler: (req, reply) => write(req, reply, 200, (tx) => bank.autoMatch(tx, req.params.fundId, req.principal.id), { alone: true }),
  });

  app.post('/v1/bank-statement-lines/:lineId/match', {
    config: { permission: 'record' },
    schema: {
      operationId: 'matchBankStatementLine',
      headers: idempotencyHeaders,
      tags: ['bank'],
      summary: 'Match a bank line (and others) by hand with vouchers of equal sum; the ledger is not changed',
      params: s.lineParams,
      body: s.matchBody,
      response: { 201: s.match, ...problems('invalid_state') },
    },
    handler: (req, reply) =>
      write(req, reply, 201, async (tx) => withKeyName(tx, await bank.match(tx, req.params.lineId, req.body, req.principal.id), MATCH_ACTORS)),
  });

  app.delete('/v1/bank-statement-lines/:lineId/match', {
    config: { permission: 'record' },
    schema: {
      operationId: 'unmatchBankStatementLine',
      headers: idempotencyHeaders,
      tags: ['bank'],
      summary: 'Undo the match a bank line stands in (all its lines and vouchers); kept on record with who and when',
      params: s.lineParams,
      response: { 200: s.undoneMatch, ...problems('invalid_state') },
    },
    handler: (req, reply) =>
      write(req, reply, 200, async (tx) => withKeyName(tx, await bank.unmatch(tx, req.params.lineId, req.principal.id), ['createdBy', 'undoneBy'] as const)),
  });

  app.get('/v1/funds/:fundId/bank-reconciliations/:period', {
    config: { permission: 'report' },
    schema: {
      operationId: 'getBankReconciliation',
      tags: ['bank', 'statements'],
      summary: '银行存款余额调节表: the books and the bank statement reconciled as of the month’s last day',
      description:
        'Book balance + 银行已收、单位未收 − 银行已付、单位未付 = bank balance + 单位已收、银行未收 − 单位已付、银行未付, each list with its ' +
        'items and total; `agrees`, and `reasons` when it does not. Items outstanding longer than `staleDays` (default LEDGER_BANK_STALE_DAYS, ' +
        '30) are flagged. Add `format=csv` or `format=pdf` for the same statement as CSV or as a printable PDF, with its digest.',
      params: s.reconciliationParams,
      querystring: s.reconciliationQuery,
      response: statementResponses(s.reconciliation.extend({ kind: z.literal('bank-reconciliation'), ...provenance }).meta({ id: 'BankReconciliation' }), 'chart_account_missing'),
    },
    handler: async (req, reply) => {
      const { format, staleDays = ctx.config.LEDGER_BANK_STALE_DAYS } = req.query;
      const statement = await statements.generate('bank-reconciliation', { fundId: req.params.fundId, period: req.params.period, staleDays }, req.principal);
      return sendStatement(reply, statements, statement, format);
    },
  });
};
