// Benchmark: posting throughput over HTTP with coalesced commits (issue 13; before it issue 6, benchmarks
// 1, 2, 3, 6 and 7).
//
//   npx tsx test/bench/posting.ts            (part of `npm run bench`, never of `npm test`)
//
// The real service runs as a second process (src/server.ts) on a fresh database of the server of
// TEST_DATABASE_URL or DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test), dropped at the end;
// this process sets up, through the API, a fund of 1,000 asset accounts (accounts[0] its bank account) and
// a prevention fund (an industry for dividends, a donation, monitored households) and drives the service
// over loopback, every request with its own Idempotency-Key.
//   A. At each connection count of BENCH_CONNECTIONS, each workload:
//        2-line transfers between random accounts; hot bank account (every transfer credits accounts[0]);
//        5-line splits (one source, four destinations); POST /v1/industries/{id}/dividends (5 lines);
//        disbursement approve + pay: each client approves (approver key) then pays (approver key: paying needs
//        the approve permission, which officer keys lack) requests an officer created beforehand
//        (BENCH_DISBURSEMENTS of them, shared by the runs in order; a run that uses up its share ends early).
//      For each run: rate (2xx a second; approve+pay pairs a second for disbursements), p50 and p99 latency,
//      2xx/4xx/5xx, and the posting groups it made (GET /v1/posting-groups before and after: groups, writes,
//      mean writes a group, the size histogram).
//   B. (Run first, on a ledger as small as the ceilings' fresh databases.) The targets, at 16 clients,
//      BENCH_TARGET_ROUNDS (2) rounds of: the service's 2-line random run, then
//      ../shared/bench/ceiling/group-http.mjs random (one database transaction per group, no service around
//      it), the service's hot run, group-http.mjs hot, the service's 5-line run — each ratio's two sides next
//      to each other, so that they see the machine in the same state; then the SQL ceilings of run.sh
//      (transfer2_random_pipe, transfer2_hot_pipe, transfer5_random_pipe). Targets at 16 clients:
//      2-line random ÷ group_http_random ≥ 0.4; hot ÷ group_http_hot ≥ 0.4; 5-line rate ≥ 0.8 × 2-line rate;
//      p99 ≤ 50 ms for the 2-line runs (random and hot). The SQL-ceiling ratios are printed beside them.
//   C. One versus two service processes on the same database: 2-line random at 16 clients, once on one
//      process, once 8 + 8 over two processes at once (rates summed).
//   D. Memory: the service's RSS during the 2-line random runs, then over a soak at 16 connections; it must
//      not keep growing.
//   E. 2-line random at 1 and 16 connections on the embedded PGlite (no DATABASE_URL).
// After the load, on each database, the ledger's invariants are checked (src/ledger/invariants.ts); every
// 5xx, 4xx, client error, split group and broken invariant is a finding (exit code 1), as is RSS that keeps
// growing over a soak of at least 30 s. Figures are printed and written to test/bench/results/posting.json.
//
// Tuning: BENCH_SECONDS (10 per run), BENCH_CONNECTIONS ("1,16,64"), BENCH_SOAK_SECONDS (180: a shorter soak mistakes the garbage collector's saw-tooth for growth),
// BENCH_ACCOUNTS (1000), BENCH_DISBURSEMENTS (3000 requests created for the approve + pay runs),
// BENCH_HOUSEHOLDS (500 they are spread over), BENCH_PGLITE=0 to skip the embedded run, BENCH_ONLY=targets for section B alone. The machine's other
// work moves the figures: the ceilings are measured in the same run for that reason.
import { randomInt } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { today as todayIn } from '../../src/ledger/dates.js';
import { idNumber } from '../helpers/fixtures.js';
import { histogram, type RunGroups, withGroups } from './lib/groups.js';
import { closedLoop, load, type LoadFigures, type LoopFigures, sampler, slopePerMinute, type Step } from './lib/load.js';
import {
  ADMIN_TOKEN, type Call, ceiling, client, createDatabase, expect, groupCeiling, inParallel, invariantsHold, keyFor, machine,
  postgresServer, round, seconds, type Service, startService, writeResults,
} from './lib/service.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = (process.env.BENCH_CONNECTIONS ?? '1,16,64').split(',').map(Number);
/** The targets, the ceilings, the one-versus-two-processes comparison and the soak are at 16 clients. */
const TARGET_CLIENTS = 16;
const TARGET_ROUNDS = Number(process.env.BENCH_TARGET_ROUNDS ?? 2);
const SOAK_SECONDS = Number(process.env.BENCH_SOAK_SECONDS ?? 180);
const ACCOUNTS = Number(process.env.BENCH_ACCOUNTS ?? 1000);
const DISBURSEMENTS = Number(process.env.BENCH_DISBURSEMENTS ?? 3000);
const HOUSEHOLDS = Number(process.env.BENCH_HOUSEHOLDS ?? 500);
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
  approver: string;
  /** accounts[0] is the fund's bank account, holding far more than the others. */
  accounts: string[];
  industryId: string;
  preventionFundId: string;
  /** Monitored households of the prevention fund's county (empty when set up without them). */
  householdIds: string[];
}

