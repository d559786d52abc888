import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { checkInvariants } from '../../src/ledger/invariants.js';
import { ADMIN_TOKEN, ID_HASH_KEY, startApp, type TestApp } from '../helpers/app.js';
import { realPostgres } from '../helpers/database.js';
import { createFund, transfer } from '../helpers/fixtures.js';

const projectRoot = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Two service instances on one database each run their own posting groups, which only the database's
 * row locks keep apart. The same race is run against a mutant of the ledger core whose account lock is
 * removed (`for update of a` in src/ledger/posting.ts, the one lock both the group path and the
 * operations take): it must lose updates, or the tests around it could not fail.
 */
describe.runIf(realPostgres)('two service instances posting into one account (PostgreSQL)', () => {
  let t: TestApp;
  let mutantDir: string;
  beforeAll(async () => {
    t = await startApp(realPostgres!);
    mutantDir = mkdtempSync(join(projectRoot, '.mutant-'));
    cpSync(join(projectRoot, 'src'), join(mutantDir, 'src'), { recursive: true });
    const posting = join(mutantDir, 'src/ledger/posting.ts');
    const text = readFileSync(posting, 'utf8');
    if (!text.includes('for update of a')) throw new Error('the account lock moved: update this mutation');
    writeFileSync(posting, text.replace('for update of a', ''));
  });
  afterAll(async () => {
    await t.close();
    rmSync(mutantDir, { recursive: true, force: true });
  });

  const config = () => loadConfig({ LEDGER_ADMIN_TOKEN: ADMIN_TOKEN, LOG_LEVEL: process.env.DEBUG_MUTANT ? 'error' : 'silent', LEDGER_RATE_LIMIT: '0' });

  /** 16 payments of 30.00 from 100.00, eight sent to each of two instances at once. */
  async function race(build: typeof buildApp) {
    const instances = [await build({ config: config(), database: t.database, idHashKey: ID_HASH_KEY, logger: process.env.DEBUG_MUTANT ? { level: 'error' } : false }), await build({ config: config(), database: t.database, idHashKey: ID_HASH_KEY })];
    try {
      const f = await createFund(t);
      await t.call('POST', '/v1/transactions', { body: transfer('2026-06-01', f.accounts.bank!, f.accounts.income!, '100.00') });
      const replies = await Promise.all(
        Array.from({ length: 16 }, (_, i) =>
          instances[i % 2]!.inject({
            method: 'POST',
            url: '/v1/transactions',
            headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
            payload: transfer('2026-06-02', f.accounts.expense!, f.accounts.bank!, '30.00'),
          }),
        ),
      );
      if (process.env.DEBUG_MUTANT) for (const r of replies) if (r.statusCode >= 500) console.log(r.body);
      return {
        accepted: replies.filter((r) => r.statusCode === 201).length,
        // Anything but an acceptance or an overdraft refusal would make the mutant "fail" for another reason.
        other: replies.filter((r) => r.statusCode !== 201 && !(r.statusCode === 422 && r.json().code === 'insufficient_funds')).length,
        violations: await checkInvariants(t.database.db),
      };
    } finally {
      for (const app of instances) await app.close();
    }
  }

  it('never overdraws and loses no update: exactly 3 of 16 succeed, every invariant holds', async () => {
    for (let round = 0; round < 3; round++) {
      const { accepted, other, violations } = await race(buildApp);
      expect(other).toBe(0);
      expect(accepted).toBe(3);
      expect(violations).toEqual([]);
    }
  });

  it('loses updates once the account lock is removed from the ledger core (the mutation check)', { timeout: 60_000 }, async () => {
    const mutant = (await import(pathToFileURL(join(mutantDir, 'src/app.ts')).href)) as { buildApp: typeof buildApp };
    let caught = false;
    for (let round = 0; round < 10 && !caught; round++) {
      const { accepted, other, violations } = await race(mutant.buildApp);
      expect(other).toBe(0);
      caught = accepted > 3 || violations.length > 0;
    }
    expect(caught).toBe(true);
  });
});
