import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, openSync, readFileSync, readlinkSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * The embedded database (PGlite) is one process's private database: a second process opening the same
 * folder writes over the first one's files, silently. So every program takes this lock on the folder
 * before opening it, and a second one is refused while the first runs.
 *
 * The lock is a file in the folder naming its owner. It is created complete, with link(), which fails
 * when the file exists, so exactly one of several starters gets it. An owner killed without releasing it
 * (kill -9, power loss) leaves the file behind: it is stale when its process is gone, or when its pid now
 * belongs to another process (the start time differs) or the machine has rebooted since. A stale lock is
 * replaced only by the one process that first claims it (a claim file named after that lock, created with
 * link() as well), and only if the lock is still the stale one, so two processes finding the same stale
 * lock never both become owners. A claimer killed mid-way leaves a stale claim, taken over the same way.
 */

const LOCK_FILE = 'fund-ledger.lock';

export interface LockOwner {
  pid: number;
  /** Clock ticks after boot when the process started (Linux /proc/<pid>/stat field 22); null elsewhere. */
  startTime: string | null;
  bootId: string | null;
  /** Pids mean something only in their own pid namespace (containers). */
  pidNamespace: string | null;
  hostname: string;
  command: string;
  since: string;
  nonce: string;
}

export class DataDirLockedError extends Error {
  constructor(
    readonly dataDir: string,
    readonly owner: LockOwner,
  ) {
    const where = sameMachine(owner) ? '' : ` on ${owner.hostname}`;
    super(
      `The embedded database in ${dataDir} is in use by process ${owner.pid}${where} (${owner.command}, since ${owner.since}): ` +
        'it serves one process at a time, and a second one would damage it.\n' +
        (sameMachine(owner)
          ? `Stop that process first (Ctrl-C in its terminal, or kill ${owner.pid}), `
          : `That process cannot be checked from here: stop it first or, if it no longer runs, delete ${join(dataDir, LOCK_FILE)}; `) +
        'or give this one its own LEDGER_DATA_DIR; or run on PostgreSQL (DATABASE_URL), which serves many processes.',
    );
  }
}

export interface DataDirLock {
  release(): void;
}

/** Takes the folder's lock, or throws DataDirLockedError naming the process that holds it. */
export function lockDataDir(dataDir: string): DataDirLock {
  const folder = resolve(dataDir);
  const path = join(folder, LOCK_FILE);
  const me: LockOwner = { ...thisProcess(), nonce: randomBytes(12).toString('hex') };
  const content = `${JSON.stringify(me)}\n`;
  // Written and synced under a name of its own before it is linked, so a lock file is never seen half-written.
  const draft = `${path}.${me.nonce}`;
  const fd = openSync(draft, 'wx', 0o644);
  try {
    writeSync(fd, content);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    const holder = take(path, draft);
    if (holder) throw new DataDirLockedError(folder, holder);
  } finally {
    removeFile(draft);
  }

  const release = () => {
    process.off('exit', release);
    if (readLock(path)?.raw === content) removeFile(path);
  };
  // process.exit() skips every close(): the lock goes with the process all the same.
  process.on('exit', release);
  return { release };
}

interface Found {
  raw: string;
  /** Null when the file is not a lock this code wrote: only damage leaves one, so it counts as stale. */
  owner: LockOwner | null;
}

/**
 * Makes `path` a link to `draft`; answers null when done, or the live process that holds `path`. Each
 * round either succeeds, finds a live holder, or waits for another process's take-over of a stale lock.
 */
function take(path: string, draft: string): LockOwner | null {
  for (let round = 0; round < 50; round++) {
    try {
      linkSync(draft, path);
      return null;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const found = readLock(path);
    if (!found) continue; // released meanwhile
    if (found.owner && isRunning(found.owner)) return found.owner;
    if (replaceStale(path, found, draft)) return null;
    pause(10 + round * 5);
  }
  throw new Error(`Could not lock ${path}: other processes kept taking it over for seconds. Try again.`);
}

/** Replaces the stale lock `stale` at `path` by `draft`; false when another process is doing or did it. */
function replaceStale(path: string, stale: Found, draft: string): boolean {
  const claim = `${path}.${createHash('sha256').update(stale.raw).digest('hex').slice(0, 16)}.claim`;
  if (take(claim, draft)) return false;
  try {
    // Released or replaced since we read it: no longer ours to replace.
    if (readLock(path)?.raw !== stale.raw) return false;
    const replacement = `${draft}.replacement`;
    removeFile(replacement);
    linkSync(draft, replacement);
    renameSync(replacement, path);
    return true;
  } finally {
    removeFile(claim);
  }
}

function readLock(path: string): Found | null {
  let raw: string;
  try {
    raw = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  try {
    const owner = JSON.parse(raw) as LockOwner;
    return { raw, owner: Number.isInteger(owner.pid) && typeof owner.nonce === 'string' ? owner : null };
  } catch {
    return { raw, owner: null };
  }
}

function removeFile(path: string) {
  try {
    unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

function thisProcess(): Omit<LockOwner, 'nonce'> {
  return {
    pid: process.pid,
    startTime: startTimeOf(process.pid),
    bootId: readOrNull('/proc/sys/kernel/random/boot_id'),
    pidNamespace: pidNamespace(),
    hostname: hostname(),
    command: process.argv.slice(1).join(' ').slice(0, 200) || process.argv0,
    since: new Date().toISOString(),
  };
}

function sameMachine(owner: LockOwner): boolean {
  return owner.hostname === hostname() && owner.pidNamespace === pidNamespace();
}

/** Whether the lock's owner still runs; an owner on another machine or in another container may, as far as we can tell. */
function isRunning(owner: LockOwner): boolean {
  if (!sameMachine(owner)) return true;
  const bootId = readOrNull('/proc/sys/kernel/random/boot_id');
  if (owner.bootId && bootId && owner.bootId !== bootId) return false;
  // With /proc, the start time tells the owner from a later process given the same pid.
  if (owner.startTime !== null && pidNamespace() !== null) return startTimeOf(owner.pid) === owner.startTime;
  try {
    process.kill(owner.pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Null when the process is gone, or is a zombie: killed, waiting only for its parent to read its exit status. */
function startTimeOf(pid: number): string | null {
  const stat = readOrNull(`/proc/${pid}/stat`);
  if (!stat) return null;
  // Fields from the third on (state, ppid, …), after the command name, which is in parentheses and may itself hold spaces and parentheses.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[0] === 'Z' || fields[0] === 'X' ? null : (fields[19] ?? null);
}

function pidNamespace(): string | null {
  try {
    return readlinkSync('/proc/self/ns/pid');
  } catch {
    return null;
  }
}

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return null;
  }
}

function pause(ms: number) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