/**
 * A fund of ACCOUNTS asset accounts funded from an income account; a prevention fund with an industry for
 * dividends; with `households`, also a donation of 100,000,000.00 into the prevention fund and HOUSEHOLDS
 * monitored households (one CSV import) for the disbursements.
 */
async function setUp(service: Service, { households }: { households: boolean }): Promise<Ledger> {
  const admin = client(service.url, ADMIN_TOKEN);
  const officer = await keyFor(admin, 'officer');
  const approver = await keyFor(admin, 'approver');
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

  const householdIds: string[] = [];
  if (households) {
    await expect(201, record('POST', `/v1/funds/${prevention.id}/income`, { source: 'donation', payer: '某银行', date: today, amount: '100000000.00' }), 'donation');
    const csv = ['户编号,户主姓名,身份证号,村编码,家庭人口,监测类型,风险类型,纳入监测日期'];
    for (let n = 0; n < HOUSEHOLDS; n++) csv.push(`BH${String(n).padStart(5, '0')},张三明,${idNumber(n)},BENCH-V1,3,脱贫不稳定户,因病,2024-01-01`);
    await expect(200, record('POST', '/v1/households/import', `${csv.join('\n')}\n`), 'household import');
    let cursor = '';
    do {
      const page = await expect(200, record('GET', `/v1/households?villageId=${project}&limit=500${cursor ? `&cursor=${cursor}` : ''}`), 'households');
      householdIds.push(...page.items.map((h: { id: string }) => h.id));
      cursor = page.nextCursor ?? '';
    } while (cursor);
    if (householdIds.length !== HOUSEHOLDS) throw new Error(`${householdIds.length} households listed, ${HOUSEHOLDS} imported`);
  }
  return { officer, approver, accounts, industryId: industry.id, preventionFundId: prevention.id, householdIds };
}

/**
 * DISBURSEMENTS living-allowance requests by the officer, in turn over the households, so that the requests
 * taken one after the other (as the clients take them) are for different households and do not queue on one
 * household's lock. Untimed set-up.
 */
async function requestDisbursements(service: Service, l: Ledger): Promise<string[]> {
  const record = client(service.url, l.officer);
  return inParallel([...Array(DISBURSEMENTS).keys()], 16, async (i) => {
    const body = { fundId: l.preventionFundId, householdId: l.householdIds[i % l.householdIds.length]!, category: 'living_allowance', amount: cents(randomInt(10_000, 80_000)), date: today };
    const created = await expect(201, record('POST', '/v1/disbursements', body, { 'idempotency-key': `bench-request-${i}` }), 'disbursement request');
    return created.id as string;
  });
}

const transfer2 = (l: Ledger) => () => {
  const [a, b] = pick(2);
  const amount = cents(randomInt(100, 10_000));
  return { date: today, description: 'bench transfer', lines: [line(l.accounts[a!]!, 'debit', amount), line(l.accounts[b!]!, 'credit', amount)] };
};

