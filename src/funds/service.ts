import { and, asc, eq, gt } from 'drizzle-orm';
import { fundInReach } from '../auth/reach.js';
import type { Reach } from '../auth/roles.js';
import type { Db, Tx } from '../db/client.js';
import { accounts, funds } from '../db/schema.js';
import { DomainError, notFound } from '../errors.js';
import { type AccountType, defaultNoOverdraft } from '../ledger/accounts.js';
import * as ledger from '../ledger/queries.js';
import { recordEvent } from '../events/outbox.js';
import { type Category, preventionChart, type Template } from './chart.js';

export interface FundInput {
  code: string;
  name: string;
  organisation: string;
  purpose: string;
  template?: Template;
  allowedCategories?: Category[];
  yearlyCaps?: Partial<Record<Category, string>>;
  township?: string;
  bankAccountNumber?: string;
  bankName?: string;
  manualVouchersNeedReview?: boolean;
}

export type FundChanges = Partial<
  Pick<FundInput, 'name' | 'purpose' | 'allowedCategories' | 'yearlyCaps' | 'manualVouchersNeedReview'> & { township: string | null; bankAccountNumber: string | null; bankName: string | null }
>;

export interface AccountInput {
  code: string;
  name: string;
  type: AccountType;
  noOverdraft?: boolean;
}

type FundRow = typeof funds.$inferSelect;
const toFund = (f: FundRow) => ({
  ...f,
  template: f.template as Template | null,
  allowedCategories: f.allowedCategories as Category[],
  yearlyCaps: f.yearlyCaps as Partial<Record<Category, string>>,
  createdAt: f.createdAt.toISOString(),
});

export function createFundService(db: Db) {
  async function getFund(id: string) {
    const [found] = await db.select().from(funds).where(eq(funds.id, id));
    if (!found) throw notFound('Fund', id);
    return toFund(found);
  }

  async function getAccount(id: string) {
    const found = await ledger.getAccount(db, id);
    if (!found) throw notFound('Account', id);
    return found;
  }

  return {
    getFund,
    getAccount,

    async createFund(tx: Tx, input: FundInput) {
      const [created] = await tx.insert(funds).values(input).onConflictDoNothing({ target: funds.code }).returning();
      if (!created) throw new DomainError('already_exists', `A fund with code ${input.code} already exists.`, { field: 'code' });
      if (input.template === 'prevention') {
        await tx.insert(accounts).values(preventionChart.map((a) => ({ ...a, fundId: created.id })));
      }
      await recordEvent(tx, { type: 'fund.created', fundId: created.id, subjectId: created.id, payload: { code: created.code } });
      return toFund(created);
    },

    async updateFund(tx: Tx, id: string, changes: FundChanges) {
      const [updated] = await tx.update(funds).set(changes).where(eq(funds.id, id)).returning();
      if (!updated) throw notFound('Fund', id);
      await recordEvent(tx, { type: 'fund.updated', fundId: id, subjectId: id, payload: { changed: Object.keys(changes) } });
      return toFund(updated);
    },

    async listFunds(page: { afterCode?: string; limit: number; reach: Reach | null }) {
      const found = await db
        .select()
        .from(funds)
        .where(and(page.afterCode !== undefined ? gt(funds.code, page.afterCode) : undefined, fundInReach(page.reach, funds.id)))
        .orderBy(asc(funds.code))
        .limit(page.limit);
      return found.map(toFund);
    },

    async createAccount(tx: Tx, fundId: string, input: AccountInput) {
      const [fund] = await tx.select({ id: funds.id }).from(funds).where(eq(funds.id, fundId));
      if (!fund) throw notFound('Fund', fundId);
      const [created] = await tx
        .insert(accounts)
        .values({
          fundId,
          code: input.code,
          name: input.name,
          type: input.type,
          noOverdraft: input.noOverdraft ?? defaultNoOverdraft(input.type),
        })
        .onConflictDoNothing({ target: [accounts.fundId, accounts.code] })
        .returning({ id: accounts.id });
      if (!created) {
        throw new DomainError('already_exists', `Fund ${fundId} already has an account with code ${input.code}.`, { field: 'code' });
      }
      return (await ledger.getAccount(tx, created.id))!;
    },

    async listAccounts(fundId: string, page: { afterCode?: string; limit: number }) {
      await getFund(fundId);
      return ledger.listAccounts(db, fundId, page);
    },

    async balanceAsOf(accountId: string, asOf: string) {
      return ledger.balanceAsOf(db, await getAccount(accountId), asOf);
    },

    async entries(accountId: string, filter: { from?: string; to?: string; after?: number; limit: number }) {
      await getAccount(accountId);
      return ledger.listEntries(db, accountId, filter);
    },

    async trialBalance(fundId: string, asOf: string) {
      await getFund(fundId);
      return ledger.trialBalance(db, fundId, asOf);
    },
  };
}

export type FundService = ReturnType<typeof createFundService>;
