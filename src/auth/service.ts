import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { and, asc, eq, gt, isNull, or, sql } from 'drizzle-orm';
import { DomainError, notFound } from '../errors.js';
import type { Db, Tx } from '../db/client.js';
import { apiKeys } from '../db/schema.js';
import type { Principal, Role } from './roles.js';

/** 32 random bytes: too much entropy to guess, so a fast hash is enough to store it. */
export const generateToken = () => `fl_${randomBytes(32).toString('base64url')}`;
export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

export const ENV_ADMIN_ID = 'env-admin';

const LAST_USED_RESOLUTION_MS = 60_000;

export interface ApiKeyView {
  id: string;
  name: string;
  role: Role;
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
  createdBy: k.createdBy,
  createdAt: k.createdAt.toISOString(),
  expiresAt: iso(k.expiresAt),
  lastUsedAt: iso(k.lastUsedAt),
  revokedAt: iso(k.revokedAt),
});

const usable = and(isNull(apiKeys.revokedAt), or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, sql`now()`)));

export function createApiKeyService(db: Db, options: { envAdminToken?: string }) {
  const envAdminHash = options.envAdminToken ? Buffer.from(hashToken(options.envAdminToken), 'hex') : undefined;

  async function issue(
    executor: Db | Tx,
    input: { name: string; role: Role; expiresAt?: string },
    createdBy: string | null,
  ): Promise<IssuedKey> {
    if (input.expiresAt && new Date(input.expiresAt) <= new Date()) {
      throw new DomainError('validation_failed', 'expiresAt: must be in the future.');
    }
    const token = generateToken();
    const [row] = await executor
      .insert(apiKeys)
      .values({
        name: input.name,
        role: input.role,
        tokenHash: hashToken(token),
        createdBy,
        expiresAt: input.expiresAt ? new Date(input.expiresAt) : null,
      })
      .returning();
    return { ...toView(row!), token };
  }

  return {
    issue,

    /** The principal behind a bearer token, or undefined for an unknown or revoked one. */
    async authenticate(token: string): Promise<Principal | undefined> {
      const hash = hashToken(token);
      if (envAdminHash && timingSafeEqual(Buffer.from(hash, 'hex'), envAdminHash)) {
        return { id: ENV_ADMIN_ID, name: 'LEDGER_ADMIN_TOKEN', role: 'admin' };
      }
      const [key] = await db
        .select({ id: apiKeys.id, name: apiKeys.name, role: apiKeys.role, lastUsedAt: apiKeys.lastUsedAt })
        .from(apiKeys)
        .where(and(eq(apiKeys.tokenHash, hash), usable));
      if (!key) return undefined;
      if (!key.lastUsedAt || Date.now() - key.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
        await db.update(apiKeys).set({ lastUsedAt: sql`now()` }).where(eq(apiKeys.id, key.id));
      }
      return { id: key.id, name: key.name, role: key.role };
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

    /** Revokes a key; it is refused from the next request on. Revoking a revoked key changes nothing. */
    async revoke(tx: Tx, id: string) {
      const [found] = await tx.select().from(apiKeys).where(eq(apiKeys.id, id)).for('update');
      if (!found) throw notFound('API key', id);
      if (found.revokedAt) return toView(found);
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