/** Out of the bank to a random account, as a disbursement pays: every transfer credits accounts[0]. */
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

type Measured = LoadFigures & { groups: RunGroups; workload: string; requestsPerSecond?: number; pairsPerSecond?: number; pairs?: number; exhausted?: boolean };

const run = (url: string, l: Ledger, connections: number, body: () => object, path = '/v1/transactions', duration = SECONDS) =>
  load({ url, token: l.officer, path, connections, duration, body });

async function measured(workload: string, services: Service[], work: () => Promise<LoadFigures>): Promise<Measured> {
  const figures = await withGroups(
    services.map((s) => s.url),
    work,
  );
  return { workload, ...figures };
}

interface Workload {
  name: string;
  path?: string;
  body: (l: Ledger) => () => object;
}

const workloads: Workload[] = [
  { name: '2-line random', body: transfer2 },
  { name: '2-line hot bank', body: hotTransfer },
  { name: '5-line split', body: split5 },
  { name: 'dividend (5 lines)', path: 'dividends', body: () => dividend },
];

/** Approve + pay at each connection count; the runs share the requests created beforehand, in order. */
async function disbursementRuns(service: Service, l: Ledger, pool: string[]): Promise<Measured[]> {
  const runs: Measured[] = [];
  let next = 0;
  for (const [i, connections] of CONNECTIONS.entries()) {
    // Each run may use its share of what is left; what a run leaves goes to the next ones.
    const budget = Math.floor((pool.length - next) / (CONNECTIONS.length - i));
    const last = next + budget;
    const unit = (): Step[] | null => {
      if (next >= last) return null;
      const id = pool[next++]!;
      return [
        { method: 'POST', path: `/v1/disbursements/${id}/approve`, token: l.approver },
        { method: 'POST', path: `/v1/disbursements/${id}/pay`, token: l.approver, body: { bankReference: `BENCH-YKT-${id.slice(0, 8)}` } },
      ];
    };
    const figures = await withGroups([service.url], () => closedLoop({ url: service.url, connections, duration: SECONDS, next: unit }));
    runs.push(asPairs(figures));
  }
  return runs;
}

const asPairs = (f: LoopFigures & { groups: RunGroups }): Measured => ({
  ...f,
  workload: 'disbursement approve + pay',
  requestsPerSecond: f.perSecond,
  perSecond: f.unitsPerSecond,
  pairsPerSecond: f.unitsPerSecond,
  pairs: f.units,
});

/** A workload at every connection count, the service's memory sampled throughout. */
async function atEveryCount(service: Service, l: Ledger, w: Workload) {
  const path = w.path === 'dividends' ? `/v1/industries/${l.industryId}/dividends` : '/v1/transactions';
  const rss = sampler(() => service.memory().rssMiB, 1000);
  const runs: Measured[] = [];
  for (const c of CONNECTIONS) {
    console.log(`  ${w.name} at ${c}`);
    runs.push(await measured(w.name, [service], () => run(service.url, l, c, w.body(l), path)));
  }
  const samples = rss.stop();
  return { runs, memory: { maxSampledRssMiB: Math.max(...samples.map((s) => s.value)), peakRssMiB: service.memory().peakMiB } };
}

