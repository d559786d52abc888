// scratch, never commit
import { randomInt } from 'node:crypto';
import { execFileSync, execFile } from 'node:child_process';
import { today as todayIn } from '../../../src/ledger/dates.js';
import { withGroups } from '../lib/groups.js';
import { load } from '../lib/load.js';
import { ADMIN_TOKEN, client, createDatabase, expect, groupCeiling, inParallel, keyFor, postgresServer, startService } from '../lib/service.js';

const ACCOUNTS = 1000, RUNS = Number(process.env.Q_RUNS ?? 2), SECS = Number(process.env.Q_SECONDS ?? 8), CLIENTS = Number(process.env.Q_CLIENTS ?? 16);
const WORK = (process.env.Q_WORK ?? 'random,split5').split(',');
const today = todayIn('Asia/Shanghai');
const cents = (c: number) => `${Math.floor(c / 100)}.${String(c % 100).padStart(2, '0')}`;
const line = (accountId: string, direction: string, amount: string) => ({ accountId, direction, amount });
const pick = (n: number, skip = false) => { const s = new Set<number>(); while (s.size < n) s.add(randomInt(skip ? 1 : 0, ACCOUNTS)); return [...s]; };

const db = await createDatabase(postgresServer());
const service = await startService({ url: process.env.Q_PGOPT ? db.url + '?options=' + encodeURIComponent(process.env.Q_PGOPT) : process.env.Q_EXPLAIN ? db.url + '?options=' + encodeURIComponent('-c session_preload_libraries=auto_explain -c auto_explain.log_min_duration=0 -c auto_explain.log_triggers=on -c auto_explain.log_analyze=on -c auto_explain.log_nested_statements=on') : db.url });
try {
  const admin = client(service.url, ADMIN_TOKEN);
  const officer = await keyFor(admin, 'officer');
  const record = client(service.url, officer);
  const fund = await expect(201, admin('POST', '/v1/funds', { code: 'Q', name: 'q', organisation: 'q', purpose: 'q' }), 'fund');
  const account = (code: string, type: string) => expect(201, admin('POST', `/v1/funds/${fund.id}/accounts`, { code, name: `科目 ${code}`, type }), 'acct').then((a) => a.id as string);
  const income = await account('4001', 'income');
  const accounts = await inParallel([...Array(ACCOUNTS).keys()], 8, (i) => account(String(100_000 + i), 'asset'));
  for (let from = 0; from < ACCOUNTS; from += 500) {
    const chunk = accounts.slice(from, from + 500);
    const amounts = chunk.map((_, i) => (from + i === 0 ? 90_000_000_000 : 100_000_000));
    const total = amounts.reduce((a, b) => a + b, 0);
    await expect(201, record('POST', '/v1/transactions', { date: today, description: 'f', lines: [...chunk.map((id, i) => line(id, 'debit', cents(amounts[i]!))), line(income, 'credit', cents(total))] }), 'funding');
  }
  const bodies: Record<string, () => object> = {
    random: () => { const [a, b] = pick(2); const amt = cents(randomInt(100, 10_000)); return { date: today, description: 'bench transfer', lines: [line(accounts[a!]!, 'debit', amt), line(accounts[b!]!, 'credit', amt)] }; },
    hot: () => { const [to] = pick(1, true); const amt = cents(randomInt(100, 10_000)); return { date: today, description: 'bench payment', lines: [line(accounts[to!]!, 'debit', amt), line(accounts[0]!, 'credit', amt)] }; },
    split5: () => { const [s, ...d] = pick(5); const parts = d.map(() => randomInt(100, 2_500)); const tot = parts.reduce((a, b) => a + b, 0); return { date: today, description: 'bench split', lines: [line(accounts[s!]!, 'credit', cents(tot)), ...d.map((x, i) => line(accounts[x]!, 'debit', cents(parts[i]!)))] }; },
  };
  const res: Record<string, number[]> = {};
  for (let r = 0; r < RUNS; r++) {
    for (const w of WORK) {
      if (w === 'ceil') { const c = groupCeiling('random', CLIENTS, SECS); (res[w] ??= []).push(c?.tps ?? 0); console.log('ceil', c); continue; }
      if (w === 'ceil5') { const o = execFileSync('node', ['/tmp/gh5.mjs', 'random', String(CLIENTS), String(SECS)], { env: { ...process.env, LEGS: '5' } }).toString(); const t = Number(/tps=([\d.]+)/.exec(o)![1]); (res[w] ??= []).push(t); console.log(o.trim()); continue; }
      if (process.env.Q_CKPT?.split(',').includes(w)) execFileSync('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-qc', 'checkpoint', 'postgres']);
      const cpu = process.env.Q_CPU ? new Promise<string>((r) => setTimeout(() => execFile('/tmp/cpu.sh', [String(SECS - 2)], (_e, out) => r(out)), 1000)) : null;
      const f = await withGroups([service.url], () => load({ url: service.url, token: officer, path: '/v1/transactions', connections: CLIENTS, duration: SECS, body: bodies[w]! }));
      (res[w] ??= []).push(f.perSecond);
      if (cpu) { const out = await cpu; console.log(out.trim().split('\n').map((l) => { const [c, t] = l.split(' '); return `${c} ${(Number(t) / (SECS - 2) * 1e6 / f.perSecond).toFixed(0)}us/req`; }).join(' | ')); }
      console.log(w, f.perSecond, 'p99', f.p99ms, 'mean group', (f.groups.writes / f.groups.groups).toFixed(1), f['4xx'], f['5xx']);
    }
  }
  const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
  for (const [k, v] of Object.entries(res)) console.log(k, Math.round(mean(v)), v.join(' '));
  if (res.random && res.split5) console.log('split5/random', (mean(res.split5) / mean(res.random)).toFixed(3));
} finally {
  await service.stop();
  if (process.env.Q_KEEP) console.log('kept', db.url); else await db.drop();
}
