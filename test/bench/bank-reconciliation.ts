// Benchmark: a year's bank statement of 20,000 lines imported through POST /v1/funds/{id}/bank-statements and
// matched against 20,000 ledger vouchers, on real PostgreSQL. The goal: import and matching under 10 s.
//
//   TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npx tsx test/bench/bank-reconciliation.ts
//
// The ledger: a first deposit, then vouchers alternately in and out of the bank, spread over 2025, 70 % with
// a reference the bank line carries (matched by reference), the rest without (matched by amount, the bank
// line dated up to two days later). The statement lists the same money in the bank's date order with its
// running balance. The import checks every line, stores it, matches all of it and rechecks every month's
// reconciliation; then December's 调节表 is read once. The server of TEST_DATABASE_URL (or DATABASE_URL)
// gets a fresh database of its own, dropped at the end. Figures are printed and written to
// test/bench/results/bank-reconciliation.json. Not part of `npm test`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { sql } from 'drizzle-orm';
import { emptyPostgresDatabase } from '../helpers/database.js';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { openDatabase, rows } from '../../src/db/client.js';
import { addDays, today } from '../../src/ledger/dates.js';
import { inLedgerTransaction } from '../../src/ledger/commit.js';
import { Money, formatMoney } from '../../src/ledger/money.js';
import { postTransaction } from '../../src/ledger/posting.js';
import { ADMIN_TOKEN, ID_HASH_KEY } from '../helpers/app.js';

const LINES = Number(process.env.BENCH_LINES ?? 20_000);
const GOAL_SECONDS = 10;
const ACCOUNT = '6228480012345678901';

const server = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;
if (!server) {
  console.error('Set TEST_DATABASE_URL (or DATABASE_URL) to a PostgreSQL server: the benchmark creates and drops a database there.');
  process.exit(2);
}

interface Movement {
  i: number;
  date: string;
  bankDate: string;
  direction: 'in' | 'out';
  amount: string;
  reference: string | null;
}

/** The year's money: voucher i on day i × 365 / LINES, each amount its own. */
function movements(): Movement[] {
  return Array.from({ length: LINES }, (_, i) => {
    const date = addDays('2025-01-01', Math.floor((i * 362) / LINES));
    const referenced = i % 10 < 7 || i === 0;
    return {
      i,
      date,
      bankDate: referenced ? date : addDays(date, i % 3),
      direction: i === 0 || i % 2 === 0 ? 'in' : 'out',
      amount: i === 0 ? '100000000.00' : `${1000 + i}.${String(i % 97).padStart(2, '0')}`,
      reference: referenced ? `R${String(i).padStart(6, '0')}` : null,
    } as Movement;
  });
}

function statementCsv(list: Movement[]): string {
  const byBank = [...list].sort((a, b) => (a.bankDate < b.bankDate ? -1 : a.bankDate > b.bankDate ? 1 : a.i - b.i));
  let balance = new Money(0);
  const lines = byBank.map((m) => {
    balance = m.direction === 'in' ? balance.plus(m.amount) : balance.minus(m.amount);
    const [inCell, outCell] = m.direction === 'in' ? [m.amount, ''] : ['', m.amount];
    return `${m.bankDate},往来款 ${m.reference ?? ''},${inCell},${outCell},${formatMoney(balance)},某单位,${m.reference ?? `N${m.i}`}`;
  });
  return (
    `账号,${ACCOUNT}\n开户行,某农商银行某支行\n起始日期,2025-01-01\n截止日期,2025-12-31\n期初余额,0.00\n期末余额,${formatMoney(balance)}\n` +
    `交易日期,摘要,收入金额,支出金额,余额,对方户名,流水号\n${lines.join('\n')}\n`
  );
}

const seconds = (started: bigint) => Number(process.hrtime.bigint() - started) / 1e9;