async function soak(service: Service, l: Ledger) {
  const rss = sampler(() => service.memory().rssMiB, Math.min(5000, Math.max(500, (SOAK_SECONDS * 1000) / 12)));
  const figures = await measured('soak 2-line random', [service], () => run(service.url, l, TARGET_CLIENTS, transfer2(l), '/v1/transactions', SOAK_SECONDS));
  const samples = rss.stop();
  const values = samples.map((s) => s.value);
  const end = samples.at(-1)!.s;
  const lastHalf = samples.filter((s) => s.s >= end / 2);
  const slope = round(slopePerMinute(lastHalf), 2);
  // Growth is a rising trend whose floor rises too: the garbage collector's saw-tooth (±50 MiB here) tilts
  // a fitted slope either way, but what it returns to — the lowest reading of the last third against that
  // of the first — stays where it was unless memory is kept.
  const floor = (from: number, to: number) => Math.min(...samples.filter((s) => s.s >= from && s.s <= to).map((s) => s.value));
  const risen = round(floor((2 * end) / 3, end) - floor(0, end / 3));
  return {
    seconds: SOAK_SECONDS,
    connections: TARGET_CLIENTS,
    figures,
    rssMiB: { first: values[0], last: values.at(-1), max: Math.max(...values), min: Math.min(...values) },
    slopeLastHalfMiBPerMinute: slope,
    // Under half a minute the slope says nothing (the heap is still finding its size): not judged.
    judged: SOAK_SECONDS >= 30,
    floorRiseMiB: risen,
    keepsGrowing: SOAK_SECONDS >= 30 && slope > 1 && risen > 2,
    samples: samples.map((s) => [round(s.s), s.value]),
  };
}

/** 2-line random at 16 on one process, then 8 + 8 on two processes of the same database at once. */
async function oneVersusTwo(database: { url: string }, first: Service, l: Ledger) {
  console.log(`C. one versus two service processes, 2-line random at ${TARGET_CLIENTS}`);
  const one = await measured('2-line random, 1 process', [first], () => run(first.url, l, TARGET_CLIENTS, transfer2(l)));
  const second = await startService(database);
  try {
    await run(second.url, l, 4, transfer2(l), '/v1/transactions', 3); // warm-up of the second process, not counted
    const half = Math.floor(TARGET_CLIENTS / 2);
    const parts = await withGroups([first.url, second.url], async () => ({
      parts: await Promise.all([run(first.url, l, half, transfer2(l)), run(second.url, l, TARGET_CLIENTS - half, transfer2(l))]),
    }));
    const sum = (k: '2xx' | '4xx' | '5xx' | 'errors' | 'timeouts') => parts.parts.reduce((a, p) => a + p[k], 0);
    const two: Measured = {
      workload: '2-line random, 2 processes',
      connections: TARGET_CLIENTS,
      seconds: Math.max(...parts.parts.map((p) => p.seconds)),
      perSecond: round(parts.parts.reduce((a, p) => a + p.perSecond, 0)),
      // Percentiles of two runs do not add up: the larger of the two.
      p50ms: Math.max(...parts.parts.map((p) => p.p50ms)),
      p99ms: Math.max(...parts.parts.map((p) => p.p99ms)),
      '2xx': sum('2xx'),
      '4xx': sum('4xx'),
      '5xx': sum('5xx'),
      errors: sum('errors'),
      timeouts: sum('timeouts'),
      refusals: Object.assign({}, ...parts.parts.map((p) => p.refusals)),
      groups: parts.groups,
    };
    const secondExitCode = await second.stop();
    return {
      one,
      two: { ...two, perProcess: parts.parts.map((p) => ({ connections: p.connections, perSecond: p.perSecond, p50ms: p.p50ms, p99ms: p.p99ms })) },
      twoDividedByOne: one.perSecond ? round(two.perSecond / one.perSecond, 2) : null,
      faster: two.perSecond > one.perSecond ? 'two processes' : 'one process',
      secondServiceExitCode: secondExitCode,
    };
  } finally {
    await second.stop();
  }
}

