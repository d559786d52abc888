// Benchmark: a month of 5,000 vouchers printed for binding (GET /v1/funds/{id}/vouchers?period=&format=pdf)
// on real PostgreSQL, the PDF read over HTTP as a client would and thrown away as it arrives. The goal:
// memory bounded — the service's heap while streaming 5,000 vouchers no more than 1.5× what it is for
// 1,000, and under 200 MiB above its idle level — and the month printed in under 60 s.
//
//   TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npx tsx test/bench/voucher-binding.ts
//
// The ledger: one fund, vouchers of 2 to 6 lines (one in fifty of 24 lines, continued over three forms),
// memos carrying rare characters of names (王𪚥, 赵𠮷), 1,000 in October and 5,000 in November. Heap and RSS
// are sampled every 50 ms while each month streams. The server of TEST_DATABASE_URL (or DATABASE_URL) gets a
// fresh database of its own, dropped at the end. Figures are printed and written to
// test/bench/results/voucher-binding.json. Not part of `npm test`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { get } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, totalmem } from 'node:os';
import { sql } from 'drizzle-orm';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { openDatabase, rows } from '../../src/db/client.js';
import { inLedgerTransaction } from '../../src/ledger/commit.js';
import { addDays, today } from '../../src/ledger/dates.js';
import { postTransaction } from '../../src/ledger/posting.js';
import { ADMIN_TOKEN, ID_HASH_KEY } from '../helpers/app.js';
import { emptyPostgresDatabase } from '../helpers/database.js';

const MONTHS = [
  { period: '2026-10', vouchers: Number(process.env.BENCH_SMALL ?? 1_000) },
  { period: '2026-11', vouchers: Number(process.env.BENCH_VOUCHERS ?? 5_000) },
];
const GOAL = { ratio: 1.5, heapMiB: 200, seconds: 60 };

const server = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;
if (!server) {
  console.error('Set TEST_DATABASE_URL (or DATABASE_URL) to a PostgreSQL server: the benchmark creates and drops a database there.');
  process.exit(2);
}

const MiB = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
const seconds = (started: bigint) => Number(process.hrtime.bigint() - started) / 1e9;

/** Reads the binding over HTTP, dropping each chunk, while sampling the process's memory. */
function stream(url: string): Promise<{ bytes: number; seconds: number; peakHeap: number; peakRss: number; firstByteSeconds: number }> {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    let peakHeap = 0;
    let peakRss = 0;
    let firstByteSeconds = 0;
    const sample = () => {
      const m = process.memoryUsage();
      peakHeap = Math.max(peakHeap, m.heapUsed);
      peakRss = Math.max(peakRss, m.rss);
    };
    const timer = setInterval(sample, 50);
    get(url, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }, (response) => {
      if (response.statusCode !== 200) reject(new Error(`HTTP ${response.statusCode}`));
      let bytes = 0;
      response.on('data', (chunk: Buffer) => {
        if (!bytes) firstByteSeconds = seconds(started);
        bytes += chunk.length;
      });
      response.on('end', () => {
        clearInterval(timer);
        sample();
        resolve({ bytes, seconds: seconds(started), peakHeap, peakRss, firstByteSeconds });
      });
      response.on('error', reject);
    }).on('error', reject);
  });
}

