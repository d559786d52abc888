// The service's posting groups (coalesced commits, src/ledger/group.ts) as a benchmark sees them: the
// cumulative figures of GET /v1/posting-groups (admin) read before and after a run, and their difference,
// the groups that run made. Not a benchmark itself.
import { ADMIN_TOKEN, client, expect, round } from './service.js';

/** What GET /v1/posting-groups answers: this process's figures since it started. */
export interface GroupStats {
  groups: number;
  writes: number;
  /** Groups by their number of writes: "1", "2-3", "4-7", "8-15", … */
  sizes: Record<string, number>;
  split: number;
}

/** The groups of one run (one or more service processes summed). */
export interface RunGroups extends GroupStats {
  meanWritesPerGroup: number | null;
}

export async function groupStats(url: string): Promise<GroupStats> {
  return expect(200, client(url, ADMIN_TOKEN)('GET', '/v1/posting-groups'), 'posting groups');
}

/**
 * The figures once the service has gone quiet: the same writes twice, QUIET_MS apart (at most 15 s). A load
 * generator stops with requests still in flight; the service answers them after it, into a closed socket,
 * and their groups belong to the run that sent them, not to the next one.
 */
const QUIET_MS = 500;
export async function settledStats(url: string): Promise<GroupStats> {
  const deadline = Date.now() + 15_000;
  let last = await groupStats(url);
  for (;;) {
    await new Promise((r) => setTimeout(r, QUIET_MS));
    const now = await groupStats(url);
    if ((now.writes === last.writes && now.groups === last.groups) || Date.now() > deadline) return now;
    last = now;
  }
}

const bucketLow = (bucket: string) => Number(bucket.split('-')[0]);

/** Sizes in bucket order, the empty ones left out. */
function ordered(sizes: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(sizes).filter(([, n]) => n).sort(([a], [b]) => bucketLow(a) - bucketLow(b)));
}

/** after − before, and the sum of such differences over several processes. */
export function groupsBetween(pairs: { before: GroupStats; after: GroupStats }[]): RunGroups {
  const sum: GroupStats = { groups: 0, writes: 0, sizes: {}, split: 0 };
  for (const { before, after } of pairs) {
    sum.groups += after.groups - before.groups;
    sum.writes += after.writes - before.writes;
    sum.split += after.split - before.split;
    for (const [bucket, n] of Object.entries(after.sizes)) sum.sizes[bucket] = (sum.sizes[bucket] ?? 0) + n - (before.sizes[bucket] ?? 0);
  }
  return { ...sum, sizes: ordered(sum.sizes), meanWritesPerGroup: sum.groups ? round(sum.writes / sum.groups, 2) : null };
}

/** Runs `work` with the groups it made on the services at `urls` attached as `groups` (each read once the service is quiet). */
export async function withGroups<T extends object>(urls: string[], work: () => Promise<T>): Promise<T & { groups: RunGroups }> {
  const before = await Promise.all(urls.map(settledStats));
  const result = await work();
  const after = await Promise.all(urls.map(settledStats));
  return { ...result, groups: groupsBetween(urls.map((_, i) => ({ before: before[i]!, after: after[i]! }))) };
}

/** "1:3 2-3:10 4-7:120", the histogram on one line. */
export const histogram = (sizes: Record<string, number>) =>
  Object.entries(sizes)
    .map(([bucket, n]) => `${bucket}:${n}`)
    .join(' ');
