import { isIP } from 'node:net';
import { z } from 'zod';

// proxy-addr's names for address ranges, as Fastify's trustProxy takes them.
const PROXY_RANGES = ['loopback', 'linklocal', 'uniquelocal'];

/** An address, a subnet written address/prefix, or one of PROXY_RANGES. */
function isProxyEntry(entry: string): boolean {
  if (PROXY_RANGES.includes(entry)) return true;
  const [address, prefix, ...rest] = entry.split('/');
  const family = isIP(address!);
  if (!family || rest.length) return false;
  return prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (family === 4 ? 32 : 128));
}

const configSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATABASE_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  // A streaming replica of DATABASE_URL that serves reader keys' GETs (README: reads for other systems).
  DATABASE_READ_URL: z
    .string()
    .regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL')
    .optional(),
  LEDGER_DATA_DIR: z.string().min(1).default('./data'),
  // Bounds on how long one request may hold or wait for the database (PostgreSQL only): a statement
  // running longer, or a row lock waited for longer, is cancelled and the request answers 503, writing nothing.
  LEDGER_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
  LEDGER_LOCK_TIMEOUT_MS: z.coerce.number().int().min(10).max(600_000).default(5_000),
  LEDGER_ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  // Key of the HMAC that stands in for ID numbers in the database (see README, personal data).
  LEDGER_ID_HASH_KEY: z.string().min(32, 'must be at least 32 characters (e.g. openssl rand -hex 32)').optional(),
  LEDGER_RISK_CAUSES: z
    .string()
    .default('illness,disability,accident,disaster,schooling,unemployment,other')
    .transform((v) => v.split(',').map((c) => c.trim()).filter(Boolean))
    .refine((list) => list.length > 0, 'must list at least one risk cause'),
  // Bank reconciliation: how many days apart a bank line and a voucher of the same amount may be dated and
  // still be matched automatically, and after how many days an unreconciled item is flagged stale.
  LEDGER_BANK_MATCH_DAYS: z.coerce.number().int().min(0).max(60).default(5),
  LEDGER_BANK_STALE_DAYS: z.coerce.number().int().min(1).max(3650).default(30),
  // The largest source document (原始凭证) accepted, in bytes: 10 MiB by default, at most 100 MiB (each is
  // kept in the database and read whole to be sent).
  LEDGER_ATTACHMENT_MAX_BYTES: z.coerce.number().int().min(1024).max(100 * 1024 * 1024).default(10 * 1024 * 1024),
  // Requests per minute per API key, and per client address for requests without a valid key; 0 turns both off.
  LEDGER_RATE_LIMIT: z.coerce.number().int().min(0).default(1200),
  // The reverse proxies whose X-Forwarded-For names the client, for per-address limits and the audit log.
  // Only named addresses: trusting every hop would let any client pick the address it is counted under.
  LEDGER_TRUST_PROXY: z
    .string()
    .default('')
    .transform((v) => v.split(',').map((a) => a.trim()).filter(Boolean))
    .refine(
      (list) => list.every(isProxyEntry),
      'each entry is an address, a subnet (10.0.0.0/8) or loopback, linklocal, uniquelocal; "true" and hop counts are not accepted',
    ),
  // Browser origins allowed to call the API, comma-separated; none by default (CORS closed).
  LEDGER_CORS_ORIGINS: z
    .string()
    .default('')
    .transform((v) => v.split(',').map((o) => o.trim()).filter(Boolean))
    .refine((list) => list.every((o) => /^https?:\/\/[^/\s]+$/.test(o)), 'each origin is scheme://host[:port], e.g. https://console.example.gov.cn'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  // "Today" for accounting dates: a township's day ends at midnight local time, not UTC.
  LEDGER_TIMEZONE: z
    .string()
    .default('Asia/Shanghai')
    .refine((tz) => {
      try {
        new Intl.DateTimeFormat('en-CA', { timeZone: tz });
        return true;
      } catch {
        return false;
      }
    }, 'must be an IANA time zone such as Asia/Shanghai'),
}).superRefine((config, ctx) => {
  // The embedded database has no replica: a read URL without DATABASE_URL is a mistake, not a choice.
  if (config.DATABASE_READ_URL && !config.DATABASE_URL) {
    ctx.addIssue({ code: 'custom', path: ['DATABASE_READ_URL'], message: 'needs DATABASE_URL (a replica of that server); the embedded database has none' });
  }
});

export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {}

/** Reads the configuration from the environment; throws ConfigError naming every bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // An empty variable means "not set", as shells and .env files commonly leave them.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = configSchema.safeParse(present);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data;
}
