// The field scenario, through the API: `npm run demo`. Where it goes:
//
// - LEDGER_URL and LEDGER_TOKEN (an admin token of that service): into a running service, over HTTP. The way
//   to try it beside `npm start`: the embedded database has one owner at a time, and the service is it.
// - DATABASE_URL (with LEDGER_ID_HASH_KEY): into that PostgreSQL database, where the service may run meanwhile.
// - LEDGER_DATA_DIR: into that folder of the embedded database, which no other process may have open: while
//   the service runs on it, the demo refuses before opening anything and says how to go through the service.
// - none of them: an in-memory database, so it leaves nothing behind.
//
// Each run adds a scenario of its own beside any earlier one: its codes and fictitious ID numbers are new to
// the run, so nothing the ledger holds once (codes, ID numbers) refuses it half-way.
import { randomBytes } from 'node:crypto';
import { buildApp } from '../src/app.js';
import { ConfigError, loadConfig } from '../src/config.js';
import { type Database, openDatabase } from '../src/db/client.js';
import { DataDirLockedError } from '../src/db/data-dir-lock.js';
import { fictitiousIdNumbers } from './fictitious-ids.js';
import { resolveIdHashKey } from '../src/secrets.js';

type Send = (method: 'GET' | 'POST', url: string, body: unknown, token: string) => Promise<{ status: number; text: string }>;

function stop(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

const serviceUrl = process.env.LEDGER_URL?.replace(/\/+$/, '');
let send: Send;
let adminToken: string;
let where: 'service' | 'postgres' | 'folder' | 'memory';
let close = async () => {};
let dataDir = '';

if (serviceUrl) {
  where = 'service';
  adminToken = process.env.LEDGER_TOKEN ?? '';
  if (!adminToken) stop('LEDGER_URL needs LEDGER_TOKEN: an admin token of that service (the one it printed at its first start, or its LEDGER_ADMIN_TOKEN).');
  send = async (method, url, body, token) => {
    const response = await fetch(`${serviceUrl}${url}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: response.status, text: await response.text() };
  };
  // Before the first write: the service answers, and the token may open funds and issue keys.
  const me = await send('GET', '/v1/me', undefined, adminToken).catch((error: Error) =>
    stop(`No service answers at ${serviceUrl} (${(error.cause as Error | undefined)?.message ?? error.message}): start it (npm start) or correct LEDGER_URL.`),
  );
  if (me.status !== 200) stop(`The service at ${serviceUrl} refused LEDGER_TOKEN (${me.status}): give an admin token of that service.`);
  const role = (JSON.parse(me.text) as { role: string }).role;
  if (role !== 'admin') stop(`LEDGER_TOKEN is a key of role ${role}; the demo opens funds and issues keys, which needs an admin token.`);
} else {
  adminToken = `demo-${randomBytes(16).toString('hex')}`;
  let config;
  try {
    config = loadConfig({ ...process.env, LEDGER_ADMIN_TOKEN: adminToken, LOG_LEVEL: 'silent' });
  } catch (error) {
    if (error instanceof ConfigError) stop(error.message);
    throw error;
  }
  where = config.DATABASE_URL ? 'postgres' : process.env.LEDGER_DATA_DIR ? 'folder' : 'memory';
  dataDir = config.LEDGER_DATA_DIR;
  let database: Database;
  try {
    database = openDatabase(config.DATABASE_URL ? { url: config.DATABASE_URL } : { dataDir: where === 'folder' ? dataDir : 'memory://' });
  } catch (error) {
    if (!(error instanceof DataDirLockedError)) throw error;
    const host = config.HOST === '0.0.0.0' ? '127.0.0.1' : config.HOST;
    stop(
      `${error.message}\n\nIf that is the service (npm start), load the scenario into it through its API instead, with an admin token of it:\n\n` +
        `  LEDGER_URL=http://${host}:${config.PORT} LEDGER_TOKEN=fl_... npm run demo\n`,
    );
  }
  let idHashKey: string;
  try {
    idHashKey = where === 'memory' ? randomBytes(32).toString('hex') : resolveIdHashKey(config);
  } catch (error) {
    await database.close();
    stop((error as Error).message);
  }
  await database.migrate();
  const app = await buildApp({ config, database, idHashKey });
  send = async (method, url, body, token) => {
    const response = await app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(body ? { payload: body as object } : {}) });
    return { status: response.statusCode, text: response.body };
  };
  close = async () => {
    await app.close();
    await database.close();
  };
}
const keep = where !== 'memory';

