import { asc, eq, gt } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.js';
import { accounts, funds } from '../db/schema.js';
import { DomainError, notFound } from '../errors.js';
import { type AccountType, defaultNoOverdraft } from '../ledger/accounts.js';
import * as ledger from '../ledger/queries.js';

export interface FundInput {
  code: string;
  name: string;
  organisation: string;
  purpose: string;
}

export interface AccountInput {
  code: string;
  name: string;
  type: AccountType;
  noOverdraft?: boolean;
}

type FundRow = typeof funds.$inferSelect;
const toFund = (f: FundRow) => ({ ...f, createdAt: f.createdAt.toISOString() });

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
      return toFund(created);
    },

    async listFunds(page: { afterCode?: string; limit: number }) {
      const found = await db
        .select()
        .from(funds)
        .where(page.afterCode !== undefined ? gt(funds.code, page.afterCode) : undefined)
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
