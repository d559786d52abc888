// Drives every operation of openapi/openapi.json — its success and its refusals — through a validating proxy
// (Stoplight Prism) in front of the running service, and lists what the proxy says the document does not
// allow. Each answer is also checked by the suite's own validator (test/helpers/openapi-validator.ts), so the
// two readings of the document can be compared. Not part of `npm test`: it needs Prism and a running service.
// The README ("Checking the API against its document") says how to run it; in short:
//
//   LEDGER_DATA_DIR=$(mktemp -d) LEDGER_ADMIN_TOKEN=walk-admin-token-0123456789 LEDGER_RATE_LIMIT=100000 PORT=3917 npm start
//   npx -y @stoplight/prism-cli@5.14 proxy openapi/openapi.json http://127.0.0.1:3917 --port 4917
//   PRISM_URL=http://127.0.0.1:4917 LEDGER_TOKEN=walk-admin-token-0123456789 npx tsx test/contract/prism-walk.ts
//
// It writes nothing but the ledger records it creates (a fresh data folder is best) and exits 1 when the proxy
// or the validator reported a violation of the document by an answer.
import { randomUUID } from 'node:crypto';
import { fictitiousIdNumbers } from '../../scripts/fictitious-ids.js';
import { checkResponse, openApiDocument } from '../helpers/openapi-validator.js';

const base = process.env.PRISM_URL ?? 'http://127.0.0.1:4917';
const admin = process.env.LEDGER_TOKEN;
if (!admin) {
  console.error('LEDGER_TOKEN: the admin token of the service behind the proxy');
  process.exit(2);
}

interface Violation {
  location: string[];
  severity: string;
  code?: string | number;
  message: string;
}

interface Sent {
  label: string;
  method: string;
  url: string;
  status: number;
  /** The request is wrong on purpose (a refusal is what is being tried): its request-side violations are expected. */
  invalidRequest: boolean;
  fromService: boolean;
  prism: Violation[];
  ours: string[];
}

const sent: Sent[] = [];

interface Options {
  token?: string | null;
  body?: unknown;
  /** A body sent as is, with this content type. */
  raw?: { type: string; data: string | Buffer };
  headers?: Record<string, string>;
  invalidRequest?: boolean;
}

