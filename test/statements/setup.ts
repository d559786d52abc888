import { execFileSync } from 'node:child_process';
import type { TestApp } from '../helpers/app.js';
import { createHousehold, createPreventionFund, createVillage, uniqueCode } from '../helpers/fixtures.js';

export interface Download {
  status: number;
  type: string;
  body: Buffer;
  text: string;
}

/** GETs a statement as bytes (the test helper's call() reads answers as text, which a PDF is not). */
export async function download(t: TestApp, url: string, token?: string): Promise<Download> {
  const response = await t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${token ?? 'test-admin-token-0123456789'}` } });
  return { status: response.statusCode, type: String(response.headers['content-type']), body: response.rawPayload, text: response.body };
}

/** The PDF's text by poppler's pdftotext, keeping each row on its line; pages are separated by form feeds. */
export function pdfText(pdf: Buffer): string {
  return execFileSync('pdftotext', ['-layout', '-enc', 'UTF-8', '-', '-'], { input: pdf, encoding: 'utf8' });
}

/** Each account's net balance (debits positive) as Debian's hledger re-adds a journal file, by account code. */
export function hledgerBalances(file: string): Map<string, string> {
  const csv = execFileSync('hledger', ['-f', file, 'balance', '--flat', '--empty', '--no-total', '-O', 'csv'], { encoding: 'utf8' });
  return new Map(
    csv
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => {
        const [account, amount] = line.split('","').map((c) => c.replace(/"/g, ''));
        return [account!.split(':')[1]!.split(' ')[0]!, (amount!.replace(/ CNY$/, '') || '0').replace(/,/g, '')] as const;
      }),
  );
}

export const pdfPages = (pdf: Buffer) => pdfText(pdf).split('\f').filter((p) => p.trim());

/** Amounts as printed ("1,234.56") back to plain decimal strings, so tests search the text for the JSON figures. */
export const plain = (text: string) => text.replace(/(\d),(?=\d{3}\b)/g, '$1');

/** Rows of a CSV answer (no quoted commas in what tests read). */
export const csvRows = (text: string) =>
  text
    .replace(/^\uFEFF/, '')
    .split('\r\n')
    .map((line) => line.split(','));

/** The value of a "field,value" line of a statement CSV, or the cells after a label. */
export const csvLine = (text: string, label: string) => csvRows(text).find((r) => r[0] === label);

async function ok(r: Promise<{ status: number; body: any }>, status = 201) {
  const reply = await r;
  if (reply.status !== status) throw new Error(`${reply.status}: ${JSON.stringify(reply.body)}`);
  return reply.body;
}

export const PERIOD = { from: '2026-01-01', to: '2026-11-30' };

/**
 * The field scenario of the statement tests, in a fund named in traditional characters (扶貧基金):
 * a donation the year before (the opening balance), a donation, a fiscal transfer, a 132,000.00 dividend
 * split 40/60 from 臺灣村 to 青山村 and 石桥村, a 50,000.00 premium with 5,000.00 refunded and a 9,000.00
 * claim, a medical subsidy paid from 臺灣村's allocation, a living allowance paid, temporary relief
 * approved and not yet paid.
 */
export async function fieldScenario(t: TestApp, keys: { maker: string; checker: string }) {
  const { fundId, fund, byRole } = await createPreventionFund(t, { name: '扶貧基金（臺灣村試點）' });
  const taiwan = await createVillage(t, '臺灣村');
  const qingshan = await createVillage(t, '青山村');
  const shiqiao = await createVillage(t, '石桥村');
  const zhang = await createHousehold(t, taiwan, '2025-01-01', '张三明');
  const ouyang = await createHousehold(t, qingshan, '2025-01-01', '欧阳明月');
  const li = await createHousehold(t, qingshan, '2025-01-01', '李四');

  const income = (source: string, date: string, amount: string) =>
    ok(t.call('POST', `/v1/funds/${fundId}/income`, { body: { source, payer: '某银行某县支行', date, amount } }));
  await income('donation', '2025-12-20', '10000.00');
  await income('donation', '2026-01-05', '500000.00');
  await income('fiscal_transfer', '2026-02-01', '100000.00');

  const industry = await ok(
    t.call('POST', '/v1/industries', {
      body: {
        fundId,
        name: '某县肉牛养殖有限公司',
        projectVillageId: taiwan,
        radiatingVillages: [{ villageId: qingshan }, { villageId: shiqiao }],
        projectVillageShare: '0.40',
      },
    }),
  );
  await ok(t.call('POST', `/v1/industries/${industry.id}/dividends`, { body: { date: '2026-03-01', amount: '132000.00', reference: '分红-2026' } }));

  const policy = await ok(
    t.call('POST', '/v1/insurance-policies', {
      body: {
        fundId,
        insurer: '某保险公司某县支公司',
        policyNumber: uniqueCode('FPB'),
        premium: '50000.00',
        coverFrom: '2026-01-01',
        coverTo: '2026-12-31',
        coveredPopulation: '全乡农业人口',
        coveredCount: 1000,
      },
    }),
  );
  await ok(t.call('POST', `/v1/insurance-policies/${policy.id}/premium`, { body: { date: '2026-01-10', amount: '50000.00' } }));
  await ok(t.call('POST', `/v1/insurance-policies/${policy.id}/refund`, { body: { date: '2026-06-01', amount: '5000.00', reference: 'TF-001' } }));
  const claim = await ok(
    t.call('POST', '/v1/insurance-claims', {
      body: { policyId: policy.id, householdId: li, cause: 'illness', date: '2026-05-10', amountClaimed: '9000.00' },
      token: keys.maker,
    }),
  );
  await ok(t.call('POST', `/v1/insurance-claims/${claim.id}/approve`, { body: { amountApproved: '9000.00' }, token: keys.checker }), 200);
  await ok(t.call('POST', `/v1/insurance-claims/${claim.id}/pay`, { body: { payoutReference: 'LP-001', date: '2026-05-20' }, token: keys.checker }), 200);

  const disburse = async (householdId: string, category: string, amount: string, options: { villageId?: string; pay?: boolean } = {}) => {
    const d = await ok(
      t.call('POST', '/v1/disbursements', {
        body: { fundId, householdId, category, amount, date: '2026-06-15', ...(options.villageId ? { villageId: options.villageId } : {}) },
        token: keys.maker,
      }),
    );
    await ok(t.call('POST', `/v1/disbursements/${d.id}/approve`, { token: keys.checker }), 200);
    if (options.pay !== false) await ok(t.call('POST', `/v1/disbursements/${d.id}/pay`, { body: { bankReference: `YKT-${d.id.slice(0, 8)}` }, token: keys.checker }), 200);
    return d.id as string;
  };
  await disburse(zhang, 'medical_subsidy', '3000.00', { villageId: taiwan });
  await disburse(ouyang, 'living_allowance', '800.00');
  await disburse(li, 'temporary_relief', '1200.00', { pay: false });

  return { fundId, fund, byRole, villages: { taiwan, qingshan, shiqiao }, households: { zhang, ouyang, li }, policyId: policy.id as string, industryId: industry.id as string };
}
