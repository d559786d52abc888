// Benchmark: 100,000 households imported through POST /v1/households/import on real PostgreSQL, then the
// same file again (nothing to change). The goal is under 60 s for the first import.
//
//   TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npx tsx test/bench/import-households.ts
//
// The server of TEST_DATABASE_URL (or DATABASE_URL) gets a fresh database of its own, dropped at the end.
// Figures are printed and written to test/bench/results/import-households.json. Not part of `npm test`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { sql } from 'drizzle-orm';
import { emptyPostgresDatabase } from '../helpers/database.js';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { openDatabase, rows } from '../../src/db/client.js';
import { villages } from '../../src/db/schema.js';
import { ADMIN_TOKEN, ID_HASH_KEY } from '../helpers/app.js';
import { idNumber } from '../helpers/fixtures.js';

const ROWS = Number(process.env.BENCH_ROWS ?? 100_000);
const VILLAGES = 1_000;
const GOAL_SECONDS = 60;

const server = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;
if (!server) {
  console.error('Set TEST_DATABASE_URL (or DATABASE_URL) to a PostgreSQL server: the benchmark creates and drops a database there.');
  process.exit(2);
}

const names = ['张三明', '李四', '王五', '赵六', '钱七', '孙八', '周九', '吴十', '郑一', '欧阳娜娜'];
const categories = ['脱贫不稳定户', '边缘易致贫户', '突发严重困难户'];
const causes = ['因病', '因残', '因学', '因灾', '因意外', '因失业', '其他'];

/** A roster like a county's: 60 % monitored, a sixth of those already eliminated, some names needing quotes. */
function roster(): string {
  const lines = ['户编号,户主姓名,身份证号,村编码,家庭人口,监测类型,风险类型,纳入监测日期,风险消除日期,消除原因'];
  for (let n = 0; n < ROWS; n++) {
    const village = `V${String(n % VILLAGES).padStart(4, '0')}`;
    const name = n % 50 === 0 ? `"${names[n % names.length]},家"` : names[n % names.length];
    const base = `H${String(n).padStart(7, '0')},${name},${idNumber(n)},${village},${1 + (n % 6)}`;
    if (n % 10 >= 6) {
      lines.push(`${base},,,,,`);
      continue;
    }
    const since = `2024-${String(1 + (n % 12)).padStart(2, '0')}-${String(1 + (n % 28)).padStart(2, '0')}`;
    const cause = n % 3 === 0 ? `${causes[n % 7]}、${causes[(n + 1) % 7]}` : causes[n % 7];
    const eliminated = n % 10 === 0 ? '2025-06-30,"收入稳定, 风险消除"' : ',';
    lines.push(`${base},${categories[n % 3]},${cause},${since},${eliminated}`);
  }
  return `${lines.join('\n')}\n`;
}

async function main() {
  const empty = await emptyPostgresDatabase(server!);
  const database = openDatabase({ url: empty.url });
  try {
    await database.migrate();
    const config = loadConfig({ LEDGER_ADMIN_TOKEN: ADMIN_TOKEN, LOG_LEVEL: 'silent' });
    const app = await buildApp({ config, database, idHashKey: ID_HASH_KEY });
    await app.ready();
    await database.db.insert(villages).values(
      Array.from({ length: VILLAGES }, (_, i) => ({ code: `V${String(i).padStart(4, '0')}`, name: `第${i}村`, township: '某乡', county: '某县' })),
    );

    const csv = roster();
    console.log(`${ROWS} rows, ${(Buffer.byteLength(csv) / 1024 / 1024).toFixed(1)} MiB, ${VILLAGES} villages`);
    const importOnce = async (label: string) => {
      const started = process.hrtime.bigint();
      const response = await app.inject({
        method: 'POST',
        url: '/v1/households/import',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'text/csv' },
        payload: csv,
      });
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (response.statusCode !== 200) throw new Error(`${label}: ${response.statusCode} ${response.body.slice(0, 2000)}`);
      const report = response.json();
      const rowsPerSecond = Math.round(ROWS / seconds);
      console.log(`${label}: ${seconds.toFixed(2)} s, ${rowsPerSecond} rows/s`, report);
      return { seconds: Number(seconds.toFixed(2)), rowsPerSecond, report };
    };
    const first = await importOnce('first import');
    const second = await importOnce('same file again');
    const [counts] = await rows<Record<string, number>>(
      database.db,
      sql`select (select count(*)::int from households) as households, (select count(*)::int from household_monitoring) as periods,
                 (select count(*)::int from events) as events`,
    );
    console.log('in the database:', counts);
    await app.close();

    const [version] = await rows<{ v: string }>(database.db, sql`select current_setting('server_version') as v`);
    const results = {
      when: new Date().toISOString(),
      machine: { cpu: cpus()[0]?.model, cpus: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, postgres: version?.v },
      rows: ROWS,
      villages: VILLAGES,
      first,
      second,
      counts,
      goalSeconds: GOAL_SECONDS,
      withinGoal: first.seconds < GOAL_SECONDS,
    };
    mkdirSync(new URL('results/', import.meta.url), { recursive: true });
    writeFileSync(new URL('results/import-households.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
    console.log('wrote test/bench/results/import-households.json');
    if (!results.withinGoal) {
      console.error(`over the goal: ${first.seconds} s for ${ROWS} rows (goal ${GOAL_SECONDS} s)`);
      process.exitCode = 1;
    }
  } finally {
    await database.close();
    await empty.drop();
  }
}

await main();
