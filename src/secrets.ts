import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from './config.js';

/**
 * The ID-number hash key: LEDGER_ID_HASH_KEY, or on the embedded default a key generated once and
 * kept beside the data (so a fresh clone runs). A server database needs it set explicitly, since a
 * key lost or changed makes stored households unfindable by ID number.
 */
export function resolveIdHashKey(config: Config): string {
  if (config.LEDGER_ID_HASH_KEY) return config.LEDGER_ID_HASH_KEY;
  if (config.DATABASE_URL) {
    throw new Error('LEDGER_ID_HASH_KEY must be set when DATABASE_URL is: generate one with `openssl rand -hex 32` and keep it safe.');
  }
  const file = join(config.LEDGER_DATA_DIR, 'id-hash.key');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(config.LEDGER_DATA_DIR, { recursive: true });
  const key = randomBytes(32).toString('hex');
  writeFileSync(file, `${key}\n`, { mode: 0o600 });
  return key;
}
