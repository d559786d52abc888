import { sql } from 'drizzle-orm';
import { type Executor, rows, type Tx } from '../db/client.js';
import { accounts } from '../db/schema.js';
import { DomainError } from '../errors.js';
import type { ChartAccount } from './chart.js';

export interface Dimension {
  villageId?: string;
  policyId?: string;
}

const dimensionSql = (d: Dimension) =>
  sql`${d.villageId ? sql`village_id = ${d.villageId}` : sql`village_id is null`}
  and ${d.policyId ? sql`policy_id = ${d.policyId}` : sql`policy_id is null`}`;

/** The id of a fund's account with a chart role, or undefined. */
export async function findRoleAccount(executor: Executor, fundId: string, role: string, d: Dimension = {}) {
  const [found] = await rows<{ id: string }>(
    executor,
    sql`select id from accounts where fund_id = ${fundId} and role = ${role} and ${dimensionSql(d)}`,
  );
  return found?.id;
}

/** The id of a fund's account with a chart role; refuses clearly when the fund was not opened with it. */
export async function roleAccount(executor: Executor, fundId: string, role: string, d: Dimension = {}): Promise<string> {
  const id = await findRoleAccount(executor, fundId, role, d);
  if (!id) {
    throw new DomainError(
      'chart_account_missing',
      `Fund ${fundId} has no account with role "${role}": open the fund with "template": "prevention" to get the standard chart.`,
      { role },
    );
  }
  return id;
}

/** Opens a chart account unless it is there already (safe when two requests open it at once). */
export async function openChartAccount(tx: Tx, fundId: string, spec: ChartAccount, d: Dimension = {}): Promise<string> {
  await tx
    .insert(accounts)
    .values({ fundId, ...spec, villageId: d.villageId ?? null, policyId: d.policyId ?? null })
    .onConflictDoNothing();
  return roleAccount(tx, fundId, spec.role, d);
}