async function send(label: string, method: string, url: string, options: Options = {}): Promise<{ status: number; body: any; headers: Headers }> {
  const headers: Record<string, string> = { ...options.headers };
  const token = options.token === undefined ? admin : options.token;
  if (token) headers.authorization = `Bearer ${token}`;
  let body: string | Blob | undefined;
  if (options.raw) {
    headers['content-type'] = options.raw.type;
    body = typeof options.raw.data === 'string' ? options.raw.data : new Blob([new Uint8Array(options.raw.data)]);
  } else if (options.body !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  // Prism reloads the document when openapi/openapi.json changes and drops the connections it had: one retry.
  const response = await fetch(`${base}${url}`, { method, headers, body }).catch(async () => {
    await new Promise((r) => setTimeout(r, 3000));
    return fetch(`${base}${url}`, { method, headers, body });
  });
  const bytes = Buffer.from(await response.arrayBuffer());
  const prism = JSON.parse(response.headers.get('sl-violations') ?? '[]') as Violation[];
  // Prism's own header is not the service's: the suite's validator must not see it.
  const serviceHeaders = Object.fromEntries([...response.headers].filter(([k]) => k !== 'sl-violations'));
  // Prism answers some requests itself (a body that is not JSON): helmet's header tells the service's answers apart.
  const fromService = response.headers.has('x-content-type-options');
  const ours = fromService ? (await checkResponse({ method, url, status: response.status, headers: serviceHeaders, body: bytes })).violations : [];
  sent.push({ label, method, url, status: response.status, invalidRequest: !!options.invalidRequest, fromService, prism, ours });
  const type = response.headers.get('content-type') ?? '';
  let parsed: any = bytes.toString('utf8');
  if (type.includes('json')) {
    try {
      parsed = JSON.parse(parsed);
    } catch {
      // left as text: the validators above say what is wrong with it
    }
  }
  return { status: response.status, body: parsed, headers: response.headers };
}

/** A step of the scenario that must succeed for the walk to go on. */
async function ok(label: string, method: string, url: string, options: Options = {}): Promise<any> {
  const r = await send(label, method, url, options);
  if (r.status >= 300) throw new Error(`${label}: ${method} ${url} → ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
  return r.body;
}

const run = Date.now().toString(36);
const code = (prefix: string) => `${prefix}-${run}`;
const idNumber = fictitiousIdNumbers();
const nobody = randomUUID();

// ---- health ------------------------------------------------------------------------------------------------
await ok('health', 'GET', '/healthz');
await ok('readiness', 'GET', '/readyz');

// ---- keys ----------------------------------------------------------------------------------------------------
const key = async (role: string, scopes?: object) => (await ok(`issue ${role} key`, 'POST', '/v1/api-keys', { body: { name: `walk ${role}`, role, ...(scopes ? { scopes } : {}) } })).token as string;
const officer = await key('officer', { all: true });
const approver = await key('approver', { all: true });
const reader = await key('reader', { all: true });
const auditor = await key('auditor');
await ok('me', 'GET', '/v1/me', { token: officer });
await ok('list keys', 'GET', '/v1/api-keys?limit=2');
const doomed = await ok('issue a key to revoke', 'POST', '/v1/api-keys', { body: { name: 'walk doomed', role: 'reader', scopes: { all: true } } });
await ok('revoke key', 'DELETE', `/v1/api-keys/${doomed.id}`);
await send('revoke unknown key', 'DELETE', `/v1/api-keys/${nobody}`);
await send('revoked key refused', 'GET', '/v1/me', { token: doomed.token });
await send('issue key with unknown role', 'POST', '/v1/api-keys', { body: { name: 'x', role: 'emperor' }, invalidRequest: true });

// ---- funds and accounts -------------------------------------------------------------------------------------
const fundBody = {
  code: code('WALK-F'),
  name: '某乡防止返贫专项基金',
  organisation: '某县某乡人民政府',
  purpose: '防止返贫监测帮扶',
  template: 'prevention',
  allowedCategories: ['medical_subsidy', 'living_allowance', 'temporary_relief'],
  yearlyCaps: { medical_subsidy: '10000.00' },
  township: '红旗乡',
};
const fund = await ok('create fund', 'POST', '/v1/funds', { body: fundBody });
await send('create fund again (code taken)', 'POST', '/v1/funds', { body: fundBody });
await send('create fund with zero cap', 'POST', '/v1/funds', { body: { ...fundBody, code: code('WALK-Z'), yearlyCaps: { medical_subsidy: '0.00' } }, invalidRequest: true });
await ok('list funds', 'GET', '/v1/funds?limit=1');
await ok('get fund', 'GET', `/v1/funds/${fund.id}`);
await ok('update fund', 'PATCH', `/v1/funds/${fund.id}`, { body: { purpose: '防止返贫监测帮扶（修订）' }, headers: { 'idempotency-key': `patch-${run}` } });
await send('update fund: same idempotency key, other body', 'PATCH', `/v1/funds/${fund.id}`, { body: { purpose: '另一个' }, headers: { 'idempotency-key': `patch-${run}` } });
await send('update fund: replay', 'PATCH', `/v1/funds/${fund.id}`, { body: { purpose: '防止返贫监测帮扶（修订）' }, headers: { 'idempotency-key': `patch-${run}` } });
const accounts = (await ok('list accounts', 'GET', `/v1/funds/${fund.id}/accounts?limit=500`)).items as { id: string; code: string; type: string }[];
const bank = accounts.find((a) => a.type === 'asset')!;
const extra = await ok('create account', 'POST', `/v1/funds/${fund.id}/accounts`, { body: { code: 'WALK-EXP', name: '走查费用', type: 'expense' } });
await send('create account, code taken', 'POST', `/v1/funds/${fund.id}/accounts`, { body: { code: 'WALK-EXP', name: '走查费用', type: 'expense' } });
await ok('get account', 'GET', `/v1/accounts/${extra.id}`);
await ok('account balance', 'GET', `/v1/accounts/${bank.id}/balance?asOf=2026-01-31`);
await ok('trial balance', 'GET', `/v1/funds/${fund.id}/trial-balance`);

// ---- income and transactions ------------------------------------------------------------------------------
await ok('record income', 'POST', `/v1/funds/${fund.id}/income`, { token: officer, body: { source: 'fiscal_transfer', payer: '县财政局', date: '2026-01-05', amount: '100000.00', reference: '拨款-1' } });
await ok('list income', 'GET', `/v1/funds/${fund.id}/income?limit=5`);
const posting = { date: '2026-01-15', description: '走查凭证', lines: [{ accountId: extra.id, direction: 'debit', amount: '10.00' }, { accountId: bank.id, direction: 'credit', amount: '10.00' }] };
const tx = await ok('post transaction', 'POST', '/v1/transactions', { token: officer, body: posting, headers: { 'idempotency-key': `tx-${run}` } });
await send('post transaction: replay', 'POST', '/v1/transactions', { token: officer, body: posting, headers: { 'idempotency-key': `tx-${run}` } });
await send('post transaction: key reused for another body', 'POST', '/v1/transactions', { token: officer, body: { ...posting, description: '另一个' }, headers: { 'idempotency-key': `tx-${run}` } });
await send('post transaction: unbalanced', 'POST', '/v1/transactions', { token: officer, body: { ...posting, lines: [posting.lines[0], { ...posting.lines[1], amount: '9.00' }] } });
await send('post transaction: overdraft', 'POST', '/v1/transactions', { token: officer, body: { ...posting, lines: [{ ...posting.lines[0], amount: '999999.00' }, { ...posting.lines[1], amount: '999999.00' }] } });
await send('post transaction: unknown account', 'POST', '/v1/transactions', { token: officer, body: { ...posting, lines: [{ ...posting.lines[0], accountId: nobody }, posting.lines[1]] } });
await send('post transaction: future date', 'POST', '/v1/transactions', { token: officer, body: { ...posting, date: '2999-01-01' } });
await send('post transaction: zero amount', 'POST', '/v1/transactions', { token: officer, body: { ...posting, lines: posting.lines.map((l) => ({ ...l, amount: '0.00' })) }, invalidRequest: true });
await send('post transaction: reader', 'POST', '/v1/transactions', { token: reader, body: posting });
await send('post transaction: text/plain', 'POST', '/v1/transactions', { token: officer, raw: { type: 'text/plain', data: 'hello' }, invalidRequest: true });
await send('post transaction: body over 1 MiB', 'POST', '/v1/transactions', { token: officer, raw: { type: 'application/json', data: JSON.stringify({ ...posting, description: 'x'.repeat(1_100_000) }) }, invalidRequest: true });
await send('post transaction: broken JSON', 'POST', '/v1/transactions', { token: officer, raw: { type: 'application/json', data: '{"date":' }, invalidRequest: true });
await ok('list transactions', 'GET', `/v1/transactions?fundId=${fund.id}&limit=1`);
const page = await ok('list transactions, page 1', 'GET', `/v1/transactions?limit=1`);
if (page.nextCursor) await ok('list transactions, page 2', 'GET', `/v1/transactions?limit=1&cursor=${encodeURIComponent(page.nextCursor)}`);
await send('list transactions: bad cursor', 'GET', '/v1/transactions?cursor=nonsense', { invalidRequest: true });
await ok('get transaction', 'GET', `/v1/transactions/${tx.id}`);
await ok('account entries', 'GET', `/v1/accounts/${bank.id}/entries?limit=2`);
const reversal = await ok('reverse transaction', 'POST', `/v1/transactions/${tx.id}/reversal`, { token: officer, body: { reason: '走查冲销' } });
await send('reverse transaction again', 'POST', `/v1/transactions/${tx.id}/reversal`, { token: officer, body: { reason: '再次' } });
await send('reverse a reversal', 'POST', `/v1/transactions/${reversal.id}/reversal`, { token: officer, body: { reason: '冲销冲销' } });

// ---- villages and households -------------------------------------------------------------------------------
const village = async (key: string, name: string) => ok(`create village ${name}`, 'POST', '/v1/villages', { token: officer, body: { code: code(key), name, township: '红旗乡', county: '某县' }, headers: { 'idempotency-key': `v-${key}-${run}` } });
const [qingshan, hongxing, baishui] = [await village('QS', '青山村'), await village('HX', '红星村'), await village('BS', '白水村')];
await send('create village: same key, other body', 'POST', '/v1/villages', { token: officer, body: { code: code('QS2'), name: '青山村', township: '红旗乡', county: '某县' }, headers: { 'idempotency-key': `v-QS-${run}` } });
await send('create village: code taken', 'POST', '/v1/villages', { token: officer, body: { code: code('QS'), name: '青山村', township: '红旗乡', county: '某县' } });
await ok('list villages', 'GET', '/v1/villages?township=红旗乡&limit=2'.replace('红旗乡', encodeURIComponent('红旗乡')));
await send('list villages: NUL in township', 'GET', '/v1/villages?township=%00', { invalidRequest: true });
await ok('get village', 'GET', `/v1/villages/${qingshan.id}`);
await ok('correct a village', 'PATCH', `/v1/villages/${baishui.id}`, { token: officer, body: { name: '白水村（新）' } });
await send('correct a village: its code', 'PATCH', `/v1/villages/${baishui.id}`, { token: officer, body: { code: 'X-1' }, invalidRequest: true });
await ok('household import template', 'GET', '/v1/households/import/template', { token: officer });
const households = [];
for (const [i, v] of [hongxing, baishui, qingshan].entries()) {
  households.push(await ok('create household', 'POST', '/v1/households', { token: officer, body: { code: code(`HH${i}`), headName: ['张建国', '刘秀英', '王𪚥龘'][i], idNumber: idNumber(i), villageId: v.id, memberCount: 3 } }));
}
await send('create household: ID number taken', 'POST', '/v1/households', { token: officer, body: { code: code('HHX'), headName: '张三', idNumber: idNumber(0), villageId: hongxing.id, memberCount: 3 } });
await send('create household: unknown village', 'POST', '/v1/households', { token: officer, body: { code: code('HHY'), headName: '张三', idNumber: idNumber(7), villageId: nobody, memberCount: 3 } });
await send('create household: bad ID number', 'POST', '/v1/households', { token: officer, body: { code: code('HHZ'), headName: '张三', idNumber: '123', villageId: hongxing.id, memberCount: 3 }, invalidRequest: true });
for (const h of households) await ok('include in monitoring', 'POST', `/v1/households/${h.id}/monitoring`, { token: officer, body: { category: 'unstable', riskCauses: ['illness'], since: '2024-03-01' } });
await send('include again', 'POST', `/v1/households/${households[0].id}/monitoring`, { token: officer, body: { category: 'unstable', riskCauses: ['illness'], since: '2024-03-01' } });
await send('include with unknown cause', 'POST', `/v1/households/${households[0].id}/monitoring`, { token: officer, body: { category: 'unstable', riskCauses: ['dragons'], since: '2024-03-01' } });
await ok('list households', 'GET', `/v1/households?villageId=${hongxing.id}&limit=5`);
await ok('list households as reader (names masked)', 'GET', `/v1/households?q=${encodeURIComponent(code('HH'))}`, { token: reader });
await ok('get household', 'GET', `/v1/households/${households[0].id}`);
await ok('household benefits', 'GET', `/v1/households/${households[0].id}/benefits?from=2026-01-01&to=2026-12-31`);
const csv = `householdCode,headName,idNumber,villageCode,memberCount\n${code('IMP1')},李四,${idNumber(5)},${code('HX')},2\n`;
await ok('import households', 'POST', '/v1/households/import', { token: officer, raw: { type: 'text/csv', data: csv } });
await send('import households: a bad line', 'POST', '/v1/households/import', { token: officer, raw: { type: 'text/csv', data: `householdCode,headName,idNumber,villageCode,memberCount\n${code('IMP2')},李四,123,${code('HX')},two\n` } });
await send('import households: not UTF-8 nor GB18030', 'POST', '/v1/households/import', { token: officer, raw: { type: 'text/csv', data: Buffer.from([0x63, 0x6f, 0x64, 0x65, 0x0a, 0xff, 0xfe, 0xfd, 0x0a]) } });
await send('import households: JSON body', 'POST', '/v1/households/import', { token: officer, body: { rows: [] }, invalidRequest: true });

// ---- industries and dividends ------------------------------------------------------------------------------
const industry = await ok('create industry', 'POST', '/v1/industries', {
  token: officer,
  body: { fundId: fund.id, name: '肉牛养殖专业合作社', projectVillageId: qingshan.id, projectVillageShare: '0.40', radiatingVillages: [{ villageId: hongxing.id }, { villageId: baishui.id }] },
});
await send('create industry: unknown village', 'POST', '/v1/industries', { token: officer, body: { fundId: fund.id, name: '茶园', projectVillageId: nobody, projectVillageShare: '0.40', radiatingVillages: [{ villageId: hongxing.id }] } });
await ok('list industries', 'GET', `/v1/industries?fundId=${fund.id}`);
await ok('get industry', 'GET', `/v1/industries/${industry.id}`);
await ok('preview dividend', 'GET', `/v1/industries/${industry.id}/dividends/preview?date=2026-01-20&amount=1000.00`);
await send('preview dividend: zero', 'GET', `/v1/industries/${industry.id}/dividends/preview?date=2026-01-20&amount=0`, { invalidRequest: true });
await ok('record dividend', 'POST', `/v1/industries/${industry.id}/dividends`, { token: officer, body: { date: '2026-01-20', amount: '8800.00', reference: '分红-1' } });
await ok('list dividends', 'GET', `/v1/industries/${industry.id}/dividends`);
await ok('add distribution rule', 'POST', `/v1/industries/${industry.id}/rules`, { token: officer, body: { effectiveFrom: '2026-02-01', projectVillageShare: '0.50', radiatingVillages: [{ villageId: hongxing.id }, { villageId: baishui.id }] } });
await send('add distribution rule: share over 1', 'POST', `/v1/industries/${industry.id}/rules`, { token: officer, body: { effectiveFrom: '2026-03-01', projectVillageShare: '1.50', radiatingVillages: [{ villageId: hongxing.id }] }, invalidRequest: true });
await send('add distribution rule: before the last dividend', 'POST', `/v1/industries/${industry.id}/rules`, { token: officer, body: { effectiveFrom: '2026-01-01', projectVillageShare: '0.50', radiatingVillages: [{ villageId: hongxing.id }] } });
await ok('village allocations', 'GET', `/v1/villages/${hongxing.id}/allocations`);

// ---- disbursements and batches ------------------------------------------------------------------------------
const request = { fundId: fund.id, householdId: households[0].id, category: 'medical_subsidy', amount: '300.00', date: '2026-01-25', villageId: hongxing.id };
const d1 = await ok('request disbursement', 'POST', '/v1/disbursements', { token: officer, body: request, headers: { 'idempotency-key': `d-${run}` } });
await send('request disbursement: key reused', 'POST', '/v1/disbursements', { token: officer, body: { ...request, amount: '301.00' }, headers: { 'idempotency-key': `d-${run}` } });
await send('request disbursement: category not allowed', 'POST', '/v1/disbursements', { token: officer, body: { ...request, category: 'insurance' } });
await send('request disbursement: over the cap', 'POST', '/v1/disbursements', { token: officer, body: { ...request, amount: '20000.00' } });
await send('request disbursement: approver may not', 'POST', '/v1/disbursements', { token: approver, body: request });
await ok('list disbursements', 'GET', `/v1/disbursements?fundId=${fund.id}&status=requested`);
await ok('get disbursement', 'GET', `/v1/disbursements/${d1.id}`);
await send('pay before approval', 'POST', `/v1/disbursements/${d1.id}/pay`, { token: approver, body: { bankReference: '一卡通-1' } });
await ok('approve disbursement', 'POST', `/v1/disbursements/${d1.id}/approve`, { token: approver });
await send('approve again', 'POST', `/v1/disbursements/${d1.id}/approve`, { token: approver });
await ok('pay disbursement', 'POST', `/v1/disbursements/${d1.id}/pay`, { token: approver, body: { bankReference: '一卡通-1' } });
await ok('fail (return) a paid disbursement', 'POST', `/v1/disbursements/${d1.id}/fail`, { token: approver, body: { reason: '账户已销户' } });
await send('fail it again', 'POST', `/v1/disbursements/${d1.id}/fail`, { token: approver, body: { reason: '再次' } });
const batchBody = { fundId: fund.id, category: 'living_allowance', date: '2026-01-28', description: '1月生活补助', items: households.map((h) => ({ householdId: h.id, amount: '100.00' })) };
const batch = await ok('request batch', 'POST', '/v1/disbursement-batches', { token: officer, body: batchBody, headers: { 'idempotency-key': `b-${run}` } });
await send('request batch: key reused', 'POST', '/v1/disbursement-batches', { token: officer, body: { ...batchBody, description: '另一个' }, headers: { 'idempotency-key': `b-${run}` } });
await send('request batch: an unknown household', 'POST', '/v1/disbursement-batches', { token: officer, body: { ...batchBody, items: [{ householdId: nobody, amount: '1.00' }] } });
await ok('get batch', 'GET', `/v1/disbursement-batches/${batch.id}?limit=2`);
await send('pay batch before approval', 'POST', `/v1/disbursement-batches/${batch.id}/pay`, { token: approver, body: { bankReference: '批量-1' } });
await ok('approve batch', 'POST', `/v1/disbursement-batches/${batch.id}/approve`, { token: approver });
await ok('pay batch', 'POST', `/v1/disbursement-batches/${batch.id}/pay`, { token: approver, body: { bankReference: '批量-1' } });
await send('pay batch again', 'POST', `/v1/disbursement-batches/${batch.id}/pay`, { token: approver, body: { bankReference: '批量-1' } });

// ---- insurance -------------------------------------------------------------------------------------------------
const county = await ok('create county fund', 'POST', '/v1/funds', { body: { code: code('WALK-FPB'), name: '某县防贫保专项资金', organisation: '某县财政局', purpose: '防贫保', template: 'prevention', allowedCategories: ['insurance'] } });
await ok('record donation', 'POST', `/v1/funds/${county.id}/income`, { token: officer, body: { source: 'donation', payer: '某银行', date: '2026-01-05', amount: '50000.00', reference: '捐赠-1' } });
const policyBody = { fundId: county.id, insurer: '某保险公司', policyNumber: code('FPB'), premium: '20000.00', coverFrom: '2026-01-01', coverTo: '2026-12-31', coveredPopulation: '全县农业人口' };
const policy = await ok('create policy', 'POST', '/v1/insurance-policies', { token: officer, body: policyBody });
await send('create policy: number taken', 'POST', '/v1/insurance-policies', { token: officer, body: policyBody });
await ok('list policies', 'GET', `/v1/insurance-policies?fundId=${county.id}`);
await ok('get policy', 'GET', `/v1/insurance-policies/${policy.id}`);
await send('refund before any premium', 'POST', `/v1/insurance-policies/${policy.id}/refund`, { token: officer, body: { date: '2026-01-09', amount: '1.00', reference: '退费-0' } });
await ok('pay premium', 'POST', `/v1/insurance-policies/${policy.id}/premium`, { token: officer, body: { date: '2026-01-10', amount: '20000.00', reference: '保费-1' } });
await send('pay premium over the fund', 'POST', `/v1/insurance-policies/${policy.id}/premium`, { token: officer, body: { date: '2026-01-10', amount: '900000.00', reference: '保费-2' } });
const claim = await ok('file claim', 'POST', '/v1/insurance-claims', { token: officer, body: { policyId: policy.id, householdId: households[0].id, cause: 'illness', date: '2026-06-12', amountClaimed: '3000.00' } });
await send('file claim outside cover', 'POST', '/v1/insurance-claims', { token: officer, body: { policyId: policy.id, householdId: households[0].id, cause: 'illness', date: '2025-06-12', amountClaimed: '3000.00' } });
await ok('list claims', 'GET', `/v1/insurance-claims?policyId=${policy.id}`);
await ok('get claim', 'GET', `/v1/insurance-claims/${claim.id}`);
await send('pay claim before approval', 'POST', `/v1/insurance-claims/${claim.id}/pay`, { token: approver, body: { payoutReference: '理赔-0', date: '2026-06-20' } });
await ok('approve claim', 'POST', `/v1/insurance-claims/${claim.id}/approve`, { token: approver, body: { amountApproved: '3000.00' } });
await ok('pay claim', 'POST', `/v1/insurance-claims/${claim.id}/pay`, { token: approver, body: { payoutReference: '理赔-1', date: '2026-06-20' } });
await send('pay claim again', 'POST', `/v1/insurance-claims/${claim.id}/pay`, { token: approver, body: { payoutReference: '理赔-1', date: '2026-06-20' } });
const claim2 = await ok('file a second claim', 'POST', '/v1/insurance-claims', { token: officer, body: { policyId: policy.id, householdId: households[1].id, cause: 'accident', date: '2026-07-01', amountClaimed: '500.00' } });
await ok('reject claim', 'POST', `/v1/insurance-claims/${claim2.id}/reject`, { token: approver, body: { reason: '不符合条件' } });
await send('reject it again', 'POST', `/v1/insurance-claims/${claim2.id}/reject`, { token: approver, body: { reason: '再次' } });
const policy2 = await ok('create next year\'s policy', 'POST', '/v1/insurance-policies', { token: officer, body: { ...policyBody, policyNumber: code('FPB2027'), coverFrom: '2027-01-01', coverTo: '2027-12-31' } });
await send('carry forward', 'POST', `/v1/insurance-policies/${policy.id}/carry-forward`, { token: officer, body: { toPolicyId: policy2.id, date: '2026-07-01', amount: '100.00', reference: '结转-1' } });
await send('carry forward more than the pool', 'POST', `/v1/insurance-policies/${policy.id}/carry-forward`, { token: officer, body: { toPolicyId: policy2.id, date: '2026-07-01', amount: '9999999.00' } });
await send('refund of the surplus', 'POST', `/v1/insurance-policies/${policy.id}/refund`, { token: officer, body: { date: '2026-07-02', amount: '100.00', reference: '退费-1' } });

// ---- statements, events, periods, verification, audit -------------------------------------------------------------
const window = 'from=2026-01-01&to=2026-01-31';
for (const format of ['', '&format=json', '&format=csv', '&format=pdf']) {
  await ok(`fund statement ${format || 'default'}`, 'GET', `/v1/funds/${fund.id}/statement?${window}${format}`);
  await ok(`account ledger ${format || 'default'}`, 'GET', `/v1/accounts/${bank.id}/ledger?${window}${format}`);
  await ok(`household statement ${format || 'default'}`, 'GET', `/v1/households/${households[0].id}/statement?${window}${format}`);
  await ok(`village statement ${format || 'default'}`, 'GET', `/v1/villages/${hongxing.id}/statement?${window}${format}`);
  await ok(`village notice ${format || 'default'}`, 'GET', `/v1/villages/${hongxing.id}/notice?${window}${format}`);
  await ok(`policy statement ${format || 'default'}`, 'GET', `/v1/insurance-policies/${policy.id}/statement?${format.slice(1)}`);
  await ok(`trial balance ${format || 'default'}`, 'GET', `/v1/funds/${fund.id}/trial-balance?${format.slice(1)}`);
}
const statement = await ok('fund statement to verify', 'GET', `/v1/funds/${fund.id}/statement?${window}`);
const verifyBody = { kind: 'fund', params: { fundId: fund.id, from: '2026-01-01', to: '2026-01-31' }, digest: statement.digest };
await ok('verify statement', 'POST', '/v1/statements/verify', { body: verifyBody });
await send('verify statement: another digest', 'POST', '/v1/statements/verify', { body: { ...verifyBody, digest: '0'.repeat(64) } });
await send('verify statement: unknown fund', 'POST', '/v1/statements/verify', { body: { ...verifyBody, params: { ...verifyBody.params, fundId: nobody } } });
await send('statement: reader may not', 'GET', `/v1/funds/${fund.id}/statement?${window}`, { token: reader });
await send('statement: unknown format', 'GET', `/v1/funds/${fund.id}/statement?${window}&format=docx`, { invalidRequest: true });
const events = await ok('events', 'GET', '/v1/events?limit=5');
await ok('events after cursor', 'GET', `/v1/events?limit=5&after=${encodeURIComponent(events.nextCursor)}`);
await ok('events of a family', 'GET', `/v1/events?type=disbursement&fundId=${fund.id}`);
await send('events: bad cursor', 'GET', '/v1/events?after=nonsense');
// ---- bank reconciliation -------------------------------------------------------------------------------------
const statementCsv = (closing: string) =>
  `账号,6228480012345678901\n起始日期,2026-01-01\n截止日期,2026-01-31\n期初余额,0.00\n期末余额,${closing}\n` +
  `交易日期,摘要,收入金额,支出金额,余额,流水号\n2026-01-05,财政拨款 拨款-1,100000.00,,100000.00,W${run}1\n2026-01-15,走查,,10.00,99990.00,W${run}2\n`;
await send('import bank statement: no account number on the fund', 'POST', `/v1/funds/${fund.id}/bank-statements`, { raw: { type: 'text/csv', data: statementCsv('99990.00') } });
await ok('set the bank account', 'PATCH', `/v1/funds/${fund.id}`, { body: { bankAccountNumber: '6228 4800 1234 5678 901', bankName: '某农商银行某支行' } });
await ok('bank statement template', 'GET', '/v1/bank-statements/template');
await ok('import bank statement (CSV)', 'POST', `/v1/funds/${fund.id}/bank-statements`, { token: officer, raw: { type: 'text/csv', data: statementCsv('99990.00') } });
await ok('import it again', 'POST', `/v1/funds/${fund.id}/bank-statements`, { token: officer, raw: { type: 'text/csv', data: statementCsv('99990.00') } });
await send('import a statement whose closing balance does not follow', 'POST', `/v1/funds/${fund.id}/bank-statements`, { token: officer, raw: { type: 'text/csv', data: statementCsv('99000.00') } });
await ok('import bank statement (JSON)', 'POST', `/v1/funds/${fund.id}/bank-statements`, {
  token: officer,
  body: { accountNumber: '6228480012345678901', from: '2026-02-01', to: '2026-02-28', openingBalance: '99990.00', closingBalance: '99980.00', lines: [{ date: '2026-02-28', direction: 'out', amount: '10.00', balanceAfter: '99980.00', memo: '账户管理费' }] },
});
await send('import bank statement: a line in the future', 'POST', `/v1/funds/${fund.id}/bank-statements`, {
  token: officer,
  body: { accountNumber: '6228480012345678901', from: '2026-02-01', to: '2999-02-28', openingBalance: '0.00', closingBalance: '0.00', lines: [] },
});
const bankLines = await ok('bank statement lines', 'GET', `/v1/funds/${fund.id}/bank-statement-lines?limit=50`);
await ok('unmatched bank lines', 'GET', `/v1/funds/${fund.id}/bank-statement-lines?status=unmatched&from=2026-01-01&to=2026-12-31`);
await ok('match again automatically', 'POST', `/v1/funds/${fund.id}/bank-statement-lines/auto-match`, { token: officer });
const feeLine = bankLines.items.find((l: { amount: string; date: string }) => l.date === '2026-02-28');
await send('match by hand: sums differ', 'POST', `/v1/bank-statement-lines/${feeLine.id}/match`, { token: officer, body: { transactionIds: [tx.id] } });
await send('undo a match that is not there', 'DELETE', `/v1/bank-statement-lines/${feeLine.id}/match`, { token: officer });
const matchedLine = bankLines.items.find((l: { status: string }) => l.status === 'matched');
if (matchedLine) {
  await ok('undo a match', 'DELETE', `/v1/bank-statement-lines/${matchedLine.id}/match`, { token: officer });
  await ok('match by hand', 'POST', `/v1/bank-statement-lines/${matchedLine.id}/match`, { token: officer, body: { transactionIds: matchedLine.match.transactionIds } });
  await send('match by hand: already matched', 'POST', `/v1/bank-statement-lines/${matchedLine.id}/match`, { token: officer, body: { transactionIds: matchedLine.match.transactionIds } });
}
await ok('bank reconciliation', 'GET', `/v1/funds/${fund.id}/bank-reconciliations/2026-01`);
await ok('bank reconciliation as CSV', 'GET', `/v1/funds/${fund.id}/bank-reconciliations/2026-01?format=csv`);
await ok('bank reconciliation as PDF', 'GET', `/v1/funds/${fund.id}/bank-reconciliations/2026-01?format=pdf&staleDays=10`);
await send('bank reconciliation: not a month', 'GET', `/v1/funds/${fund.id}/bank-reconciliations/2026-13`, { invalidRequest: true });
await send('bank reconciliation: reader may not', 'GET', `/v1/funds/${fund.id}/bank-reconciliations/2026-01`, { token: reader });

// ---- vouchers: review, print, binding, source documents ------------------------------------------------------------
const draft = await ok('draft a voucher', 'POST', '/v1/vouchers', { token: officer, body: { ...posting, description: '走查草稿', attachments: 1 } });
await ok('list drafts', 'GET', `/v1/vouchers?status=draft&fundId=${fund.id}`, { token: approver });
await ok('get draft', 'GET', `/v1/vouchers/${draft.id}`);
await ok('correct draft', 'PUT', `/v1/vouchers/${draft.id}`, { token: officer, body: { ...posting, description: '走查草稿（更正）' } });
await send('correct draft: another key', 'PUT', `/v1/vouchers/${draft.id}`, { token: approver, body: posting });
await send('approve draft: an old version', 'POST', `/v1/vouchers/${draft.id}/approve`, { token: approver, body: { version: 1 } });
const ownDraft = await ok('an admin drafts', 'POST', '/v1/vouchers', { body: posting });
await send('approve own draft', 'POST', `/v1/vouchers/${ownDraft.id}/approve`, { body: {} });
const pdfBytes = Buffer.from('%PDF-1.4\n%%EOF\n');
const upload = (label: string, path: string, data: Buffer, type = 'application/pdf') =>
  send(label, 'POST', `${path}?name=${encodeURIComponent('走查回单.pdf')}`, { token: officer, raw: { type, data } });
const attached = (await upload('attach to a draft', `/v1/vouchers/${draft.id}/attachments`, pdfBytes)).body;
await upload('attach: not a PDF, JPEG or PNG', `/v1/vouchers/${draft.id}/attachments`, Buffer.from('MZ not a document'));
await upload('attach: too large', `/v1/vouchers/${draft.id}/attachments`, Buffer.concat([pdfBytes, Buffer.alloc(11 * 1024 * 1024)]));
// A PDF's bytes: Prism passes a body on as text, so bytes over 0x7F (a PNG's or JPEG's signature) arrive changed.
await upload('attach: octet-stream', `/v1/transactions/${tx.id}/attachments`, pdfBytes, 'application/octet-stream');
await ok('list attachments', 'GET', `/v1/vouchers/${draft.id}/attachments`);
await ok('get attachment', 'GET', `/v1/attachments/${attached.id}`);
await ok('download attachment', 'GET', `/v1/attachments/${attached.id}/content`);
await send('download attachment: reader may not', 'GET', `/v1/attachments/${attached.id}/content`, { token: reader });
await ok('approve draft', 'POST', `/v1/vouchers/${draft.id}/approve`, { token: approver });
await send('approve it again', 'POST', `/v1/vouchers/${draft.id}/approve`, { token: approver });
const second = await ok('draft another', 'POST', '/v1/vouchers', { token: officer, body: posting });
await ok('reject draft', 'POST', `/v1/vouchers/${second.id}/reject`, { token: approver, body: { reason: '缺附件' } });
await ok('withdraw draft', 'POST', `/v1/vouchers/${second.id}/withdrawal`, { token: officer, body: { reason: '重复' } });
await ok('withdraw attachment', 'POST', `/v1/attachments/${attached.id}/withdrawal`, { token: officer, body: { reason: '传错' } });
await send('withdraw it again', 'POST', `/v1/attachments/${attached.id}/withdrawal`, { token: officer, body: { reason: '再次' } });
for (const format of ['', '?format=json', '?format=csv', '?format=pdf']) await ok(`print voucher ${format || 'default'}`, 'GET', `/v1/transactions/${tx.id}/voucher${format}`);
await ok('bind a month', 'GET', `/v1/funds/${fund.id}/vouchers?period=2026-01&format=pdf`);
await send('bind: not a month', 'GET', `/v1/funds/${fund.id}/vouchers?period=2026-13`, { invalidRequest: true });
await ok('require review', 'PATCH', `/v1/funds/${fund.id}`, { body: { manualVouchersNeedReview: true } });
await send('post directly into a fund that requires review', 'POST', '/v1/transactions', { token: officer, body: posting });
await ok('review no longer required', 'PATCH', `/v1/funds/${fund.id}`, { body: { manualVouchersNeedReview: false } });

await ok('periods', 'GET', `/v1/funds/${fund.id}/periods`);
await send('close period: not reconciled', 'POST', `/v1/funds/${fund.id}/periods/2025-12/close`);
await ok('close period with a reason', 'POST', `/v1/funds/${fund.id}/periods/2025-12/close`, { body: { reason: '对账单未到，先行结账' } });
await send('close it again', 'POST', `/v1/funds/${fund.id}/periods/2025-12/close`);
await send('close a month not ended', 'POST', `/v1/funds/${fund.id}/periods/2999-01/close`);
await ok('get period', 'GET', `/v1/funds/${fund.id}/periods/2025-12`);
await send('post into a closed month', 'POST', '/v1/transactions', { token: officer, body: { ...posting, date: '2025-12-15' } });
await ok('reopen period', 'POST', `/v1/funds/${fund.id}/periods/2025-12/reopen`, { body: { reason: '补记凭证' } });
await send('reopen an open month', 'POST', `/v1/funds/${fund.id}/periods/2025-12/reopen`, { body: { reason: '再次' } });
await ok('verify fund', 'GET', `/v1/funds/${fund.id}/verify`);
await send('verify fund: reader may not', 'GET', `/v1/funds/${fund.id}/verify`, { token: reader });
await send('ledger: reader may not', 'GET', `/v1/accounts/${bank.id}/ledger?${window}`, { token: reader });
await send('verify statement: reader may not', 'POST', '/v1/statements/verify', { token: reader, body: verifyBody });
await ok('audit log', 'GET', '/v1/audit-log?limit=5', { token: auditor });
await send('audit log: officer may not', 'GET', '/v1/audit-log', { token: officer });

// ---- what every operation answers to: no key, a reader's key, an id that does not exist, a malformed id, an
// unknown query parameter, a body of the wrong media type. --------------------------------------------------------
const document = openApiDocument();
const samples: Record<string, string> = {
  fundId: fund.id, accountId: bank.id, transactionId: tx.id, villageId: hongxing.id, householdId: households[0].id, industryId: industry.id,
  disbursementId: d1.id, batchId: batch.id, policyId: policy.id, claimId: claim.id, keyId: doomed.id, period: '2025-11',
};
for (const [template, item] of Object.entries<any>(document.paths)) {
  for (const [method, operation] of Object.entries<any>(item)) {
    if (!operation?.responses || !template.startsWith('/v1/')) continue;
    const fill = (value: (name: string) => string) => template.replace(/\{(\w+)\}/g, (_, name: string) => value(name));
    const url = fill((name) => samples[name] ?? nobody);
    const m = method.toUpperCase();
    const jsonBody = operation.requestBody?.content?.['application/json'] ? {} : undefined;
    // Each of these requests is off the document on purpose (no key, an empty body, no required query): only
    // what the answers do is a finding here.
    await send(`${operation.operationId}: no key`, m, url, { token: null, body: jsonBody, invalidRequest: true });
    await send(`${operation.operationId}: reader`, m, url, { token: reader, body: jsonBody, invalidRequest: true });
    if (template.includes('{')) {
      await send(`${operation.operationId}: unknown id`, m, fill((name) => (name === 'period' ? '2001-01' : nobody)), { body: jsonBody, invalidRequest: true });
      await send(`${operation.operationId}: malformed id`, m, fill(() => 'not-an-id'), { body: jsonBody, invalidRequest: true });
    }
    await send(`${operation.operationId}: unknown query`, m, `${url}?bogus=1`, { body: jsonBody, invalidRequest: true });
    if (operation.requestBody) await send(`${operation.operationId}: text/plain body`, m, url, { raw: { type: 'text/plain', data: 'x' }, invalidRequest: true });
  }
}

// ---- report ------------------------------------------------------------------------------------------------------
const operations = new Set<string>();
for (const [template, item] of Object.entries<any>(document.paths)) for (const m of Object.keys(item)) if (item[m]?.responses) operations.add(`${m.toUpperCase()} ${template}`);
const reached = new Map<string, Set<number>>();
const findings = new Map<string, { count: number; example: string }>();
for (const s of sent) {
  const { operation } = await checkResponse({ method: s.method, url: s.url, status: s.status, headers: {}, body: Buffer.alloc(0) });
  const op = operation ?? `${s.method} ${s.url}`;
  if (!reached.has(op)) reached.set(op, new Set());
  reached.get(op)!.add(s.status);
  const add = (what: string) => {
    const key = `${op}\u0000${s.status}\u0000${what}`;
    const f = findings.get(key) ?? { count: 0, example: `${s.label}: ${s.method} ${s.url}`.slice(0, 160) };
    f.count++;
    findings.set(key, f);
  };
  for (const v of s.prism) {
    const side = v.location[0];
    if (side === 'request' && s.invalidRequest) continue;
    add(`prism ${side === 'request' ? 'REQUEST' : 'response'} ${v.severity} at ${v.location.slice(1).join('.')}: ${v.message}`);
  }
  for (const v of s.ours) add(`validator: ${v}`);
}

console.log(`${sent.length} requests through ${base}; ${[...operations].filter((o) => reached.has(o)).length}/${operations.size} operations reached.`);
const missed = [...operations].filter((o) => !reached.has(o));
if (missed.length) console.log(`Not reached: ${missed.join(', ')}`);
console.log('\nStatuses seen per operation:');
for (const op of operations) console.log(`  ${op}: ${[...(reached.get(op) ?? [])].sort().join(' ')}`);
const prismOwn = sent.filter((s) => !s.fromService);
if (prismOwn.length) console.log(`\nAnswered by Prism itself, not by the service (not checked): ${prismOwn.map((s) => `${s.label} → ${s.status}`).join('; ')}`);
// The same violation on many operations reads best as one finding with the list of where.
const byWhat = new Map<string, { count: number; where: string[]; example: string }>();
for (const [key, f] of findings) {
  const [op, status, what] = key.split('\u0000') as [string, string, string];
  const g = byWhat.get(what) ?? { count: 0, where: [], example: f.example };
  g.count += f.count;
  g.where.push(`${op} → ${status}`);
  byWhat.set(what, g);
}
console.log(`\nViolations: ${byWhat.size} kinds, ${findings.size} operation × status pairs (request-side ones of deliberately invalid requests left out):`);
for (const [what, g] of [...byWhat].sort(([a], [b]) => a.localeCompare(b))) {
  console.log(`- ${what} — ×${g.count} on ${g.where.length} operation × status pairs: ${g.where.sort().join(', ')}\n    e.g. ${g.example}`);
}
const responseSide = [...findings.keys()].filter((k) => !k.includes('prism REQUEST'));
process.exit(responseSide.length ? 1 : 0);
