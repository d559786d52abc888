import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DataDirLockedError, lockDataDir } from '../../src/db/data-dir-lock.js';

const root = new URL('../..', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'fl-lock-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
let folders = 0;
const folder = () => {
  const dir = join(work, `data-${++folders}`);
  mkdirSync(dir);
  return dir;
};

const LOCK = 'fund-ledger.lock';
const lockOf = (dir: string) => JSON.parse(readFileSync(join(dir, LOCK), 'utf8'));
/** The pid of a process that has come and gone. */
const deadPid = () => spawnSync(process.execPath, ['-e', '']).pid!;
/** What this process writes into a lock (boot id, pid namespace…), to make locks left by others from. */
function template(dir: string) {
  const probe = lockDataDir(dir);
  const content = lockOf(dir);
  probe.release();
  return content;
}

describe('the data folder lock', () => {
  it('lets one owner in at a time, names it to the next, and is gone once released', () => {
    const dir = folder();
    const lock = lockDataDir(dir);
    expect(lockOf(dir)).toMatchObject({ pid: process.pid, hostname: hostname() });
    let refusal: unknown;
    try {
      lockDataDir(dir);
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(DataDirLockedError);
    expect((refusal as Error).message).toContain(`The embedded database in ${dir} is in use by process ${process.pid}`);
    expect((refusal as Error).message).toContain(`kill ${process.pid}`);
    lock.release();
    expect(readdirSync(dir)).toEqual([]);
    lockDataDir(dir).release();
  });

  it('takes over the lock of a process that is gone, of a pid now someone else\'s, and a damaged lock file', () => {
    for (const stale of [{ pid: deadPid() }, { pid: process.pid, startTime: '1' }, null]) {
      const dir = folder();
      const own = template(dir);
      if (stale) writeFileSync(join(dir, LOCK), JSON.stringify({ ...own, ...stale, nonce: 'old' }));
      else writeFileSync(join(dir, LOCK), '{"pid": 12');
      const lock = lockDataDir(dir);
      expect(lockOf(dir).nonce).not.toBe('old');
      lock.release();
      expect(readdirSync(dir)).toEqual([]);
    }
  });

  it('refuses a lock held on another machine, saying how to clear it if that process is gone', () => {
    const dir = folder();
    const own = template(dir);
    writeFileSync(join(dir, LOCK), JSON.stringify({ ...own, pid: deadPid(), hostname: 'county-server-2', nonce: 'theirs' }));
    expect(() => lockDataDir(dir)).toThrow(`delete ${join(dir, LOCK)}`);
    expect(lockOf(dir).nonce).toBe('theirs');
  });

  it('takes over a stale lock whose previous taker was killed half-way', () => {
    const dir = folder();
    const own = template(dir);
    const stale = `${JSON.stringify({ ...own, pid: deadPid(), nonce: 'old' })}\n`;
    writeFileSync(join(dir, LOCK), stale);
    // The claim a taker makes before replacing a stale lock, named after that lock's content.
    const claim = `${LOCK}.${createHash('sha256').update(stale).digest('hex').slice(0, 16)}.claim`;
    writeFileSync(join(dir, claim), JSON.stringify({ ...own, pid: deadPid(), nonce: 'taker' }));
    const lock = lockDataDir(dir);
    expect(lockOf(dir)).toMatchObject({ pid: process.pid });
    lock.release();
    expect(readdirSync(dir)).toEqual([]);
  });

  /**
   * Processes that all try at the same instant: each prints "won" or "refused <pid>"; a winner keeps the
   * lock until its stdin closes, so that a late racer cannot find it already released.
   */
  function race(dir: string, racers: number): Promise<string[]> {
    const at = Date.now() + 2500;
    const script = `
      const { lockDataDir } = await import(${JSON.stringify(join(root, 'src/db/data-dir-lock.ts'))});
      await new Promise((r) => setTimeout(r, ${at} - Date.now()));
      try {
        const lock = lockDataDir(${JSON.stringify(dir)});
        console.log('won');
        process.stdin.resume();
        process.stdin.on('end', () => { lock.release(); process.exit(0); });
      } catch (error) {
        console.log(error.owner ? 'refused ' + error.owner.pid : 'error ' + error.message);
      }`;
    const children: ChildProcess[] = [];
    const answers = Array.from({ length: racers }, () => {
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root });
      children.push(child);
      let out = '';
      child.stdout!.on('data', (d) => (out += d));
      child.stderr!.on('data', (d) => (out += d));
      return new Promise<string>((resolve) => {
        const seen = () => /\n/.test(out) && resolve(`${out.trim()} ${child.pid}`);
        child.stdout!.on('data', seen);
        child.on('exit', () => resolve(`${out.trim()} ${child.pid}`));
      });
    });
    return Promise.all(answers).then(async (said) => {
      const lockedBy = existsSync(join(dir, LOCK)) ? lockOf(dir).pid : null;
      await Promise.all(
        children.map((c) => {
          c.stdin!.end();
          return new Promise((r) => (c.exitCode === null ? c.on('exit', r) : r(null)));
        }),
      );
      return [...said, `locked by ${lockedBy}`];
    });
  }

  it('lets exactly one of several racers take a stale lock, or a free folder', { timeout: 120_000 }, async () => {
    const setups = [
      (dir: string) => writeFileSync(join(dir, LOCK), JSON.stringify({ ...template(dir), pid: deadPid(), nonce: 'old' })),
      (dir: string) => writeFileSync(join(dir, LOCK), JSON.stringify({ ...template(dir), pid: deadPid(), nonce: 'old' })),
      () => {},
    ];
    for (const setup of setups) {
      const dir = folder();
      setup(dir);
      const said = await race(dir, 4);
      const lockedBy = said.pop()!;
      const winners = said.filter((s) => s.startsWith('won '));
      expect(winners, said.join('\n')).toHaveLength(1);
      const winner = winners[0]!.split(' ')[1];
      expect(lockedBy).toBe(`locked by ${winner}`);
      // Every other racer was told who holds it.
      for (const s of said.filter((s) => !s.startsWith('won '))) expect(s).toMatch(new RegExp(`^refused ${winner} \\d+$`));
      expect(readdirSync(dir)).toEqual([]);
    }
  });
});

// `npm start` twice on one folder, and a start after a kill -9, are tested beside the demo (test/scripts/demo.test.ts), on one service.