async function main() {
  const empty = await emptyPostgresDatabase(server!);
  const database = openDatabase({ url: empty.url });
  try {
    await database.migrate();
    const config = loadConfig({ LEDGER_ADMIN_TOKEN: ADMIN_TOKEN, LOG_LEVEL: 'silent' });
    const app = await buildApp({ config, database, idHashKey: ID_HASH_KEY });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const call = async (method: 'POST' | 'GET', url: string, payload?: object) => {
      const r = await app.inject({ method, url, headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, ...(payload ? { payload } : {}) });
      if (r.statusCode >= 300) throw new Error(`${url}: ${r.statusCode} ${r.body.slice(0, 2000)}`);
      return r.json();
    };
    const fund = await call('POST', '/v1/funds', { code: 'BENCH-VOUCHERS', name: '基准测试防止返贫专项基金', organisation: '某县某乡人民政府', purpose: '基准测试' });
    const account = async (code: string, name: string, type: string, noOverdraft = false) =>
      (await call('POST', `/v1/funds/${fund.id}/accounts`, { code, name, type, noOverdraft })).id as string;
    const bank = await account('1002', '银行存款', 'asset');
    const expenses = await Promise.all(['医疗救助支出', '临时救助支出', '生活补助支出', '教育资助支出', '其他支出'].map((name, i) => account(`50${i + 1}`, name, 'expense')));

    const ctx = { actor: 'bench', today: today(config.LEDGER_TIMEZONE) };
    const posting = process.hrtime.bigint();
    for (const month of MONTHS) {
      for (let start = 0; start < month.vouchers; start += 500) {
        await inLedgerTransaction(database.db, async (tx) => {
          for (let i = start; i < Math.min(start + 500, month.vouchers); i++) {
            const legs = i % 50 === 0 ? 24 : 1 + (i % 5);
            const lines = Array.from({ length: legs }, (_, k) => ({
              accountId: expenses[(i + k) % expenses.length]!,
              direction: 'debit' as const,
              amount: `${100 + ((i * 7 + k) % 900)}.${String((i + k) % 100).padStart(2, '0')}`,
              memo: `第${i + 1}笔 ${k % 2 ? '王𪚥' : '赵𠮷'} 救助`,
            }));
            const total = lines.reduce((fen, l) => fen + BigInt(l.amount.replace('.', '')), 0n);
            await postTransaction(
              tx,
              {
                date: addDays(`${month.period}-01`, i % 28),
                description: `救助支出 第${i + 1}笔`,
                lines: [...lines, { accountId: bank, direction: 'credit', amount: `${total / 100n}.${String(total % 100n).padStart(2, '0')}` }],
              },
              ctx,
            );
          }
        });
        process.stdout.write(`\r${month.period}: posted ${Math.min(start + 500, month.vouchers)} / ${month.vouchers} vouchers`);
      }
      console.log('');
    }
    console.log(`posted in ${seconds(posting).toFixed(1)} s`);

    const measured: Record<string, unknown>[] = [];
    for (const month of MONTHS) {
      global.gc?.();
      const idle = process.memoryUsage();
      const r = await stream(`${base}/v1/funds/${fund.id}/vouchers?period=${month.period}&format=pdf`);
      const row = {
        period: month.period,
        vouchers: month.vouchers,
        pdfMiB: MiB(r.bytes),
        seconds: Number(r.seconds.toFixed(1)),
        firstByteSeconds: Number(r.firstByteSeconds.toFixed(2)),
        heapAboveIdleMiB: MiB(r.peakHeap - idle.heapUsed),
        rssAboveIdleMiB: MiB(r.peakRss - idle.rss),
        peakHeapMiB: MiB(r.peakHeap),
        peakRssMiB: MiB(r.peakRss),
      };
      console.log(row);
      measured.push(row);
    }
    await app.close();

    const [small, large] = measured as { heapAboveIdleMiB: number; seconds: number }[];
    const ratio = Math.round((Math.max(large!.heapAboveIdleMiB, 1) / Math.max(small!.heapAboveIdleMiB, 1)) * 100) / 100;
    const [version] = await rows<{ v: string }>(database.db, sql`select current_setting('server_version') as v`);
    const results = {
      when: new Date().toISOString(),
      machine: { cpu: cpus()[0]?.model, cpus: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, postgres: version?.v },
      months: measured,
      heapRatioLargeToSmall: ratio,
      goal: GOAL,
      withinGoal: ratio <= GOAL.ratio && large!.heapAboveIdleMiB <= GOAL.heapMiB && large!.seconds <= GOAL.seconds,
    };
    mkdirSync(new URL('results/', import.meta.url), { recursive: true });
    writeFileSync(new URL('results/voucher-binding.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
    console.log(`heap above idle, ${MONTHS[1]!.vouchers} ÷ ${MONTHS[0]!.vouchers} vouchers: ${ratio} (goal ≤ ${GOAL.ratio}); wrote test/bench/results/voucher-binding.json`);
    if (!results.withinGoal) {
      console.error('over the goal');
      process.exitCode = 1;
    }
  } finally {
    await database.close();
    await empty.drop();
  }
}

await main();