async function main() {
  const empty = await emptyPostgresDatabase(server!);
  const database = openDatabase({ url: empty.url });
  try {
    await database.migrate();
    const config = loadConfig({ LEDGER_ADMIN_TOKEN: ADMIN_TOKEN, LOG_LEVEL: 'silent' });
    const app = await buildApp({ config, database, idHashKey: ID_HASH_KEY });
    await app.ready();
    const call = async (method: 'POST' | 'GET', url: string, payload?: object | string, contentType?: string) => {
      const r = await app.inject({
        method,
        url,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(contentType ? { 'content-type': contentType } : {}) },
        ...(payload !== undefined ? { payload } : {}),
      });
      if (r.statusCode >= 300) throw new Error(`${url}: ${r.statusCode} ${r.body.slice(0, 2000)}`);
      return r.json();
    };
    const fund = await call('POST', '/v1/funds', {
      code: 'BENCH-BANK',
      name: '基准测试防止返贫专项基金',
      organisation: '某县某乡人民政府',
      purpose: '基准测试',
      template: 'prevention',
      allowedCategories: ['medical_subsidy'],
      bankAccountNumber: ACCOUNT,
    });
    const accounts = (await call('GET', `/v1/funds/${fund.id}/accounts?limit=500`)).items as { id: string; role: string | null }[];
    const bank = accounts.find((a) => a.role === 'bank')!;
    const other = await call('POST', `/v1/funds/${fund.id}/accounts`, { code: '4901', name: '其他收入', type: 'income' });
    const spent = await call('POST', `/v1/funds/${fund.id}/accounts`, { code: '5901', name: '其他支出', type: 'expense' });

    const list = movements();
    const ctx = { actor: 'bench', today: today(config.LEDGER_TIMEZONE) };
    const posting = process.hrtime.bigint();
    for (let start = 0; start < LINES; start += 500) {
      await inLedgerTransaction(database.db, async (tx) => {
        for (const m of list.slice(start, start + 500)) {
          const [debit, credit] = m.direction === 'in' ? [bank.id, other.id] : [spent.id, bank.id];
          await postTransaction(
            tx,
            {
              date: m.date,
              description: `往来款 第${m.i + 1}笔`,
              reference: m.reference ?? undefined,
              lines: [
                { accountId: debit, direction: 'debit', amount: m.amount },
                { accountId: credit, direction: 'credit', amount: m.amount },
              ],
            },
            ctx,
          );
        }
      });
      process.stdout.write(`\rposted ${Math.min(start + 500, LINES)} / ${LINES} vouchers`);
    }
    console.log(` in ${seconds(posting).toFixed(1)} s`);

    const csv = statementCsv(list);
    console.log(`statement: ${LINES} lines, ${(Buffer.byteLength(csv) / 1024 / 1024).toFixed(1)} MiB`);
    const started = process.hrtime.bigint();
    const imported = await call('POST', `/v1/funds/${fund.id}/bank-statements`, csv, 'text/csv');
    const importSeconds = Number(seconds(started).toFixed(2));
    console.log(`import and match: ${importSeconds} s`, imported);
    if (imported.matching.matchedLines !== LINES || imported.matching.unmatchedEntries !== 0) {
      throw new Error(`not everything matched: ${JSON.stringify(imported.matching)}`);
    }

    const reading = process.hrtime.bigint();
    const december = await call('GET', `/v1/funds/${fund.id}/bank-reconciliations/2025-12`);
    const reconciliationSeconds = Number(seconds(reading).toFixed(2));
    console.log(`December's 调节表: ${reconciliationSeconds} s, agrees: ${december.agrees}`, december.reasons);
    if (!december.agrees) throw new Error(`December does not reconcile: ${december.reasons.join('; ')}`);

    const again = process.hrtime.bigint();
    const second = await call('POST', `/v1/funds/${fund.id}/bank-statements`, csv, 'text/csv');
    const againSeconds = Number(seconds(again).toFixed(2));
    console.log(`the same statement again: ${againSeconds} s, ${second.knownLines} lines known`);
    await app.close();

    const [version] = await rows<{ v: string }>(database.db, sql`select current_setting('server_version') as v`);
    const results = {
      when: new Date().toISOString(),
      machine: { cpu: cpus()[0]?.model, cpus: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, postgres: version?.v },
      lines: LINES,
      importAndMatchSeconds: importSeconds,
      matching: imported.matching,
      decemberReconciliationSeconds: reconciliationSeconds,
      sameStatementAgainSeconds: againSeconds,
      goalSeconds: GOAL_SECONDS,
      withinGoal: importSeconds < GOAL_SECONDS,
    };
    mkdirSync(new URL('results/', import.meta.url), { recursive: true });
    writeFileSync(new URL('results/bank-reconciliation.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
    console.log('wrote test/bench/results/bank-reconciliation.json');
    if (!results.withinGoal) {
      console.error(`over the goal: ${importSeconds} s for ${LINES} lines (goal ${GOAL_SECONDS} s)`);
      process.exitCode = 1;
    }
  } finally {
    await database.close();
    await empty.drop();
  }
}

await main();
