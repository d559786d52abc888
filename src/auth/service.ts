import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { and, asc, eq, gt, inArray, isNull, or, sql } from 'drizzle-orm';
import { DomainError, notFound } from '../errors.js';
import type { Db, Tx } from '../db/client.js';
import { apiKeys, disabledEnvTokens, funds } from '../db/schema.js';
import { type Principal, type Role, scopedRoles } from './roles.js';

/** 32 random bytes: too much entropy to guess, so a fast hash is enough to store it. */
export const generateToken = () => `fl_${randomBytes(32).toString('base64url')}`;
export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

export const ENV_ADMIN_ID = 'env-admin';

const LAST_USED_RESOLUTION_MS = 60_000;

/** What a scoped key reaches: named townships and funds, or `all` for the whole ledger. */
export interface Scopes {
  townships: string[];
  funds: string[];
  all: boolean;
}

export interface ApiKeyView {
  id: string;
  name: string;
  role: Role;
  /** Null for admin and auditor keys: they reach the whole ledger. */
  scopes: Scopes | null;
  createdBy: string | null;
  createdAt: string;
  expiresAt: string | null;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface IssuedKey extends ApiKeyView {
  /** Shown once; only its hash is kept. */
  token: string;
}

type KeyRow = typeof apiKeys.$inferSelect;
const iso = (d: Date | null) => (d ? d.toISOString() : null);
const toView = (k: KeyRow): ApiKeyView => ({
  id: k.id,
  name: k.name,
  role: k.role,
  scopes: k.scopes,
  createdBy: k.createdBy,
  createdAt: k.createdAt.toISOString(),
  expiresAt: iso(k.expiresAt),
  lastUsedAt: iso(k.lastUsedAt),
  revokedAt: iso(k.revokedAt),
});

const usable = and(isNull(apiKeys.revokedAt), or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, sql`now()`)));