async function onPostgres() {
  const database = await createDatabase(postgresServer());
  let service: Service | undefined;
  try {
    service = await startService({ url: database.url });
    let t = process.hrtime.bigint();
    console.log(`PostgreSQL ${database.postgresVersion}: setting up ${ACCOUNTS} accounts, a prevention fund and ${HOUSEHOLDS} households`);
    const l = await setUp(service, { households: true });
    console.log(`  set up in ${round(seconds(t))} s`);

    await run(service.url, l, 4, transfer2(l), '/v1/transactions', 3); // warm-up, not counted
    // First, on a ledger as small as the ceilings' fresh databases: by the end of A it holds ~10^6 lines.
    const sideBySide = await targetRuns(service, l);
    console.log(`A. each workload, ${SECONDS} s at ${CONNECTIONS.join(', ')} connections`);
    const runs: Record<string, Measured[]> = {};
    let memoryDuringTransfer2: { maxSampledRssMiB: number; peakRssMiB: number } | undefined;
    for (const w of workloads) {
      const r = await atEveryCount(service, l, w);
      runs[w.name] = r.runs;
      memoryDuringTransfer2 ??= r.memory;
    }
    t = process.hrtime.bigint();
    console.log(`  disbursements: ${DISBURSEMENTS} requests created beforehand`);
    const pool = await requestDisbursements(service, l);
    console.log(`  created in ${round(seconds(t))} s; approve + pay at ${CONNECTIONS.join(', ')}`);
    runs['disbursement approve + pay'] = await disbursementRuns(service, l, pool);

    const ceilings = {
      clients: TARGET_CLIENTS,
      seconds: SECONDS,
      group_http_random: sideBySide.ceilings.random,
      group_http_hot: sideBySide.ceilings.hot,
      transfer2_random_pipe: ceiling('transfer2_random_pipe', TARGET_CLIENTS, SECONDS),
      transfer2_hot_pipe: ceiling('transfer2_hot_pipe', TARGET_CLIENTS, SECONDS),
      transfer5_random_pipe: ceiling('transfer5_random_pipe', TARGET_CLIENTS, SECONDS),
    };

    const processes = await oneVersusTwo(database, service, l);

    console.log(`D. soak: ${SOAK_SECONDS} s at ${TARGET_CLIENTS}`);
    const soaked = await soak(service, l);
    const afterSoak = service.memory();

    const exitCode = await service.stop();
    const invariants = await invariantsHold({ url: database.url });
    return {
      postgresVersion: database.postgresVersion,
      runs,
      memoryDuringTransfer2,
      ceilings,
      targetRuns: sideBySide.runs,
      targets: targets(sideBySide.runs, ceilings),
      processes,
      soak: { ...soaked, afterSoak },
      serviceExitCode: exitCode,
      invariants,
    };
  } finally {
    await service?.stop();
    await database.drop();
  }
}

/**
 * B. What the targets are judged on: at 16 clients, each service run next to the grouped ceiling it is
 * divided by, TARGET_ROUNDS times over (random, its ceiling, hot, its ceiling, 5-line), so that both sides
 * of a ratio see the machine in the same state (a checkpoint, autovacuum or a neighbour moves a run by
 * 10–30 %); each rate is the mean of its rounds.
 */
async function targetRuns(service: Service, l: Ledger) {
  console.log(`B (first). the targets: service and ceiling side by side at ${TARGET_CLIENTS} clients, ${TARGET_ROUNDS} rounds of ${SECONDS} s each`);
  const rounds: { random: Measured; hot: Measured; split: Measured; ceilingRandom: { tps: number; meanGroup: number } | null; ceilingHot: { tps: number; meanGroup: number } | null }[] = [];
  for (let i = 0; i < TARGET_ROUNDS; i++) {
    const random = await measured('2-line random', [service], () => run(service.url, l, TARGET_CLIENTS, transfer2(l)));
    const ceilingRandom = groupCeiling('random', TARGET_CLIENTS, SECONDS);
    const hot = await measured('2-line hot bank', [service], () => run(service.url, l, TARGET_CLIENTS, hotTransfer(l)));
    const ceilingHot = groupCeiling('hot', TARGET_CLIENTS, SECONDS);
    const split = await measured('5-line split', [service], () => run(service.url, l, TARGET_CLIENTS, split5(l)));
    console.log(
      `  round ${i + 1}: random ${random.perSecond} / ${ceilingRandom?.tps ?? '—'}, hot ${hot.perSecond} / ${ceilingHot?.tps ?? '—'}, 5-line ${split.perSecond}`,
    );
    rounds.push({ random, hot, split, ceilingRandom, ceilingHot });
  }
  const mean = (values: (number | undefined)[]) => {
    const known = values.filter((v): v is number => v !== undefined);
    return known.length === values.length ? round(known.reduce((a, b) => a + b, 0) / known.length) : undefined;
  };
  // A run of the rounds' mean rate, with the worst p99 of the rounds.
  const merged = (pick: (r: (typeof rounds)[number]) => Measured): Measured => {
    const each = rounds.map(pick);
    return { ...each[0]!, perSecond: mean(each.map((m) => m.perSecond))!, p99ms: Math.max(...each.map((m) => m.p99ms)), rounds: each.map((m) => m.perSecond) } as Measured;
  };
  const ceilingOf = (pick: (r: (typeof rounds)[number]) => { tps: number; meanGroup: number } | null) => {
    const tps = mean(rounds.map((r) => pick(r)?.tps));
    return tps === undefined ? null : { tps, meanGroup: mean(rounds.map((r) => pick(r)?.meanGroup)) ?? null, rounds: rounds.map((r) => pick(r)?.tps ?? null) };
  };
  return {
    runs: { '2-line random': [merged((r) => r.random)], '2-line hot bank': [merged((r) => r.hot)], '5-line split': [merged((r) => r.split)] } as Record<string, Measured[]>,
    ceilings: { random: ceilingOf((r) => r.ceilingRandom), hot: ceilingOf((r) => r.ceilingHot) },
  };
}

