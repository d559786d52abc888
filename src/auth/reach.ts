import { type SQL, type SQLWrapper, sql } from 'drizzle-orm';
import type { Reach } from './roles.js';

// Lists travel as one JSON parameter: the same SQL for any length, empty lists included, on pg and PGlite.
export const uuids = (ids: string[]) => sql`(select jsonb_array_elements_text(${JSON.stringify(ids)}::jsonb)::uuid)`;
const texts = (values: string[]) => sql`(select jsonb_array_elements_text(${JSON.stringify(values)}::jsonb))`;

/** True for funds the reach covers; undefined (no condition) for the whole ledger. */
export function fundInReach(reach: Reach | null, fundId: SQLWrapper): SQL | undefined {
  if (!reach) return undefined;
  return sql`${fundId} in (select id from funds where id in ${uuids(reach.funds)} or township in ${texts(reach.townships)})`;
}

/** True for villages (by their township column) the reach covers; undefined for the whole ledger. */
export function townshipInReach(reach: Reach | null, township: SQLWrapper): SQL | undefined {
  if (!reach) return undefined;
  return sql`(${township} in ${texts(reach.townships)}
    or exists (select 1 from funds f where f.id in ${uuids(reach.funds)} and (f.township is null or f.township = ${township})))`;
}

/** True for a village id the reach covers. */
export function villageInReach(reach: Reach | null, villageId: SQLWrapper): SQL | undefined {
  if (!reach) return undefined;
  return sql`${villageId} in (select v.id from villages v where ${townshipInReach(reach, sql`v.township`)})`;
}

/** True for a transaction all of whose lines are in funds the reach covers. */
export function transactionInReach(reach: Reach | null, transactionId: SQLWrapper): SQL | undefined {
  if (!reach) return undefined;
  return sql`not exists (select 1 from transaction_lines l where l.transaction_id = ${transactionId} and not ${fundInReach(reach, sql`l.fund_id`)})`;
}
