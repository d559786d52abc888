import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { and, eq, isNull, sql } from 'drizzle-orm';
import type { Db, Tx } from '../db/client.js';
import { apiKeys } from '../db/schema.js';
import type { Principal, Role } from './roles.js';

/** 32 random bytes: too much entropy to guess, so a fast hash is enough to store it. */
export const generateToken = () => `fl_${randomBytes(32).toString('base64url')}`;
export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');

export const ENV_ADMIN_ID = 'env-admin';

export interface IssuedKey {
  id: string;
  name: string;
  role: Role;
  createdAt: string;
  /** Shown once; only its hash is kept. */
  token: string;
}

export function createApiKeyService(db: Db, options: { envAdminToken?: string }) {
  const envAdminHash = options.envAdminToken ? Buffer.from(hashToken(options.envAdminToken), 'hex') : undefined;

  async function issue(executor: Db | Tx, input: { name: string; role: Role }, createdBy: string | null): Promise<IssuedKey> {
    const token = generateToken();
    const [row] = await executor
      .insert(apiKeys)
      .values({ name: input.name, role: input.role, tokenHash: hashToken(token), createdBy })
      .returning();
    return { id: row!.id, name: row!.name, role: row!.role, createdAt: row!.createdAt.toISOString(), token };
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
        .select({ id: apiKeys.id, name: apiKeys.name, role: apiKeys.role })
        .from(apiKeys)
        .where(and(eq(apiKeys.tokenHash, hash), isNull(apiKeys.revokedAt)));
      return key;
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
          .where(and(eq(apiKeys.role, 'admin'), isNull(apiKeys.revokedAt)))
          .limit(1);
        return existing ? undefined : issue(tx, { name: 'bootstrap admin', role: 'admin' }, null);
      });
    },
  };
}

export type ApiKeyService = ReturnType<typeof createApiKeyService>;
