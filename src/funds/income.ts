import { withKeyName, withKeyNames } from '../auth/key-names.js';
import { and, asc, eq, getTableColumns, gt, gte, lte } from 'drizzle-orm';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import type { AppContext } from '../context.js';
import type { Db, Executor, Tx } from '../db/client.js';
import { funds, incomeReceipts, transactions } from '../db/schema.js';
import { notFound } from '../errors.js';
import { recordEvent } from '../events/outbox.js';
import { decodeCursor, page, toPage } from '../http/pagination.js';
import { idempotencyHeaders, postingCodes, problems } from '../http/schemas.js';
import { postTransaction } from '../ledger/posting.js';
import { roleAccount } from './chart-accounts.js';
import * as s from './income-schemas.js';
import { fundParams } from './schemas.js';
import type { IncomeSource } from './income-schemas.js';

export interface IncomeInput {
  source: IncomeSource;
  payer: string;
  date: string;
  amount: string;
  reference?: string;
}

/** The chart role each kind of income is credited to. */
const incomeRole: Record<IncomeSource, string> = { donation: 'donation_income', fiscal_transfer: 'fiscal_transfer_income' };
const sourceNames: Record<IncomeSource, string> = { donation: '捐赠收入', fiscal_transfer: '财政转移收入' };

const receiptColumns = { ...getTableColumns(incomeReceipts), transactionNumber: transactions.seq };
const toReceipt = <T extends { createdAt: Date }>(r: T) => ({ ...r, createdAt: r.createdAt.toISOString() });

function selectReceipts(executor: Executor) {
  return executor.select(receiptColumns).from(incomeReceipts).innerJoin(transactions, eq(transactions.id, incomeReceipts.transactionId));
}

async function assertFund(executor: Executor, fundId: string) {
  const [fund] = await executor.select({ id: funds.id }).from(funds).where(eq(funds.id, fundId));
  if (!fund) throw notFound('Fund', fundId);
}

/** Donations and fiscal transfers into a fund: each receipt is on record with the voucher that banked it. */
export function createIncomeService(db: Db, deps: { today(): string }) {
  return {
    async recordIncome(tx: Tx, fundId: string, input: IncomeInput, actor: string) {
      await assertFund(tx, fundId);
      const bank = await roleAccount(tx, fundId, 'bank');
      const income = await roleAccount(tx, fundId, incomeRole[input.source]);
      const posted = await postTransaction(
        tx,
        {
          date: input.date,
          description: `${sourceNames[input.source]}—${input.payer}`,
          reference: input.reference ?? null,
          lines: [
            { accountId: bank, direction: 'debit', amount: input.amount },
            { accountId: income, direction: 'credit', amount: input.amount },
          ],
        },
        { actor, today: deps.today() },
      );
      const [created] = await tx
        .insert(incomeReceipts)
        .values({
          fundId,
          source: input.source,
          payer: input.payer,
          date: input.date,
          amount: input.amount,
          reference: input.reference ?? null,
          transactionId: posted.id,
          createdBy: actor,
        })
        .returning({ id: incomeReceipts.id });
      await recordEvent(tx, {
        type: 'income.recorded',
        fundId,
        subjectId: created!.id,
        payload: { receiptId: created!.id, source: input.source, payer: input.payer, date: input.date, amount: posted.lines[0]!.amount, transactionId: posted.id },
      });
      const [receipt] = await selectReceipts(tx).where(eq(incomeReceipts.id, created!.id));
      return withKeyName(tx, toReceipt(receipt!), ['createdBy'] as const);
    },

    /** A fund's receipts in posting order. */
    async listIncome(fundId: string, filter: { from?: string; to?: string; source?: IncomeSource; after?: number; limit: number }) {
      await assertFund(db, fundId);
      const found = await selectReceipts(db)
        .where(
          and(
            eq(incomeReceipts.fundId, fundId),
            filter.from ? gte(incomeReceipts.date, filter.from) : undefined,
            filter.to ? lte(incomeReceipts.date, filter.to) : undefined,
            filter.source ? eq(incomeReceipts.source, filter.source) : undefined,
            filter.after !== undefined ? gt(transactions.seq, filter.after) : undefined,
          ),
        )
        .orderBy(asc(transactions.seq))
        .limit(filter.limit);
      return withKeyNames(db, found.map(toReceipt), ['createdBy'] as const);
    },
  };
}

export type IncomeService = ReturnType<typeof createIncomeService>;

/** Registered by the insurance plugin (premiums are often paid from a donation recorded here). */
export const incomeRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  const income = createIncomeService(ctx.database.db, { today: ctx.today });

  app.post('/v1/funds/:fundId/income', {
    config: { permission: 'record' },
    schema: {
      operationId: 'recordIncome',
      tags: ['income'],
      summary: 'Record a donation (捐赠) or fiscal transfer (财政转移) received into the fund',
      headers: idempotencyHeaders,
      params: fundParams,
      body: s.createIncomeBody,
      response: { 201: s.incomeReceipt, ...problems('date_in_future', 'chart_account_missing', ...postingCodes) },
    },
    handler: (req, reply) => ctx.write(req, reply, 201, (tx) => income.recordIncome(tx, req.params.fundId, req.body, req.principal.id)),
  });

  app.get('/v1/funds/:fundId/income', {
    config: { permission: 'read' },
    schema: {
      operationId: 'listIncome',
      tags: ['income'],
      summary: "A fund's income receipts in posting order",
      params: fundParams,
      querystring: s.listIncomeQuery,
      response: { 200: page(s.incomeReceipt) },
    },
    handler: async (req) => {
      const { from, to, source, limit } = req.query;
      const items = await income.listIncome(req.params.fundId, { from, to, source, limit, after: decodeCursor(req.query.cursor, 'number') });
      return toPage(items, limit, (r) => r.transactionNumber);
    },
  });
};
