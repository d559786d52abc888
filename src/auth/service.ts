import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { and, asc, eq, gt, inArray, isNull, or, sql } from 'drizzle-orm';
import { DomainError, notFound } from '../errors.js';
import type { Database, Db, Tx } from '../db/client.js';
import { apiKeys, disabledEnvTokens, funds } from '../db/schema.js';
import { ENV_ADMIN_ID, ENV_ADMIN_NAME } from './key-names.js';
import { createKeySync } from './key-sync.js';
import { type Principal, type Role, scopedRoles } from './roles.js';

/** 32 random bytes: too much entropy to guess, so a fast hash is enough to store it. */
export const generateToken = () => `fl_${randomBytes(32).toString('base64url')}`;
export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');


const LAST_USED_RESOLUTION_MS = 60_000;
/** How often the last uses noted in memory are written to api_keys (and at close, and before a listing). */
const LAST_USED_FLUSH_MS = 5_000;
// Valid keys kept in memory at most: only a key found in the database enters, so a flood of guessed tokens neither
// grows the cache nor evicts anything; past it, the longest cached go first.
const CACHED_KEYS = 10_000;
const ENV_ADMIN: Principal = { id: ENV_ADMIN_ID, name: ENV_ADMIN_NAME, role: 'admin', reach: null };

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

export function createApiKeyService(db: Db, options: { envAdminToken?: string; listenVia?: Database['listenVia'] }) {
  // Tokens looked up in the database: what the limits before authentication must bound (test/http/protection.test.ts).
  let lookups = 0;
  const envAdminHash = options.envAdminToken ? Buffer.from(hashToken(options.envAdminToken), 'hex') : undefined;

  // Valid keys by token hash, and whether LEDGER_ADMIN_TOKEN is switched off: answered from memory while the
  // sync trusts them (src/auth/key-sync.ts says exactly when), forgotten on every change it hears. Unknown,
  // revoked and expired tokens are not cached: their lookups are what the address budget (src/http/protection.ts)
  // charges and bounds. An expired key is refused from its cached expiresAt, without the database.
  const cache = new Map<string, { principal: Principal; expiresAt: number | null }>();
  let envAdminDisabled: boolean | undefined;
  const sync = createKeySync(options.listenVia, () => {
    cache.clear();
    envAdminDisabled = undefined;
  });

  // Last uses, written in the background: never a write on the request path.
  const lastUsed = new Map<string, number>();
  const pendingUses = new Map<string, number>();
  let flushing: Promise<void> = Promise.resolve();
  const flushTimer = setInterval(() => void flushUses(), LAST_USED_FLUSH_MS).unref();

  function used(id: string, known: Date | null | undefined) {
    const now = Date.now();
    const last = Math.max(lastUsed.get(id) ?? -Infinity, known ? known.getTime() : -Infinity);
    if (now - last > LAST_USED_RESOLUTION_MS) {
      lastUsed.set(id, now);
      pendingUses.set(id, now);
    } else if (!lastUsed.has(id)) lastUsed.set(id, last);
  }

  function flushUses(): Promise<void> {
    flushing = flushing.then(async () => {
      if (!pendingUses.size) return;
      const batch = [...pendingUses];
      pendingUses.clear();
      try {
        const values = sql.join(
          batch.map(([id, at]) => sql`(${id}::uuid, ${new Date(at).toISOString()}::timestamptz)`),
          sql`, `,
        );
        await db.execute(
          sql`update api_keys set last_used_at = v.at from (values ${values}) as v(id, at)
              where api_keys.id = v.id and (api_keys.last_used_at is null or api_keys.last_used_at < v.at)`,
        );
      } catch {
        // The database is away: try again at the next flush, unless a later use is already waiting.
        for (const [id, at] of batch) if (!pendingUses.has(id)) pendingUses.set(id, at);
      }
    });
    return flushing;
  }

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

  /** From memory alone: the principal, null for a token known to be refused, undefined when only the database can tell. */
  function recall(token: string): Principal | null | undefined {
    if (!sync.trusted()) return undefined;
    const hash = hashToken(token);
    if (envAdminHash !== undefined && timingSafeEqual(Buffer.from(hash, 'hex'), envAdminHash)) {
      return envAdminDisabled === undefined ? undefined : envAdminDisabled ? null : ENV_ADMIN;
    }
    const hit = cache.get(hash);
    if (!hit) return undefined;
    if (hit.expiresAt !== null && hit.expiresAt <= Date.now()) return null;
    used(hit.principal.id, undefined);
    return hit.principal;
  }

  return {
    issue,

    /** How many times lookUp() has read the database since the service started. */
    get lookups() {
      return lookups;
    },

    recall,

    /**
     * The principal behind a bearer token, from the database, or undefined for an unknown, revoked or expired
     * one; for a token that recall() could not answer.
     */
    async lookUp(token: string): Promise<Principal | undefined> {
      const hash = hashToken(token);
      const isEnvAdmin = envAdminHash !== undefined && timingSafeEqual(Buffer.from(hash, 'hex'), envAdminHash);
      const generation = sync.generation;
      lookups++;
      if (isEnvAdmin) {
        const [disabled] = await db.select().from(disabledEnvTokens).where(eq(disabledEnvTokens.tokenHash, hash));
        if (sync.mayCache(generation)) envAdminDisabled = !!disabled;
        return disabled ? undefined : ENV_ADMIN;
      }
      const [key] = await db
        .select({
          id: apiKeys.id,
          name: apiKeys.name,
          role: apiKeys.role,
          scopes: apiKeys.scopes,
          expiresAt: apiKeys.expiresAt,
          lastUsedAt: apiKeys.lastUsedAt,
        })
        .from(apiKeys)
        .where(and(eq(apiKeys.tokenHash, hash), usable));
      if (!key) return undefined;
      const reach = !key.scopes || key.scopes.all ? null : { townships: key.scopes.townships, funds: key.scopes.funds };
      const principal: Principal = { id: key.id, name: key.name, role: key.role, reach };
      if (sync.mayCache(generation)) {
        cache.delete(hash);
        cache.set(hash, { principal, expiresAt: key.expiresAt ? key.expiresAt.getTime() : null });
        for (const oldest of cache.keys()) {
          if (cache.size <= CACHED_KEYS) break;
          cache.delete(oldest);
        }
      }
      used(key.id, key.lastUsedAt);
      return principal;
    },

    /** Whether cached keys are answering now (tests and diagnostics). */
    cacheStatus() {
      return { ...sync.status(), cached: cache.size };
    },

    /** How long a revocation's answer waits after its commit: see src/auth/key-sync.ts. */
    get revocationSettleMs() {
      return sync.settleMs;
    },

    /** Writes the last uses noted so far, stops listening. Before the database closes. */
    async close() {
      clearInterval(flushTimer);
      await flushUses().catch(() => {});
      await sync.close();
    },

    async list(page: { after?: string; limit: number }) {
      // Last uses noted by this process are shown at once; another process's within LAST_USED_FLUSH_MS.
      await flushUses();
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
        return { id, name: ENV_ADMIN_NAME, role: 'admin', scopes: null, createdBy: null, createdAt: at, expiresAt: null, lastUsedAt: null, revokedAt: at };
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
        return existing ? undefined : issue(tx, { name: '初始管理员', role: 'admin' }, null);
      });
    },
  };
}

export type ApiKeyService = ReturnType<typeof createApiKeyService>;