async function api<T = any>(method: 'GET' | 'POST', url: string, body?: unknown, token = adminToken): Promise<T> {
  const response = await send(method, url, body, token);
  const parsed = JSON.parse(response.text);
  if (response.status >= 300) throw new Error(`${method} ${url} → ${response.status} ${parsed.code}: ${parsed.detail}`);
  return parsed as T;
}

const run = `${Date.now().toString(36)}`;
const code = (prefix: string) => `${prefix}-${run}`;
const idNumber = fictitiousIdNumbers();
const table = (rows: string[][]) => {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => [...r[i]!].reduce((w, ch) => w + (ch.charCodeAt(0) > 0x2e80 ? 2 : 1), 0))));
  for (const r of rows) {
    console.log(
      '  ' +
        r
          .map((cell, i) => {
            const width = [...cell].reduce((w, ch) => w + (ch.charCodeAt(0) > 0x2e80 ? 2 : 1), 0);
            const pad = ' '.repeat(widths[i]! - width);
            return /^-?[\d,]+\.\d\d$/.test(cell) ? pad + cell : cell + pad;
          })
          .join('  '),
    );
  }
};

// Two finance officers of the township: one records, the other approves and pays (maker–checker).
// Both keys reach 红旗乡 only: its fund, its villages and households, and nothing of other townships.
const scopes = { townships: ['红旗乡'] };
const recorder = (await api('POST', '/v1/api-keys', { name: '王会计 (records)', role: 'officer', scopes })).token as string;
const approver = (await api('POST', '/v1/api-keys', { name: '李审核 (approves)', role: 'approver', scopes })).token as string;

const village = ([key, name]: [string, string]) => api('POST', '/v1/villages', { code: code(key), name, township: '红旗乡', county: '某县' }, recorder);
const [qingshan, hongxing, baishui, shiqiao] = await Promise.all(
  ([['QS', '青山村'], ['HX', '红星村'], ['BS', '白水村'], ['SQ', '石桥村']] as [string, string][]).map(village),
);

const township = await api(
  'POST',
  '/v1/funds',
  {
    code: code('HQX-FPJJ'),
    name: '红旗乡防止返贫专项基金',
    organisation: '某县红旗乡人民政府',
    purpose: '防止返贫监测帮扶：医疗补贴、生活补助、临时救助',
    template: 'prevention',
    allowedCategories: ['medical_subsidy', 'living_allowance', 'temporary_relief'],
    yearlyCaps: { medical_subsidy: '10000.00', temporary_relief: '5000.00' },
    township: '红旗乡',
  },
  // Opening a fund is the county administrator's: the bootstrap admin here.
);

// The beef-cattle enterprise built with east–west cooperation money: 40 % to 青山村, 60 % shared.
const cattle = await api(
  'POST',
  '/v1/industries',
  {
    fundId: township.id,
    name: '肉牛养殖专业合作社（东西部协作资金）',
    projectVillageId: qingshan.id,
    projectVillageShare: '0.40',
    radiatingVillages: [{ villageId: hongxing.id }, { villageId: baishui.id }, { villageId: shiqiao.id }],
  },
  recorder,
);
for (const [date, amount] of [
  ['2024-12-20', '88000.00'],
  ['2025-12-19', '100000.00'],
  ['2026-11-20', '132000.00'],
] as const) {
  const dividend = await api('POST', `/v1/industries/${cattle.id}/dividends`, { date, amount, reference: `分红-${date}` }, recorder);
  if (date.startsWith('2026')) {
    console.log(`\nThis year's dividend, ${amount} split by rule version ${dividend.ruleVersion} (voucher ${dividend.transactionId}):`);
    const names = new Map([qingshan, hongxing, baishui, shiqiao].map((v) => [v.id, v.name]));
    table(dividend.allocations.map((a: any) => [names.get(a.villageId)!, a.role, a.amount]));
  }
}

