// Benchmark: a 1,000-household living-allowance batch requested, approved and paid through the API
// (issue 6, benchmark 4).
//
//   npx tsx test/bench/batch-disbursement.ts            (part of `npm run bench`, never of `npm test`)
//
// The real service runs as a second process (src/server.ts) on a fresh database of the server of
// TEST_DATABASE_URL or DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test), dropped at the end.
// Set-up, untimed: 10 villages, 1,000 monitored households (one CSV import), a prevention fund with a
// donation received. Then, each step timed as one HTTP request: an officer key requests the batch, an
// approver key approves it (the reservation voucher) and pays it (one voucher, a line per household).
// Reported: seconds per step and total, batch lines (households) per second, journal lines written.
// After it the ledger's invariants are checked. Figures in test/bench/results/batch-disbursement.json.
// Tuning: BENCH_HOUSEHOLDS (1000). No target is set in the issue: the figures are for the README.
import { randomInt } from 'node:crypto';
import { today as todayIn } from '../../src/ledger/dates.js';
import { idNumber } from '../helpers/fixtures.js';
import {
  ADMIN_TOKEN, client, createDatabase, expect, invariantsHold, keyFor, machine, postgresServer, round, seconds, type Service, startService, writeResults,
} from './lib/service.js';

const HOUSEHOLDS = Number(process.env.BENCH_HOUSEHOLDS ?? 1000);
const VILLAGES = 10;
const today = todayIn('Asia/Shanghai');

const started = new Date();
const database = await createDatabase(postgresServer());
let service: Service | undefined;
try {
  service = await startService({ url: database.url });
  const admin = client(service.url, ADMIN_TOKEN);
  const officer = client(service.url, await keyFor(admin, 'officer'));
  const approver = client(service.url, await keyFor(admin, 'approver'));

  console.log(`setting up ${HOUSEHOLDS} monitored households in ${VILLAGES} villages`);
  const villageIds: string[] = [];
  for (let v = 0; v < VILLAGES; v++) {
    const village = await expect(201, officer('POST', '/v1/villages', { code: `BV${v}`, name: `基准${v}村`, township: '某乡', county: '某县' }), 'village');
    villageIds.push(village.id);
  }
  const csv = ['户编号,户主姓名,身份证号,村编码,家庭人口,监测类型,风险类型,纳入监测日期'];
  for (let n = 0; n < HOUSEHOLDS; n++) csv.push(`BH${String(n).padStart(5, '0')},张三明,${idNumber(n)},BV${n % VILLAGES},3,脱贫不稳定户,因病,2024-01-01`);
  await expect(200, officer('POST', '/v1/households/import', `${csv.join('\n')}\n`), 'household import');
  const householdIds: string[] = [];
  for (const villageId of villageIds) {
    let cursor = '';
    do {
      const page = await expect(200, officer('GET', `/v1/households?villageId=${villageId}&limit=500${cursor ? `&cursor=${cursor}` : ''}`), 'households');
      householdIds.push(...page.items.map((h: { id: string }) => h.id));
      cursor = page.nextCursor ?? '';
    } while (cursor);
  }
  if (householdIds.length !== HOUSEHOLDS) throw new Error(`${householdIds.length} households listed, ${HOUSEHOLDS} imported`);
  const fund = await expect(
    201,
    admin('POST', '/v1/funds', { code: 'BENCH-BATCH', name: '基准防返贫基金', organisation: '某县', purpose: 'benchmark', template: 'prevention', allowedCategories: ['living_allowance'] }),
    'prevention fund',
  );
  await expect(201, officer('POST', `/v1/funds/${fund.id}/income`, { source: 'donation', payer: '某银行', date: today, amount: '100000000.00' }), 'donation');

  const items = householdIds.map((householdId) => ({ householdId, amount: `${randomInt(300, 800)}.${String(randomInt(0, 100)).padStart(2, '0')}` }));
  const journalLines = async (transactionId: string | null) =>
    transactionId ? (await expect(200, officer('GET', `/v1/transactions/${transactionId}`), 'voucher')).lines.length : 0;
  const step = async (name: string, work: () => Promise<any>) => {
    const t = process.hrtime.bigint();
    const body = await work();
    return { name, body, seconds: seconds(t) };
  };

  console.log(`requesting, approving and paying a batch of ${HOUSEHOLDS}`);
  const key = (s: string) => ({ 'idempotency-key': `bench-batch-${s}-${started.getTime()}` });
  const requested = await step('request', () =>
    expect(201, officer('POST', '/v1/disbursement-batches', { fundId: fund.id, date: today, description: '基准生活补助', items }, key('request')), 'request'),
  );
  const batchId = requested.body.id;
  const approved = await step('approve', () => expect(200, approver('POST', `/v1/disbursement-batches/${batchId}/approve`, undefined, key('approve')), 'approve'));
  const paid = await step('pay', () =>
    expect(200, approver('POST', `/v1/disbursement-batches/${batchId}/pay`, { bankReference: 'BENCH-YKT-0001' }, key('pay')), 'pay'),
  );
  if (paid.body.status !== 'paid') throw new Error(`the batch is ${paid.body.status} after paying`);

  const steps = [
    { ...requested, journalLines: 0 },
    { ...approved, journalLines: await journalLines(approved.body.approvalTransactionId) },
    { ...paid, journalLines: await journalLines(paid.body.paymentTransactionId) },
  ].map((s) => ({ step: s.name, seconds: round(s.seconds, 3), householdsPerSecond: round(HOUSEHOLDS / s.seconds), journalLines: s.journalLines }));
  const total = steps.reduce((a, s) => a + s.seconds, 0);
  steps.push({ step: 'total', seconds: round(total, 3), householdsPerSecond: round(HOUSEHOLDS / total), journalLines: steps.reduce((a, s) => a + s.journalLines, 0) });
  console.table(steps);

  await service.stop();
  const invariants = await invariantsHold({ url: database.url });
  console.log(`invariants ${invariants.hold ? 'hold' : 'BROKEN'}`);
  writeResults('batch-disbursement', {
    when: started.toISOString(),
    machine: machine(database.postgresVersion),
    households: HOUSEHOLDS,
    villages: VILLAGES,
    steps,
    invariants,
  });
  if (!invariants.hold) process.exitCode = 1;
} finally {
  await service?.stop();
  await database.drop();
}