type Ceilings = {
  group_http_random: { tps: number } | null;
  group_http_hot: { tps: number } | null;
  transfer2_random_pipe: number | null;
  transfer2_hot_pipe: number | null;
  transfer5_random_pipe: number | null;
};

/** The targets of issue 13 at 16 clients, each with its SQL-ceiling ratio beside it. */
function targets(runs: Record<string, Measured[]>, c: Ceilings) {
  const at = (workload: string) => runs[workload]?.find((r) => r.connections === TARGET_CLIENTS);
  const ratio = (a: number | undefined, b: number | null | undefined) => (a !== undefined && b ? round(a / b, 2) : null);
  const verdict = (value: number | null, ok: (v: number) => boolean) => (value === null ? 'not measured' : ok(value) ? 'met' : 'NOT MET');
  const random = at('2-line random');
  const hot = at('2-line hot bank');
  const split = at('5-line split');
  const rows = [
    {
      target: `2-line random ÷ group_http_random at ${TARGET_CLIENTS}`,
      value: ratio(random?.perSecond, c.group_http_random?.tps),
      goal: '≥ 0.4',
      check: (v: number) => v >= 0.4,
      sql: `÷ transfer2_random_pipe ${ratio(random?.perSecond, c.transfer2_random_pipe) ?? '—'}`,
    },
    {
      target: `2-line hot ÷ group_http_hot at ${TARGET_CLIENTS}`,
      value: ratio(hot?.perSecond, c.group_http_hot?.tps),
      goal: '≥ 0.4',
      check: (v: number) => v >= 0.4,
      sql: `÷ transfer2_hot_pipe ${ratio(hot?.perSecond, c.transfer2_hot_pipe) ?? '—'}`,
    },
    {
      target: `5-line rate ÷ 2-line random rate at ${TARGET_CLIENTS}`,
      value: ratio(split?.perSecond, random?.perSecond),
      goal: '≥ 0.8',
      check: (v: number) => v >= 0.8,
      sql: `5-line ÷ transfer5_random_pipe ${ratio(split?.perSecond, c.transfer5_random_pipe) ?? '—'}`,
    },
    { target: `2-line random p99 ms at ${TARGET_CLIENTS}`, value: random?.p99ms ?? null, goal: '≤ 50', check: (v: number) => v <= 50, sql: '' },
    { target: `2-line hot p99 ms at ${TARGET_CLIENTS}`, value: hot?.p99ms ?? null, goal: '≤ 50', check: (v: number) => v <= 50, sql: '' },
  ];
  return rows.map(({ check, ...r }) => ({ ...r, verdict: verdict(r.value, check) }));
}