export function createApiKeyService(db: Db, options: { envAdminToken?: string }) {
  // Tokens looked up in the database: what the limits before authentication must bound (test/http/protection.test.ts).
  let lookups = 0;
  const envAdminHash = options.envAdminToken ? Buffer.from(hashToken(options.envAdminToken), 'hex') : undefined;

  async function envAdminEnabled(executor: Db | Tx): Promise<boolean> {
    if (!envAdminHash) return false;
    const [disabled] = await executor.select().from(disabledEnvTokens).where(eq(disabledEnvTokens.tokenHash, envAdminHash.toString('hex')));
    return !disabled;
  }

  async function checkScopes(executor: Db | Tx, role: Role, scopes: Partial<Scopes> | undefined): Promise<Scopes | null> {
    if (!scopedRoles.includes(role)) {
      if (scopes) throw new DomainError('validation_failed', `scopes: a ${role} key reaches the whole ledger; leave scopes out.`, { field: 'scopes' });
      return null;
    }
    const townships = [...new Set(scopes?.townships ?? [])];
    const fundIds = [...new Set(scopes?.funds ?? [])];
    const all = scopes?.all === true;
    // Fail closed: a scoped key with nothing named would silently see nothing, or be mistaken for a county-wide one.
    if (all === (townships.length + fundIds.length > 0)) {
      throw new DomainError(
        'validation_failed',
        `scopes: a ${role} key needs the townships or funds it may reach, or "all": true for the whole ledger — one or the other.`,
        { field: 'scopes' },
      );
    }
    if (fundIds.length) {
      const known = new Set((await executor.select({ id: funds.id }).from(funds).where(inArray(funds.id, fundIds))).map((f) => f.id));
      const unknown = fundIds.filter((f) => !known.has(f));
      if (unknown.length) throw new DomainError('validation_failed', `scopes.funds: no fund with id ${unknown.join(', ')}.`, { field: 'scopes.funds' });
    }
    return { townships, funds: fundIds, all };
  }

  async function issue(
    executor: Db | Tx,
    input: { name: string; role: Role; scopes?: Partial<Scopes>; expiresAt?: string },
    createdBy: string | null,
  ): Promise<IssuedKey> {
    if (input.expiresAt && new Date(input.expiresAt) <= new Date()) {
      throw new DomainError('validation_failed', 'expiresAt: must be in the future.');
    }
    const scopes = await checkScopes(executor, input.role, input.scopes);
    const token = generateToken();
    const [row] = await executor
      .insert(apiKeys)
      .values({
        name: input.name,
        role: input.role,
        scopes,
        tokenHash: hashToken(token),
        createdBy,
        expiresAt: input.expiresAt ? new Date(input.expiresAt) : null,
      })
      .returning();
    return { ...toView(row!), token };
  }

  return {
    issue,

    /** How many times authenticate() has read the database since the service started. */
    get lookups() {
      return lookups;
    },

    /** The principal behind a bearer token, or undefined for an unknown or revoked one. */
    async authenticate(token: string): Promise<Principal | undefined> {
      const hash = hashToken(token);
      lookups++;
      if (envAdminHash && timingSafeEqual(Buffer.from(hash, 'hex'), envAdminHash)) {
        const [disabled] = await db.select().from(disabledEnvTokens).where(eq(disabledEnvTokens.tokenHash, hash));
        return disabled ? undefined : { id: ENV_ADMIN_ID, name: 'LEDGER_ADMIN_TOKEN', role: 'admin', reach: null };
      }
      const [key] = await db
        .select({ id: apiKeys.id, name: apiKeys.name, role: apiKeys.role, scopes: apiKeys.scopes, lastUsedAt: apiKeys.lastUsedAt })
        .from(apiKeys)
        .where(and(eq(apiKeys.tokenHash, hash), usable));
      if (!key) return undefined;
      if (!key.lastUsedAt || Date.now() - key.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
        await db.update(apiKeys).set({ lastUsedAt: sql`now()` }).where(eq(apiKeys.id, key.id));
      }
      const reach = !key.scopes || key.scopes.all ? null : { townships: key.scopes.townships, funds: key.scopes.funds };
      return { id: key.id, name: key.name, role: key.role, reach };
    },

    async list(page: { after?: string; limit: number }) {
      const found = await db
        .select()
        .from(apiKeys)
        .where(page.after ? gt(apiKeys.id, page.after) : undefined)
        .orderBy(asc(apiKeys.id))
        .limit(page.limit);
      return found.map(toView);
    },

    /**
     * Revokes a key; it is refused from the next request on. Revoking a revoked key changes nothing.
     * "env-admin" switches off LEDGER_ADMIN_TOKEN for good, even while it stays set. The last admin
     * standing cannot be revoked: nobody could issue keys any more.
     */
    async revoke(tx: Tx, id: string, actor: string): Promise<ApiKeyView> {
      // Two admins revoking each other at once must not both succeed.
      await tx.execute(sql`lock table api_keys in share row exclusive mode`);
      const otherAdmins = async (except: string | null) =>
        (await tx.select({ id: apiKeys.id }).from(apiKeys).where(and(eq(apiKeys.role, 'admin'), usable))).filter((k) => k.id !== except)
          .length;
      if (id === ENV_ADMIN_ID) {
        if (!envAdminHash) throw notFound('API key', id);
        const hash = envAdminHash.toString('hex');
        const [already] = await tx.select().from(disabledEnvTokens).where(eq(disabledEnvTokens.tokenHash, hash));
        if (!already && (await otherAdmins(null)) === 0) {
          throw new DomainError('last_admin', 'Issue an admin key first: LEDGER_ADMIN_TOKEN is the only admin, and disabling it would lock everyone out.');
        }
        const [disabled] = already
          ? [already]
          : await tx.insert(disabledEnvTokens).values({ tokenHash: hash, disabledBy: actor }).returning();
        const at = disabled!.disabledAt.toISOString();
        return { id, name: 'LEDGER_ADMIN_TOKEN', role: 'admin', scopes: null, createdBy: null, createdAt: at, expiresAt: null, lastUsedAt: null, revokedAt: at };
      }
      const [found] = await tx.select().from(apiKeys).where(eq(apiKeys.id, id));
      if (!found) throw notFound('API key', id);
      if (found.revokedAt) return toView(found);
      if (found.role === 'admin' && (await otherAdmins(found.id)) === 0 && !(await envAdminEnabled(tx))) {
        throw new DomainError('last_admin', `API key ${id} is the last admin key; issue another admin key before revoking it.`);
      }
      const [revoked] = await tx.update(apiKeys).set({ revokedAt: sql`now()` }).where(eq(apiKeys.id, id)).returning();
      return toView(revoked!);
    },

    /**
     * With no LEDGER_ADMIN_TOKEN and no admin key yet, makes one so that a fresh install can be used;
     * returns its token to be shown once. Later starts find the key and return nothing.
     */
    async bootstrapAdmin(): Promise<IssuedKey | undefined> {
      if (envAdminHash) return undefined;
      return db.transaction(async (tx) => {
        // Two instances starting together on one database must not both make a key.
        await tx.execute(sql`lock table api_keys in share row exclusive mode`);
        const [existing] = await tx
          .select({ id: apiKeys.id })
          .from(apiKeys)
          .where(and(eq(apiKeys.role, 'admin'), usable))
          .limit(1);
        return existing ? undefined : issue(tx, { name: 'bootstrap admin', role: 'admin' }, null);
      });
    },
  };
}

export type ApiKeyService = ReturnType<typeof createApiKeyService>;
