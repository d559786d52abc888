// Imports households and their monitoring status from a CSV file, as POST /v1/households/import does:
//
//   npx tsx scripts/import-households.ts households.csv
//
// The database is the service's: DATABASE_URL (with LEDGER_ID_HASH_KEY), or the embedded one in
// LEDGER_DATA_DIR (./data). The embedded database serves one process at a time: while the service runs on
// it, this refuses (send the file to the service instead: POST /v1/households/import).
// Progress goes to stderr, the report to stdout. Exit status: 0 imported, 1 refused or failed, 2 usage.
// The file format and rules are described at the top of src/households/import.ts.
import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { userInfo } from 'node:os';
import { ConfigError, loadConfig } from '../src/config.js';
import { configuredDatabase, openDatabase } from '../src/db/client.js';
import { DataDirLockedError } from '../src/db/data-dir-lock.js';
import { DomainError } from '../src/errors.js';
import { decodeCsv, describeError, type RowError } from '../src/http/csv.js';
import { createHouseholdImporter, type ImportProgress } from '../src/households/import.js';
import { createHouseholdService } from '../src/households/service.js';
import { today } from '../src/ledger/dates.js';
import { resolveIdHashKey } from '../src/secrets.js';

const USAGE = 'usage: npx tsx scripts/import-households.ts <file.csv>';

/** A bar redrawn in place on a terminal; a line every 10 % when stderr is a file or a pipe. */
function progressBar(stream: NodeJS.WriteStream) {
  let shown = { phase: '', tenth: -1 };
  return ({ phase, done, total }: ImportProgress) => {
    const fraction = total ? done / total : 1;
    const percent = Math.floor(fraction * 100);
    if (stream.isTTY) {
      const filled = Math.round(fraction * 30);
      stream.write(`\r${phase.padEnd(10)} [${'#'.repeat(filled)}${'.'.repeat(30 - filled)}] ${String(percent).padStart(3)}%  ${done}/${total} rows`);
      if (done === total) stream.write('\n');
      return;
    }
    const tenth = Math.floor(fraction * 10);
    if (phase === shown.phase && tenth <= shown.tenth) return;
    shown = { phase, tenth };
    stream.write(`${phase} ${tenth * 10}% (${done}/${total} rows)\n`);
  };
}

function printRefusal(error: DomainError) {
  const errors = (error.details?.errors ?? []) as RowError[];
  const count = (error.details?.errorCount as number | undefined) ?? errors.length;
  process.stderr.write(`Refused. ${error.message}\n`);
  for (const e of errors) process.stderr.write(`  line ${e.line}: ${describeError(e)}\n`);
  if (count > errors.length) process.stderr.write(`  … and ${count - errors.length} more\n`);
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  if (args.length !== 1 || args[0]!.startsWith('-')) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const file = args[0]!;
  if (!existsSync(file)) {
    process.stderr.write(`No such file: ${file}\n`);
    return 2;
  }

  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      return 1;
    }
    throw error;
  }
  // The data folder's lock first (src/db/data-dir-lock.ts): while the service runs on it, nothing is opened or written.
  let database;
  try {
    database = openDatabase({ ...configuredDatabase(config), readUrl: undefined });
  } catch (error) {
    if (error instanceof DataDirLockedError) {
      process.stderr.write(`${error.message}\nTo import while the service runs, send the file to it: POST /v1/households/import (see the README).\n`);
      return 1;
    }
    throw error;
  }
  let idHashKey;
  try {
    idHashKey = resolveIdHashKey(config);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    await database.close();
    return 1;
  }

  try {
    await database.migrate();
    const clock = () => today(config.LEDGER_TIMEZONE);
    const households = createHouseholdService(database.db, { idHashKey, riskCauses: config.LEDGER_RISK_CAUSES, today: clock });
    const importer = createHouseholdImporter(households, { today: clock });
    const onProgress = progressBar(process.stderr);
    const started = Date.now();
    const report = await database.db.transaction(async (tx) =>
      importer.run(tx, decodeCsv(readFileSync(file)), { actor: `cli:${userInfo().username}`, onProgress }),
    );
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    process.stdout.write(
      `Imported ${basename(file)}: ${report.rows} ${report.rows === 1 ? 'row' : 'rows'} in ${seconds} s — ${report.created} created, ${report.updated} updated, ` +
        `${report.unchanged} unchanged; ${report.included} included in monitoring, ${report.eliminated} eliminated.\n`,
    );
    return 0;
  } catch (error) {
    if (error instanceof DomainError && error.code === 'import_failed') printRefusal(error);
    else if (error instanceof DomainError) process.stderr.write(`Refused (${error.code}): ${error.message}\n`);
    else process.stderr.write(`Import failed: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  } finally {
    await database.close();
  }
}

process.exitCode = await main();