async function onPglite() {
  const dataDir = mkdtempSync(join(tmpdir(), 'fl-bench-pglite-'));
  let service: Service | undefined;
  try {
    service = await startService({ dataDir });
    console.log(`E. embedded PGlite: setting up ${ACCOUNTS} accounts`);
    const l = await setUp(service, { households: false });
    await run(service.url, l, 4, transfer2(l), '/v1/transactions', 3); // warm-up, not counted
    const rss = sampler(() => service!.memory().rssMiB, 1000);
    const runs: Measured[] = [];
    for (const c of [1, TARGET_CLIENTS]) {
      console.log(`  PGlite 2-line random at ${c}`);
      runs.push(await measured('PGlite 2-line random', [service], () => run(service!.url, l, c, transfer2(l))));
    }
    const samples = rss.stop();
    const memory = { maxSampledRssMiB: Math.max(...samples.map((s) => s.value)), peakRssMiB: service.memory().peakMiB };
    const exitCode = await service.stop();
    return { transfer2: runs, memoryDuringTransfer2: memory, serviceExitCode: exitCode, invariants: await invariantsHold({ dataDir }) };
  } finally {
    await service?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const show = (where: string, f: Measured) => ({
  run: `${where}${f.workload}`,
  clients: f.connections,
  'per s': f.perSecond,
  'p50 ms': f.p50ms,
  'p99 ms': f.p99ms,
  '2xx': f['2xx'],
  '4xx': f['4xx'],
  '5xx': f['5xx'],
  errors: f.errors,
  groups: f.groups.groups,
  writes: f.groups.writes,
  'writes/group': f.groups.meanWritesPerGroup,
  sizes: histogram(f.groups.sizes),
});

/** BENCH_ONLY=targets: section B alone (about three minutes), to check the targets after a change. */
async function targetsOnly() {
  const database = await createDatabase(postgresServer());
  const service = await startService({ url: database.url });
  try {
    const l = await setUp(service, { households: false });
    await run(service.url, l, 4, transfer2(l), '/v1/transactions', 3); // warm-up, not counted
    const sideBySide = await targetRuns(service, l);
    const none = { transfer2_random_pipe: null, transfer2_hot_pipe: null, transfer5_random_pipe: null };
    console.table(targets(sideBySide.runs, { group_http_random: sideBySide.ceilings.random, group_http_hot: sideBySide.ceilings.hot, ...none }));
  } finally {
    await service.stop();
    await database.drop();
  }
}

if (process.env.BENCH_ONLY === 'targets') {
  await targetsOnly();
  process.exit(0);
}

const started = new Date();
const postgres = await onPostgres();
const pglite = WITH_PGLITE ? await onPglite() : null;

const allRuns: Measured[] = [
  ...Object.values(postgres.runs).flat(),
  postgres.processes.one,
  postgres.processes.two,
  postgres.soak.figures,
  ...(pglite?.transfer2 ?? []),
];
console.log('\nRuns (per s: 2xx a second; for disbursements, approve + pay pairs a second, latency per request)');
console.table([
  ...Object.values(postgres.runs).flat().map((f) => show('PG ', f)),
  show('PG ', postgres.processes.one),
  show('PG ', postgres.processes.two),
  show('PG ', postgres.soak.figures),
  ...(pglite?.transfer2.map((f) => show('', f)) ?? []),
]);
const exhausted = postgres.runs['disbursement approve + pay']!.filter((f) => f.exhausted);
for (const f of exhausted) console.log(`disbursements at ${f.connections}: the requests set aside for the run ran out after ${f.seconds} s (${f.pairs} pairs)`);

const c = postgres.ceilings;
console.log(`\nCeilings at ${c.clients} clients, ${c.seconds} s`);
console.table([
  { ceiling: 'group_http_random', tps: c.group_http_random?.tps ?? null, 'mean group': c.group_http_random?.meanGroup ?? null },
  { ceiling: 'group_http_hot', tps: c.group_http_hot?.tps ?? null, 'mean group': c.group_http_hot?.meanGroup ?? null },
  { ceiling: 'transfer2_random_pipe', tps: c.transfer2_random_pipe, 'mean group': null },
  { ceiling: 'transfer2_hot_pipe', tps: c.transfer2_hot_pipe, 'mean group': null },
  { ceiling: 'transfer5_random_pipe', tps: c.transfer5_random_pipe, 'mean group': null },
]);
console.log(`\nTargets at ${TARGET_CLIENTS} clients (issue 13)`);
console.table(postgres.targets.map((t) => ({ target: t.target, value: t.value, goal: t.goal, '': t.verdict, 'SQL ceiling': t.sql })));

const p = postgres.processes;
console.log(
  `\nOne versus two processes, 2-line random at ${TARGET_CLIENTS}: one ${p.one.perSecond}/s (p99 ${p.one.p99ms} ms), ` +
    `two ${p.two.perSecond}/s (${p.two.perProcess.map((x) => `${x.perSecond}`).join(' + ')}; p99 ${p.two.p99ms} ms): ` +
    `${p.faster} faster (two ÷ one ${p.twoDividedByOne})`,
);
console.table({
  'PostgreSQL, 2-line random runs': postgres.memoryDuringTransfer2,
  'PostgreSQL, after soak': { maxSampledRssMiB: postgres.soak.rssMiB.max, peakRssMiB: postgres.soak.afterSoak.peakMiB },
  ...(pglite ? { 'PGlite, 2-line random runs': pglite.memoryDuringTransfer2 } : {}),
});
console.log(
  `soak RSS MiB first ${postgres.soak.rssMiB.first}, last ${postgres.soak.rssMiB.last}, max ${postgres.soak.rssMiB.max}; ` +
    `slope over the last half ${postgres.soak.slopeLastHalfMiBPerMinute} MiB/min, floor of the last third ${postgres.soak.floorRiseMiB >= 0 ? '+' : ''}${postgres.soak.floorRiseMiB} MiB on the first's: ` +
    `${!postgres.soak.judged ? `not judged (a soak under 30 s)` : postgres.soak.keepsGrowing ? 'KEEPS GROWING' : 'flat'}`,
);
console.log(`invariants: PostgreSQL ${postgres.invariants.hold ? 'hold' : 'BROKEN'}${pglite ? `, PGlite ${pglite.invariants.hold ? 'hold' : 'BROKEN'}` : ''}`);

const findings = [
  ...allRuns
    .filter((f) => f['5xx'] || f['4xx'] || f.errors)
    .map((f) => `${f.workload} at ${f.connections}: ${f['5xx']} answers 5xx, ${f['4xx']} 4xx, ${f.errors} errors: ${JSON.stringify(f.refusals)}`),
  ...allRuns.filter((f) => f.groups.split).map((f) => `${f.workload} at ${f.connections}: ${f.groups.split} groups failed as a whole and were split`),
  ...(postgres.invariants.hold ? [] : ['PostgreSQL: ledger invariants broken']),
  ...(pglite && !pglite.invariants.hold ? ['PGlite: ledger invariants broken'] : []),
  ...(postgres.soak.keepsGrowing ? ['RSS keeps growing during the soak'] : []),
];
for (const f of findings) console.error(`FINDING: ${f}`);

writeResults('posting', {
  when: started.toISOString(),
  machine: machine(postgres.postgresVersion),
  settings: {
    secondsPerRun: SECONDS,
    connections: CONNECTIONS,
    targetClients: TARGET_CLIENTS,
    soakSeconds: SOAK_SECONDS,
    accounts: ACCOUNTS,
    disbursements: DISBURSEMENTS,
    households: HOUSEHOLDS,
  },
  goals: {
    transfer2RandomToGroupHttpRandomAt16: 0.4,
    transfer2HotToGroupHttpHotAt16: 0.4,
    split5ToTransfer2At16: 0.8,
    p99MsOf2LineRunsAt16: 50,
    memory: 'RSS does not keep growing over the soak',
  },
  postgres,
  pglite,
  findings,
});
if (findings.length) process.exitCode = 1;
