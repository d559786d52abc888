import { sql } from 'drizzle-orm';
import { fundInReach } from '../auth/reach.js';
import type { Reach } from '../auth/roles.js';
import { type Executor, rows, type Tx } from '../db/client.js';
import { events } from '../db/schema.js';

export interface EventInput {
  type: string;
  fundId?: string | null;
  subjectId: string;
  payload: Record<string, unknown>;
}

/** Appends events in the caller's database transaction: they become visible exactly when the change commits. */
export async function recordEvents(tx: Tx, list: EventInput[]): Promise<void> {
  if (!list.length) return;
  // One statement and one parameter however many events: an import of 100,000 rows records as many.
  const rowsJson = JSON.stringify(list.map((e) => ({ type: e.type, fund_id: e.fundId ?? null, subject_id: e.subjectId, payload: e.payload })));
  await tx.execute(sql`
    insert into ${events} (type, fund_id, subject_id, payload)
    select type, fund_id, subject_id, payload
      from jsonb_to_recordset(${rowsJson}::jsonb) as v(type text, fund_id uuid, subject_id text, payload jsonb)`);
}

export const recordEvent = (tx: Tx, event: EventInput): Promise<void> => recordEvents(tx, [event]);

export interface EventPosition {
  xid: number;
  id: number;
}

export interface StoredEvent {
  id: number;
  xid: number;
  type: string;
  fundId: string | null;
  subjectId: string;
  payload: Record<string, unknown>;
  createdAt: string;
}

/**
 * Events after a position, in (transaction id, event id) order, from committed transactions only.
 * Only transactions that started before every still-running one are read (below the snapshot's xmin):
 * a transaction still running may commit later with a smaller id, so reading past it could skip
 * its events. Hence a reader following the cursor never misses an event and never reads one twice.
 */
export async function readEvents(
  executor: Executor,
  after: EventPosition | undefined,
  limit: number,
  /** reach: only events of funds it covers (events of no fund — households — need the whole ledger). */
  filter: { fundId?: string; type?: string; reach?: Reach | null } = {},
): Promise<StoredEvent[]> {
  const found = await rows<{
    id: string | number;
    xid: string | number;
    type: string;
    fund_id: string | null;
    subject_id: string;
    payload: Record<string, unknown>;
    created_at: string;
  }>(
    executor,
    sql`select id, xid, type, fund_id, subject_id, payload,
               to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as created_at
          from events
         where xid < (pg_snapshot_xmin(pg_current_snapshot())::text)::bigint
           ${after ? sql`and (xid, id) > (${after.xid}, ${after.id})` : sql``}
           ${filter.fundId ? sql`and fund_id = ${filter.fundId}` : sql``}
           ${filter.reach ? sql`and ${fundInReach(filter.reach, sql`fund_id`)}` : sql``}
           ${filter.type ? sql`and (type = ${filter.type} or type like ${`${filter.type}.%`})` : sql``}
         order by xid, id
         limit ${limit}`,
  );
  return found.map((e) => ({
    id: Number(e.id),
    xid: Number(e.xid),
    type: e.type,
    fundId: e.fund_id,
    subjectId: e.subject_id,
    payload: e.payload,
    createdAt: e.created_at,
  }));
}
