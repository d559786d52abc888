// Benchmark: the account ledger (明细账) of 10,000 lines as a PDF, against bare pdfkit writing the same
// rows with the same font and layout, in one run. Goals: the service's peak memory grows by less than
// 150 MB while it answers, and it takes at most twice the time bare pdfkit takes.
//
//   TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test npx tsx test/bench/statement-ledger.ts
//   npx tsx test/bench/statement-ledger.ts            # on PGlite in a temporary folder
//
// 1. 10,000 transactions are posted through postTransaction (Dr bank / Cr income, 500 per database
//    transaction) into a fresh database: one of its own on the server of TEST_DATABASE_URL or
//    DATABASE_URL (dropped at the end), else a PGlite folder. The ledger's rows are read as JSON.
// 2. The service (src/server.ts) runs in a child process of its own, so its memory is measured alone.
//    After a warm-up request (a one-line ledger: fonts parsed, code compiled) its peak RSS is reset
//    (/proc/<pid>/clear_refs); the growth is its VmHWM at the end minus its VmRSS before.
// 3. Bare pdfkit runs in two more child processes (this file with --bare): the same rows, in the same
//    layout and font, written to a file — once with the font file registered on the document, as pdfkit
//    is used (the goal's baseline), once with a font parsed beforehand, as the service does once per
//    process (the fastest pdfkit can be, for comparison). Each writes a warm-up document first.
// 4. The service's PDF request and the two bare documents take turns, BENCH_RUNS times (3), so a busy
//    machine slows both sides alike; each side's median counts.
// Figures are printed and written to test/bench/results/statement-ledger.json. Not part of `npm test`.
import { type ChildProcess, execFileSync, fork, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import * as fontkit from 'fontkit';
import PDFDocument from 'pdfkit';
import { emptyPostgresDatabase } from '../helpers/database.js';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { openDatabase, rows } from '../../src/db/client.js';
import { today } from '../../src/ledger/dates.js';
import { postTransaction } from '../../src/ledger/posting.js';
import { inLedgerTransaction } from '../../src/ledger/commit.js';
import { displayMoney } from '../../src/statements/document.js';

const LINES = Number(process.env.BENCH_LINES ?? 10_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const MEMORY_GOAL_MB = 150;
const TIME_GOAL_RATIO = 2;
const ADMIN_TOKEN = 'bench-admin-token-0123456789';
const ID_HASH_KEY = 'bench-id-hash-key-0123456789abcdef0123456789';
const root = fileURLToPath(new URL('../../', import.meta.url));

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const round = (n: number, digits = 1) => Number(n.toFixed(digits));
const seconds = (since: bigint) => Number(process.hrtime.bigint() - since) / 1e9;

/** VmRSS and VmHWM (peak) of a process, in MB. */
function memoryOf(pid: number) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(status.match(new RegExp(`${field}:\\s+(\\d+) kB`))![1]);
  return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
}

/** Resets a process's peak RSS to its current RSS; false where the kernel does not allow it. */
function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** Peak growth since `before`: from the reset peak, or (without a reset) from the larger of the two. */
const growth = (before: { rss: number; hwm: number }, after: { hwm: number }, reset: boolean) => after.hwm - (reset ? before.rss : Math.max(before.rss, before.hwm));

// ---------------------------------------------------------------------------------------------------
// Bare pdfkit: the ledger's rows with pdfkit's own calls, in the service's layout and font.

interface Row {
  date: string;
  voucherNumber: number;
  description: string;
  debit: string;
  credit: string;
  balance: string;
}

const amount = (v: string) => (v === '0.00' ? '' : displayMoney(v));

function bareDocument(rows: Row[], font: Buffer | fontkit.Font, file: string): Promise<void> {
  const doc = new PDFDocument({ autoFirstPage: false, size: 'A4', margin: 0 });
  // One font for all text, registered once: the least work pdfkit can be given.
  doc.registerFont('regular', font as Buffer);
  const out = createWriteStream(file);
  doc.pipe(out);
  const widths = [58, 42, 165, 76, 76, 26, 80].map((w) => (w / 523) * 515.28);
  const xs = widths.map((_, i) => 40 + widths.slice(0, i).reduce((a, b) => a + b, 0));
  const perPage = Math.floor((841.89 - 58 - 106 - 24) / 14);
  const pages = Math.ceil(rows.length / perPage);
  const cell = (text: string, i: number, y: number, right: boolean) => {
    if (!text) return;
    const x = right ? xs[i]! + widths[i]! - 3 - doc.widthOfString(text) : xs[i]! + 3;
    doc.text(text, x, y, { lineBreak: false });
  };
  for (let p = 0; p < pages; p++) {
    doc.addPage({ size: 'A4', margin: 0 });
    doc.font('regular').fontSize(14).text('明细账 Account ledger', 40, 36, { lineBreak: false });
    doc.fontSize(8);
    doc.text('基金 Fund：基准测试防止返贫专项基金 (BENCH)', 40, 60, { lineBreak: false });
    doc.text('科目 Account：1002 银行存款—专户', 40, 72, { lineBreak: false });
    doc.text('生成 Generated：bench', 40, 84, { lineBreak: false });
    doc.moveTo(40, 98).lineTo(555.28, 98).stroke();
    ['日期', '凭证号', '摘要', '借方', '贷方', '方向', '余额'].forEach((h, i) => cell(h, i, 107, i >= 3));
    doc.moveTo(40, 129).lineTo(555.28, 129).stroke();
    let y = 130;
    for (const r of rows.slice(p * perPage, (p + 1) * perPage)) {
      [r.date, String(r.voucherNumber), r.description, amount(r.debit), amount(r.credit), '借', amount(r.balance)].forEach((v, i) =>
        cell(v, i, y + 3, i === 3 || i === 4 || i === 6),
      );
      y += 14;
    }
    doc.fontSize(7.5).text(`第 ${p + 1} 页 共 ${pages} 页 · page ${p + 1} of ${pages}`, 40, 793.89, { lineBreak: false });
  }
  doc.end();
  return new Promise((resolve, reject) => {
    out.on('finish', resolve);
    out.on('error', reject);
  });
}

/** A bare pdfkit worker: writes the document each time it is told, answers with the time taken. */
async function bareWorker(rowsFile: string, outFile: string, mode: 'file' | 'parsed') {
  const fontPath = join(dirname(createRequire(import.meta.url).resolve('@embedpdf/fonts-sc')), '..', 'fonts', 'NotoSansHans-Regular.otf');
  const fontFile = readFileSync(fontPath);
  const rows = JSON.parse(readFileSync(rowsFile, 'utf8')) as Row[];
  const font = mode === 'parsed' ? (fontkit.create(fontFile) as fontkit.Font) : fontFile;
  await bareDocument(rows.slice(0, 50), font, `${outFile}.warmup.pdf`);
  const before = memoryOf(process.pid);
  const reset = resetPeak(process.pid);
  process.on('message', async (message: string) => {
    if (message === 'run') {
      const started = process.hrtime.bigint();
      await bareDocument(rows, font, outFile);
      process.send!({ seconds: seconds(started) });
    } else {
      const after = memoryOf(process.pid);
      process.send!({ bytes: statSync(outFile).size, rssBeforeMB: before.rss, peakGrowthMB: growth(before, after, reset) }, () => process.exit(0));
    }
  });
  process.send!('ready');
}

// ---------------------------------------------------------------------------------------------------
// The service and the run.

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** GETs a path of the service; the answer goes to `file` when given. Timed to the last byte. */
function get(port: number, path: string, file?: string): Promise<{ status: number; bytes: number; seconds: number }> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } }, (res) => {
      const sink = file ? createWriteStream(file) : undefined;
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        sink?.write(chunk);
      });
      res.on('end', () => {
        const done = () => resolve({ status: res.statusCode!, bytes, seconds: seconds(started) });
        if (sink) sink.end(done);
        else done();
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

async function waitUntilUp(port: number, child: ChildProcess) {
  for (let i = 0; i < 600; i++) {
    if (child.exitCode !== null) throw new Error(`the service exited with ${child.exitCode}`);
    try {
      if ((await get(port, '/healthz')).status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the service did not start in 60 s');
}

/** Posts the ledger and returns the account ids and the rows of its JSON statement. */
async function load(database: ReturnType<typeof openDatabase>) {
  const config = loadConfig({ LEDGER_ADMIN_TOKEN: ADMIN_TOKEN, LOG_LEVEL: 'silent' });
  const app = await buildApp({ config, database, idHashKey: ID_HASH_KEY });
  await app.ready();
  const call = async (method: 'POST' | 'GET', path: string, payload?: object) => {
    const r = await app.inject({ method, url: path, headers: { authorization: `Bearer ${ADMIN_TOKEN}` }, ...(payload ? { payload } : {}) });
    if (r.statusCode >= 300) throw new Error(`${path}: ${r.statusCode} ${r.body.slice(0, 500)}`);
    return r.json();
  };
  const fund = await call('POST', '/v1/funds', { code: 'BENCH', name: '基准测试防止返贫专项基金', organisation: '某县某乡人民政府', purpose: '基准测试' });
  const account = (code: string, name: string, type: string) => call('POST', `/v1/funds/${fund.id}/accounts`, { code, name, type });
  const bank = await account('1002', '银行存款—专户', 'asset');
  const income = await account('4101', '资产收益分红收入', 'income');
  const petty = await account('1009', '备用金', 'asset');
  const ctx = { actor: 'bench', today: today(config.LEDGER_TIMEZONE) };
  const started = process.hrtime.bigint();
  for (let start = 0; start < LINES; start += 500) {
    await inLedgerTransaction(database.db, async (tx) => {
      for (let i = start; i < Math.min(start + 500, LINES); i++) {
        const date = `2025-${String(1 + Math.floor((i * 12) / LINES)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}`;
        const value = `${1000 + (i % 9000)}.${String(i % 100).padStart(2, '0')}`;
        await postTransaction(
          tx,
          {
            date,
            description: `资产收益分红—第${i + 1}笔 肉牛养殖合作社（臺灣村）`,
            lines: [
              { accountId: bank.id, direction: 'debit', amount: value },
              { accountId: income.id, direction: 'credit', amount: value },
            ],
          },
          ctx,
        );
      }
    });
    process.stdout.write(`\rposted ${Math.min(start + 500, LINES)} / ${LINES}`);
  }
  await inLedgerTransaction(database.db, (tx) =>
    postTransaction(
      tx,
      {
        date: '2025-01-02',
        description: '备用金',
        lines: [
          { accountId: petty.id, direction: 'debit', amount: '10.00' },
          { accountId: income.id, direction: 'credit', amount: '10.00' },
        ],
      },
      ctx,
    ),
  );
  const postingSeconds = seconds(started);
  console.log(` in ${postingSeconds.toFixed(1)} s`);
  const ledger = await call('GET', `/v1/accounts/${bank.id}/ledger?from=2025-01-01&to=2025-12-31`);
  if (ledger.lines.length !== LINES) throw new Error(`the ledger has ${ledger.lines.length} lines, not ${LINES}`);
  await app.close();
  return { bank: bank.id as string, petty: petty.id as string, rows: ledger.lines as Row[], postingSeconds };
}

async function main() {
  const server = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;
  const work = mkdtempSync(join(tmpdir(), 'fl-bench-statement-'));
  const empty = server ? await emptyPostgresDatabase(server) : undefined;
  const url = empty?.url;
  const dataDir = join(work, 'data');
  const children: ChildProcess[] = [];
  try {
    const database = openDatabase(url ? { url } : { dataDir });
    await database.migrate();
    const [version] = url
      ? await rows<{ v: string }>(database.db, sql`select current_setting('server_version') as v`)
      : [{ v: 'PGlite' }];
    const { bank, petty, rows: ledgerRows, postingSeconds } = await load(database);
    // PGlite's folder is opened by one process at a time: the service's, from now on.
    await database.close();
    const rowsFile = join(work, 'rows.json');
    writeFileSync(rowsFile, JSON.stringify(ledgerRows));

    const port = await freePort();
    const service = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      cwd: root,
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
        LEDGER_ADMIN_TOKEN: ADMIN_TOKEN,
        LEDGER_ID_HASH_KEY: ID_HASH_KEY,
        ...(url ? { DATABASE_URL: url } : { DATABASE_URL: '', LEDGER_DATA_DIR: dataDir }),
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    children.push(service);
    const workers = (['file', 'parsed'] as const).map((mode) => {
      const worker = fork(fileURLToPath(import.meta.url), ['--bare', rowsFile, join(work, `bare-${mode}.pdf`), mode], {
        cwd: root,
        execArgv: ['--import', 'tsx'],
      });
      children.push(worker);
      return worker;
    });
    const ask = async (worker: ChildProcess, message: string) => {
      worker.send(message);
      const [answer] = await once(worker, 'message');
      return answer;
    };
    await Promise.all(workers.map((w) => once(w, 'message')));
    await waitUntilUp(port, service);

    const ledgerPath = (accountId: string) => `/v1/accounts/${accountId}/ledger?from=2025-01-01&to=2025-12-31&format=pdf`;
    const warmup = await get(port, ledgerPath(petty), join(work, 'warmup.pdf'));
    if (warmup.status !== 200) throw new Error(`warm-up: ${warmup.status}`);
    await new Promise((r) => setTimeout(r, 500));
    const before = memoryOf(service.pid!);
    const reset = resetPeak(service.pid!);
    let sampled = before.rss;
    const sampler = setInterval(() => {
      sampled = Math.max(sampled, memoryOf(service.pid!).rss);
    }, 50);

    const pdfFile = join(work, 'ledger.pdf');
    const times = { service: [] as number[], file: [] as number[], parsed: [] as number[] };
    let bytes = 0;
    for (let run = 0; run < RUNS; run++) {
      const answer = await get(port, ledgerPath(bank), pdfFile);
      if (answer.status !== 200) throw new Error(`ledger: ${answer.status}`);
      times.service.push(answer.seconds);
      bytes = answer.bytes;
      times.file.push((await ask(workers[0]!, 'run')).seconds);
      times.parsed.push((await ask(workers[1]!, 'run')).seconds);
      console.log(`run ${run + 1}: service ${answer.seconds.toFixed(2)} s, bare pdfkit ${times.file.at(-1)!.toFixed(2)} s (pre-parsed font ${times.parsed.at(-1)!.toFixed(2)} s)`);
    }
    clearInterval(sampler);
    const after = memoryOf(service.pid!);
    const [bareFile, bareParsed] = (await Promise.all(workers.map((w) => ask(w, 'done')))) as { bytes: number; rssBeforeMB: number; peakGrowthMB: number }[];
    const pages = Number(execFileSync('pdfinfo', [pdfFile], { encoding: 'utf8' }).match(/Pages:\s+(\d+)/)?.[1] ?? 0);

    const serviceGrowth = growth(before, after, reset);
    const ratio = median(times.service) / median(times.file);
    const results = {
      when: new Date().toISOString(),
      machine: { cpu: cpus()[0]?.model, cpus: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), node: process.version, database: version?.v },
      lines: LINES,
      runs: RUNS,
      pdf: { pages, bytes },
      service: {
        seconds: round(median(times.service), 2),
        runs: times.service.map((t) => round(t, 2)),
        rssBeforeMB: round(before.rss),
        peakGrowthMB: round(serviceGrowth),
        sampledPeakGrowthMB: round(sampled - before.rss),
        peakReset: reset,
        warmupSeconds: round(warmup.seconds, 2),
      },
      barePdfkit: {
        seconds: round(median(times.file), 2),
        runs: times.file.map((t) => round(t, 2)),
        bytes: bareFile!.bytes,
        rssBeforeMB: round(bareFile!.rssBeforeMB),
        peakGrowthMB: round(bareFile!.peakGrowthMB),
      },
      barePdfkitFontPreparsed: {
        seconds: round(median(times.parsed), 2),
        runs: times.parsed.map((t) => round(t, 2)),
        bytes: bareParsed!.bytes,
        rssBeforeMB: round(bareParsed!.rssBeforeMB),
        peakGrowthMB: round(bareParsed!.peakGrowthMB),
      },
      timeRatio: round(ratio, 2),
      timeRatioToPreparsedFont: round(median(times.service) / median(times.parsed), 2),
      postingSeconds: round(postingSeconds),
      goals: { peakGrowthMB: MEMORY_GOAL_MB, timeRatio: TIME_GOAL_RATIO },
      withinGoals: { memory: serviceGrowth < MEMORY_GOAL_MB, time: ratio <= TIME_GOAL_RATIO },
    };
    console.table({
      service: { 'median s': results.service.seconds, 'peak growth MB': results.service.peakGrowthMB, bytes },
      'bare pdfkit (font file)': { 'median s': results.barePdfkit.seconds, 'peak growth MB': results.barePdfkit.peakGrowthMB, bytes: bareFile!.bytes },
      'bare pdfkit (font pre-parsed)': {
        'median s': results.barePdfkitFontPreparsed.seconds,
        'peak growth MB': results.barePdfkitFontPreparsed.peakGrowthMB,
        bytes: bareParsed!.bytes,
      },
    });
    console.log(
      `${LINES} lines, ${pages} pages; service / bare pdfkit = ${results.timeRatio} (goal ≤ ${TIME_GOAL_RATIO}; ` +
        `${results.timeRatioToPreparsedFont} against a pre-parsed font); service peak growth ${results.service.peakGrowthMB} MB (goal < ${MEMORY_GOAL_MB})`,
    );
    mkdirSync(new URL('results/', import.meta.url), { recursive: true });
    writeFileSync(new URL('results/statement-ledger.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
    console.log('wrote test/bench/results/statement-ledger.json');
    if (!results.withinGoals.memory || !results.withinGoals.time) process.exitCode = 1;
  } finally {
    for (const child of children) {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
    }
    rmSync(work, { recursive: true, force: true });
    await empty?.drop();
  }
}

if (process.argv[2] === '--bare') await bareWorker(process.argv[3]!, process.argv[4]!, process.argv[5] as 'file' | 'parsed');
else await main();
