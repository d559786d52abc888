// Benchmark: posting throughput over HTTP (issue 6, benchmarks 1, 2, 3, 6 and 7).
//
//   npx tsx test/bench/posting.ts            (part of `npm run bench`, never of `npm test`)
//
// The real service runs as a second process (src/server.ts) on a fresh database of the server of
// TEST_DATABASE_URL or DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test), dropped at the end;
// this process sets up a fund of 1,000 asset accounts through the API and drives POST /v1/transactions
// with autocannon over loopback, every request with its own Idempotency-Key, as an officer key.
//   1. 2-line transfers between random accounts at 1, 4 and 16 connections, beside the SQL ceiling
//      (../shared/bench/ceiling/run.sh transfer2_random_pipe). Goal at 16: service ÷ ceiling ≥ 0.5.
//   2. Hot account: every transfer pays out of the fund's one bank account, at 16, beside
//      transfer2_hot_pipe. Goal ≥ 1.0, which one commit per request is not expected to reach.
//   3. 5-line splits (one source, four destinations) at 16 against the 2-line figure, beside
//      transfer5_random_pipe; and POST /v1/industries/{id}/dividends, whose voucher is 5 lines too.
//   6. Benchmark 1 again on the embedded PGlite (no DATABASE_URL), beside PostgreSQL.
//   7. The service's memory: peak RSS during benchmark 1, then RSS over a soak at 16 connections; it
//      must not keep growing.
// After the load the ledger's invariants are checked (src/ledger/invariants.ts) and every 5xx is a finding.
// Figures are printed and written to test/bench/results/posting.json.
//
// Tuning: BENCH_SECONDS (10 per run), BENCH_CONNECTIONS ("1,4,16"), BENCH_SOAK_SECONDS (120),
// BENCH_ACCOUNTS (1000), BENCH_PGLITE=0 to skip the embedded run. The machine's other work moves the
// figures: the ceiling is measured in the same run for that reason.
import { randomInt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { today as todayIn } from '../../src/ledger/dates.js';
import { load, type LoadFigures, sampler, slopePerMinute } from './lib/load.js';
import {
  ADMIN_TOKEN, type Call, ceiling, client, createDatabase, expect, inParallel, invariantsHold, keyFor, machine,
  postgresServer, round, type Service, startService, writeResults,
} from './lib/service.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = (process.env.BENCH_CONNECTIONS ?? '1,4,16').split(',').map(Number);
const TOP = Math.max(...CONNECTIONS);
const SOAK_SECONDS = Number(process.env.BENCH_SOAK_SECONDS ?? 120);
const ACCOUNTS = Number(process.env.BENCH_ACCOUNTS ?? 1000);
const WITH_PGLITE = process.env.BENCH_PGLITE !== '0';
const today = todayIn('Asia/Shanghai');

const cents = (c: number) => `${Math.floor(c / 100)}.${String(c % 100).padStart(2, '0')}`;
const line = (accountId: string, direction: 'debit' | 'credit', amount: string) => ({ accountId, direction, amount });

/** `n` distinct indexes among the accounts, the bank (index 0) excluded when `skipBank`. */
function pick(n: number, skipBank = false): number[] {
  const chosen = new Set<number>();
  while (chosen.size < n) chosen.add(randomInt(skipBank ? 1 : 0, ACCOUNTS));
  return [...chosen];
}

interface Ledger {
  officer: string;
  /** accounts[0] is the fund's bank account, holding far more than the others. */
  accounts: string[];
  industryId: string;
}

/** A fund of ACCOUNTS asset accounts funded from an income account; a prevention fund with an industry for dividends. */
async function setUp(service: Service): Promise<Ledger> {
  const admin = client(service.url, ADMIN_TOKEN);
  const officer = await keyFor(admin, 'officer');
  const record: Call = client(service.url, officer);
  const fund = await expect(201, admin('POST', '/v1/funds', { code: 'BENCH-POST', name: '基准测试基金', organisation: '某县', purpose: 'benchmark' }), 'fund');
  const account = (code: string, type: string) =>
    expect(201, admin('POST', `/v1/funds/${fund.id}/accounts`, { code, name: `科目 ${code}`, type }), `account ${code}`).then((a) => a.id as string);
  const income = await account('4001', 'income');
  const accounts = await inParallel([...Array(ACCOUNTS).keys()], 8, (i) => account(String(100_000 + i), 'asset'));
  // Vouchers of at most 1,000 lines (the API's limit): the bank gets 900,000,000.00, every other account 1,000,000.00.
  for (let from = 0; from < ACCOUNTS; from += 500) {
    const chunk = accounts.slice(from, from + 500);
    const amounts = chunk.map((_, i) => (from + i === 0 ? 90_000_000_000 : 100_000_000));
    const total = amounts.reduce((a, b) => a + b, 0);
    const lines = [...chunk.map((id, i) => line(id, 'debit', cents(amounts[i]!))), line(income, 'credit', cents(total))];
    await expect(201, record('POST', '/v1/transactions', { date: today, description: 'bench funding', lines }), 'funding');
  }

  const prevention = await expect(
    201,
    admin('POST', '/v1/funds', { code: 'BENCH-DIV', name: '基准分红基金', organisation: '某县', purpose: 'benchmark', template: 'prevention', allowedCategories: ['living_allowance'] }),
    'prevention fund',
  );
  const village = (code: string) =>
    expect(201, record('POST', '/v1/villages', { code, name: `${code}村`, township: '某乡', county: '某县' }), 'village').then((v) => v.id as string);
  const [project, radiating] = [await village('BENCH-V1'), await village('BENCH-V2')];
  const industry = await expect(
    201,
    record('POST', '/v1/industries', { fundId: prevention.id, name: '基准肉牛养殖', projectVillageId: project, projectVillageShare: '0.40', radiatingVillages: [{ villageId: radiating }] }),
    'industry',
  );
  return { officer, accounts, industryId: industry.id };
}

const transfer2 = (l: Ledger) => () => {
  const [a, b] = pick(2);
  const amount = cents(randomInt(100, 10_000));
  return { date: today, description: 'bench transfer', lines: [line(l.accounts[a!]!, 'debit', amount), line(l.accounts[b!]!, 'credit', amount)] };
};

/** Out of the bank to a random account, as a disbursement pays. */
const hotTransfer = (l: Ledger) => () => {
  const [to] = pick(1, true);
  const amount = cents(randomInt(100, 10_000));
  return { date: today, description: 'bench payment', lines: [line(l.accounts[to!]!, 'debit', amount), line(l.accounts[0]!, 'credit', amount)] };
};

/** One source, four destinations. */
const split5 = (l: Ledger) => () => {
  const [source, ...destinations] = pick(5);
  const parts = destinations.map(() => randomInt(100, 2_500));
  const total = parts.reduce((a, b) => a + b, 0);
  return {
    date: today,
    description: 'bench split',
    lines: [line(l.accounts[source!]!, 'credit', cents(total)), ...destinations.map((d, i) => line(l.accounts[d]!, 'debit', cents(parts[i]!)))],
  };
};

const dividend = () => ({ date: today, amount: cents(randomInt(10_000, 1_000_000)) });

const run = (service: Service, l: Ledger, connections: number, body: () => object, path = '/v1/transactions', duration = SECONDS) =>
  load({ url: service.url, token: l.officer, path, connections, duration, body });

const show = (label: string, f: LoadFigures) => ({
  run: label,
  connections: f.connections,
  'per s': f.perSecond,
  'p50 ms': f.p50ms,
  'p99 ms': f.p99ms,
  '2xx': f['2xx'],
  '4xx': f['4xx'],
  '5xx': f['5xx'],
  errors: f.errors,
});

/** Benchmark 1 at every connection count, with the service's memory sampled throughout. */
async function throughput(service: Service, l: Ledger) {
  await run(service, l, 4, transfer2(l), '/v1/transactions', 3); // warm-up, not counted
  const rss = sampler(() => service.memory().rssMiB, 1000);
  const runs: LoadFigures[] = [];
  for (const c of CONNECTIONS) runs.push(await run(service, l, c, transfer2(l)));
  const samples = rss.stop();
  const memory = { maxSampledRssMiB: Math.max(...samples.map((s) => s.value)), peakRssMiB: service.memory().peakMiB };
  return { runs, memory };
}

async function soak(service: Service, l: Ledger) {
  const rss = sampler(() => service.memory().rssMiB, 5000);
  const figures = await run(service, l, TOP, transfer2(l), '/v1/transactions', SOAK_SECONDS);
  const samples = rss.stop();
  const values = samples.map((s) => s.value);
  const lastHalf = samples.filter((s) => s.s >= samples.at(-1)!.s / 2);
  const slope = round(slopePerMinute(lastHalf), 2);
  // Growth is a rising trend that also ends above where the last half began: a saw-tooth of the garbage
  // collector tilts the fitted slope either way by a MiB or two a minute, but ends where it started.
  const risen = values.at(-1)! - lastHalf[0]!.value;
  return {
    seconds: SOAK_SECONDS,
    connections: TOP,
    figures,
    rssMiB: { first: values[0], last: values.at(-1), max: Math.max(...values), min: Math.min(...values) },
    slopeLastHalfMiBPerMinute: slope,
    keepsGrowing: slope > 1 && risen > 2,
    samples: samples.map((s) => [round(s.s), s.value]),
  };
}

async function onPostgres() {
  const database = await createDatabase(postgresServer());
  let service: Service | undefined;
  try {
    service = await startService({ url: database.url });
    console.log(`PostgreSQL ${database.postgresVersion}: setting up ${ACCOUNTS} accounts`);
    const l = await setUp(service);

    console.log(`1. 2-line transfers, random accounts, ${SECONDS} s each at ${CONNECTIONS.join(', ')} connections`);
    const bench1 = await throughput(service, l);
    const ceiling2 = ceiling('transfer2_random_pipe', TOP, SECONDS);

    console.log(`2. hot bank account at ${TOP}`);
    const hot = await run(service, l, TOP, hotTransfer(l));
    const ceilingHot = ceiling('transfer2_hot_pipe', TOP, SECONDS);

    console.log(`3. 5-line splits and dividends at ${TOP}`);
    const split = await run(service, l, TOP, split5(l));
    const dividends = await run(service, l, TOP, dividend, `/v1/industries/${l.industryId}/dividends`);
    const ceiling5 = ceiling('transfer5_random_pipe', TOP, SECONDS);

    console.log(`7. soak: ${SOAK_SECONDS} s at ${TOP}`);
    const soaked = await soak(service, l);
    const afterSoak = service.memory();

    const exitCode = await service.stop();
    const invariants = await invariantsHold({ url: database.url });
    const at16 = bench1.runs.find((r) => r.connections === TOP)!;
    return {
      postgresVersion: database.postgresVersion,
      transfer2: bench1.runs,
      memoryDuringBenchmark1: bench1.memory,
      ceiling: { transfer2_random_pipe: ceiling2, transfer2_hot_pipe: ceilingHot, transfer5_random_pipe: ceiling5, clients: TOP, seconds: SECONDS },
      ratioToCeiling: {
        transfer2Random: ceiling2 ? round(at16.perSecond / ceiling2, 2) : null,
        transfer2Hot: ceilingHot ? round(hot.perSecond / ceilingHot, 2) : null,
        transfer5Random: ceiling5 ? round(split.perSecond / ceiling5, 2) : null,
      },
      hot,
      split5: { ...split, ratioTo2Line: round(split.perSecond / at16.perSecond, 2) },
      dividends,
      soak: { ...soaked, afterSoak },
      serviceExitCode: exitCode,
      invariants,
    };
  } finally {
    await service?.stop();
    await database.drop();
  }
}

async function onPglite() {
  const dataDir = mkdtempSync(join(tmpdir(), 'fl-bench-pglite-'));
  let service: Service | undefined;
  try {
    service = await startService({ dataDir });
    console.log(`6. embedded PGlite: setting up ${ACCOUNTS} accounts`);
    const l = await setUp(service);
    const bench1 = await throughput(service, l);
    const exitCode = await service.stop();
    return { transfer2: bench1.runs, memoryDuringBenchmark1: bench1.memory, serviceExitCode: exitCode, invariants: await invariantsHold({ dataDir }) };
  } finally {
    await service?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const started = new Date();
const postgres = await onPostgres();
const pglite = WITH_PGLITE ? await onPglite() : null;

console.table([
  ...postgres.transfer2.map((f) => show('PostgreSQL 2-line random', f)),
  show('PostgreSQL 2-line hot bank', postgres.hot),
  show('PostgreSQL 5-line split', postgres.split5),
  show('PostgreSQL dividend (5 lines)', postgres.dividends),
  show('PostgreSQL soak 2-line', postgres.soak.figures),
  ...(pglite?.transfer2.map((f) => show('PGlite 2-line random', f)) ?? []),
]);
console.table([
  { variant: 'transfer2_random_pipe', 'ceiling tps': postgres.ceiling.transfer2_random_pipe, 'service ÷ ceiling': postgres.ratioToCeiling.transfer2Random, goal: '≥ 0.5' },
  { variant: 'transfer2_hot_pipe', 'ceiling tps': postgres.ceiling.transfer2_hot_pipe, 'service ÷ ceiling': postgres.ratioToCeiling.transfer2Hot, goal: '≥ 1.0' },
  { variant: 'transfer5_random_pipe', 'ceiling tps': postgres.ceiling.transfer5_random_pipe, 'service ÷ ceiling': postgres.ratioToCeiling.transfer5Random, goal: '—' },
]);
console.table({
  'PostgreSQL, benchmark 1': postgres.memoryDuringBenchmark1,
  'PostgreSQL, after soak': { maxSampledRssMiB: postgres.soak.rssMiB.max, peakRssMiB: postgres.soak.afterSoak.peakMiB },
  ...(pglite ? { 'PGlite, benchmark 1': pglite.memoryDuringBenchmark1 } : {}),
});
console.log(
  `soak RSS MiB first ${postgres.soak.rssMiB.first}, last ${postgres.soak.rssMiB.last}, max ${postgres.soak.rssMiB.max}; ` +
    `slope over the last half ${postgres.soak.slopeLastHalfMiBPerMinute} MiB/min: ${postgres.soak.keepsGrowing ? 'KEEPS GROWING' : 'flat'}`,
);
console.log(`invariants: PostgreSQL ${postgres.invariants.hold ? 'hold' : 'BROKEN'}${pglite ? `, PGlite ${pglite.invariants.hold ? 'hold' : 'BROKEN'}` : ''}`);

const all = [...postgres.transfer2, postgres.hot, postgres.split5, postgres.dividends, postgres.soak.figures, ...(pglite?.transfer2 ?? [])];
const findings = [
  ...all.filter((f) => f['5xx'] || f.errors).map((f) => `${f['5xx']} answers 5xx and ${f.errors} errors at ${f.connections} connections: ${JSON.stringify(f.refusals)}`),
  ...(postgres.invariants.hold ? [] : ['PostgreSQL: ledger invariants broken']),
  ...(pglite && !pglite.invariants.hold ? ['PGlite: ledger invariants broken'] : []),
  ...(postgres.soak.keepsGrowing ? ['RSS keeps growing during the soak'] : []),
];
for (const f of findings) console.error(`FINDING: ${f}`);

writeResults('posting', {
  when: started.toISOString(),
  machine: machine(postgres.postgresVersion),
  settings: { secondsPerRun: SECONDS, connections: CONNECTIONS, soakSeconds: SOAK_SECONDS, accounts: ACCOUNTS },
  goals: { transfer2RandomToCeilingAt16: 0.5, transfer2HotToCeilingAt16: 1.0, memory: 'RSS does not keep growing over the soak' },
  postgres,
  pglite,
  findings,
});
if (findings.length) process.exitCode = 1;