// Monitored households of both kinds.
const households = [
  { name: '张建国', village: hongxing, category: 'unstable', causes: ['illness'], members: 4 },
  { name: '刘秀英', village: hongxing, category: 'marginal', causes: ['disability'], members: 3 },
  { name: '陈志明', village: baishui, category: 'unstable', causes: ['schooling'], members: 5 },
  { name: '赵桂兰', village: shiqiao, category: 'marginal', causes: ['illness', 'accident'], members: 2 },
  { name: '孙大伟', village: qingshan, category: 'sudden_hardship', causes: ['disaster'], members: 4 },
];
const registered = [];
for (const [i, h] of households.entries()) {
  const household = await api(
    'POST',
    '/v1/households',
    { code: code(`HH${i + 1}`), headName: h.name, idNumber: idNumber(i), villageId: h.village.id, memberCount: h.members },
    recorder,
  );
  await api('POST', `/v1/households/${household.id}/monitoring`, { category: h.category, riskCauses: h.causes, since: '2024-03-01' }, recorder);
  registered.push(household);
}

// A medical subsidy from 红星村's allocation, temporary relief, and November's living allowances.
const pay = async (body: object, bankReference: string) => {
  const requested = await api('POST', '/v1/disbursements', body, recorder);
  await api('POST', `/v1/disbursements/${requested.id}/approve`, undefined, approver);
  return api('POST', `/v1/disbursements/${requested.id}/pay`, { bankReference }, approver);
};
await pay(
  { fundId: township.id, householdId: registered[0].id, category: 'medical_subsidy', amount: '3000.00', date: '2026-11-25', villageId: hongxing.id },
  '一卡通-20261125-001',
);
await pay({ fundId: township.id, householdId: registered[4].id, category: 'temporary_relief', amount: '1500.00', date: '2026-11-26' }, '一卡通-20261126-002');
const batch = await api(
  'POST',
  '/v1/disbursement-batches',
  {
    fundId: township.id,
    category: 'living_allowance',
    date: '2026-11-28',
    description: '2026年11月生活补助',
    items: registered.map((h) => ({ householdId: h.id, amount: '300.00' })),
  },
  recorder,
);
await api('POST', `/v1/disbursement-batches/${batch.id}/approve`, undefined, approver);
await api('POST', `/v1/disbursement-batches/${batch.id}/pay`, { bankReference: '一卡通-202611-生活补助' }, approver);

// The county's poverty-prevention insurance: a bank's 2,500,000.00 donation pays the premium.
const county = await api(
  'POST',
  '/v1/funds',
  {
    code: code('XIAN-FPB'),
    name: '某县防贫保专项资金',
    organisation: '某县财政局',
    purpose: '防贫保险保费与理赔',
    template: 'prevention',
    allowedCategories: ['insurance'],
  },
);
// The county's own officers: their keys reach the county fund, and through it every village of the county.
const countyRecorder = (await api('POST', '/v1/api-keys', { name: '县财政 赵会计', role: 'officer', scopes: { funds: [county.id] } })).token as string;
const countyApprover = (await api('POST', '/v1/api-keys', { name: '县财政 钱审核', role: 'approver', scopes: { funds: [county.id] } })).token as string;
await api('POST', `/v1/funds/${county.id}/income`, { source: 'donation', payer: '某银行', date: '2026-01-05', amount: '2500000.00', reference: '捐赠-2026-01' }, countyRecorder);
const policy = await api(
  'POST',
  '/v1/insurance-policies',
  {
    fundId: county.id,
    insurer: '某保险公司',
    policyNumber: code('FPB2026'),
    premium: '2500000.00',
    coverFrom: '2026-01-01',
    coverTo: '2026-12-31',
    coveredPopulation: '全县农业人口',
  },
  countyRecorder,
);
await api('POST', `/v1/insurance-policies/${policy.id}/premium`, { date: '2026-01-10', amount: '2500000.00', reference: '保费-2026' }, countyRecorder);
for (const [household, cause, amount, date] of [
  [registered[0], 'illness', '30000.00', '2026-06-12'],
  [registered[2], 'illness', '9000.00', '2026-08-03'],
] as const) {
  const claim = await api('POST', '/v1/insurance-claims', { policyId: policy.id, householdId: household.id, cause, date, amountClaimed: amount }, countyRecorder);
  await api('POST', `/v1/insurance-claims/${claim.id}/approve`, { amountApproved: amount }, countyApprover);
  await api('POST', `/v1/insurance-claims/${claim.id}/pay`, { payoutReference: `理赔-${date}`, date }, countyApprover);
}
await api('POST', '/v1/insurance-claims', { policyId: policy.id, householdId: registered[3].id, cause: 'accident', date: '2026-11-02', amountClaimed: '6000.00' }, countyRecorder);

