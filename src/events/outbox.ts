import { type SQL, sql } from 'drizzle-orm';
import { type Executor, rows, type Tx } from '../db/client.js';
import { events } from '../db/schema.js';
import type { EventPayloads, EventType } from './schemas.js';

/** An event as a writer records it: its payload must be what the feed's schema (schemas.ts) says of its type. */
export type EventInput = {
  [T in EventType]: { type: T; fundId?: string | null; subjectId: string; payload: EventPayloads[T] };
}[EventType];

/**
 * For builders generic in the type (one event per line of a batch): TypeScript cannot tie a spread payload back to
 * its type, so the builder's own parameters carry the check and this is the one place the result is taken as is.
 */
export const eventOfType = <T extends EventType>(type: T, event: { fundId?: string | null; subjectId: string; payload: object }): EventInput =>
  ({ type, ...event }) as unknown as EventInput;

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
 * The position before which no event can still appear: every transaction with a smaller id that could
 * write this database's events has ended. A transaction still running may commit later with a smaller id
 * than one already committed, so the feed reads only below this cut-off, in (transaction id, event id)
 * order; a reader following its cursor then never misses an event and never reads one twice.
 *
 * The cut-off is the smallest transaction id still running in the statement's snapshot, leaving out
 * those positively identified as another database's (a backend of another database in pg_stat_activity,
 * a prepared transaction of another database): no transaction writes into a database it is not
 * connected to. With none left it is the snapshot's xmax. Any running id not so identified holds the
 * feed back: one that ended after the snapshot was taken, a prepared transaction of this database, any
 * write transaction of this database (it may yet append events) — a read-only one has no id and holds
 * nothing. The caller's own id counts as running too (its events are not committed).
 *
 * The activity is read in the same statement and after its snapshot, so an id it names was the same
 * transaction's at snapshot time (a backend keeps its database for life, and an id assigned after the
 * snapshot is above xmax, outside the list). Run it as a statement of its own, not inside a longer
 * transaction: PostgreSQL keeps the first pg_stat_activity read of a transaction until it ends.
 *
 * A hot standby's snapshot lists no running ids (they are not known by database there): it falls back to
 * the snapshot's xmin, the oldest transaction running anywhere on the primary.
 */
const cutOff = sql`(
  select case
    when pg_is_in_recovery() then (pg_snapshot_xmin(s)::text)::bigint
    else least(
      (pg_snapshot_xmax(s)::text)::bigint,
      (pg_current_xact_id_if_assigned()::text)::bigint,
      (select min((x::text)::bigint) from pg_snapshot_xip(s) as x
        where not exists (
          select 1 from pg_stat_activity a
           where a.backend_xid is not null and a.datid is not null
             and a.datid <> (select oid from pg_database where datname = current_database())
             -- an xid is the low 32 bits of an xid8; running ones are less than 2^31 apart, so this is exact
             and (a.backend_xid::text)::bigint = (x::text)::bigint % 4294967296)
          and not exists (
          select 1 from pg_prepared_xacts p
           where p.database <> current_database() and (p.transaction::text)::bigint = (x::text)::bigint % 4294967296)))
  end
  from (select pg_current_snapshot() as s) as snapshot)`;

/**
 * Events after a position, in (transaction id, event id) order, from committed transactions only, and
 * only below the cut-off above. `where` narrows them further (e.g. to the funds a key reaches), on the
 * columns of the events table.
 */
export async function readEvents(
  executor: Executor,
  after: EventPosition | undefined,
  limit: number,
  filter: { fundId?: string; type?: string; where?: SQL } = {},
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
         where xid < ${cutOff}
           ${after ? sql`and (xid, id) > (${after.xid}, ${after.id})` : sql``}
           ${filter.fundId ? sql`and fund_id = ${filter.fundId}` : sql``}
           ${filter.where ? sql`and ${filter.where}` : sql``}
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