// What the books say.
for (const fund of [township, county]) {
  const accounts = (await api('GET', `/v1/funds/${fund.id}/accounts?limit=500`)).items.filter(
    (a: any) => a.balance !== '0.00' || a.debitTotal !== '0.00',
  );
  console.log(`\n${fund.name} — balances:`);
  table([['code', 'account', 'debits', 'credits', 'balance'], ...accounts.map((a: any) => [a.code, a.name, a.debitTotal, a.creditTotal, a.balance])]);
  const tb = await api('GET', `/v1/funds/${fund.id}/trial-balance`);
  console.log(`  trial balance: debits ${tb.totals.debitTotal} = credits ${tb.totals.creditTotal} → ${tb.balanced ? 'balanced' : 'NOT BALANCED'}`);
}

console.log('\nVillage allocations (allocated / spent / remaining):');
const rows = [['village', 'fund', 'allocated', 'spent', 'remaining']];
for (const v of [qingshan, hongxing, baishui, shiqiao]) {
  for (const f of (await api('GET', `/v1/villages/${v.id}/allocations`)).funds) rows.push([v.name, f.fundCode, f.allocated, f.spent, f.remaining]);
}
table(rows);

const figures = (await api('GET', `/v1/insurance-policies/${policy.id}`)).figures;
console.log(`\n防贫保 policy: premium ${figures.premiumPaid}, ${figures.householdsPaid} households paid ${figures.paidOut}, pool ${figures.poolBalance}`);

const benefits = await api('GET', `/v1/households/${registered[0].id}/benefits`);
console.log(`\nBenefits of ${registered[0].headName} (${registered[0].idNumberMasked}):`);
table([...benefits.totalsByCategory.map((c: any) => [c.category, `${c.count}×`, c.amount]), ['total', '', benefits.total]]);

// With the data kept, the keys are the way into the web console on it: shown once, like every token.
const auditor = keep ? (await api('POST', '/v1/api-keys', { name: '审计局 孙审计', role: 'auditor' })).token : null;

await close();
if (keep) {
  const consoleUrl = where === 'service' ? `${serviceUrl}/console/` : 'http://127.0.0.1:3000/console/';
  if (where === 'service') console.log(`\nLoaded into the service at ${serviceUrl}. Open ${consoleUrl} with one of these keys (shown once, only their hashes are kept):`);
  else {
    console.log(
      where === 'folder'
        ? `\nData kept in ${dataDir}. Start the service on it (LEDGER_DATA_DIR=${dataDir} npm start)`
        : '\nData kept in the PostgreSQL database of DATABASE_URL. Start the service on it if none runs (npm start with the same DATABASE_URL and LEDGER_ID_HASH_KEY)',
    );
    console.log(`and open ${consoleUrl} with one of these keys (shown once, only their hashes are kept):`);
  }
  table([
    ['key', 'role', 'token'],
    ['王会计', 'officer (township fund)', recorder],
    ['李审核', 'approver (township fund)', approver],
    ['县财政 赵会计', 'officer (county fund)', countyRecorder],
    ['县财政 钱审核', 'approver (county fund)', countyApprover],
    ['审计局 孙审计', 'auditor', auditor!],
  ]);
} else {
  console.log('\nDone (in-memory database: nothing was kept).');
}
