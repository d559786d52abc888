import { inArray } from 'drizzle-orm';
import type { Executor } from '../db/client.js';
import { apiKeys } from '../db/schema.js';

/** Who acted is stored as an API key's id; people read it by the key's name. */

/** The id the environment's admin token (LEDGER_ADMIN_TOKEN) acts under, and the name it is shown by. */
export const ENV_ADMIN_ID = 'env-admin';
// Chinese, as every name people read, and short enough for a statement's 制单 column.
export const ENV_ADMIN_NAME = '初始管理员';

const KEY_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The names of the keys among `ids`, read in one query; an id of no key is left out. */
export async function keyNames(executor: Executor, ids: Iterable<string | null | undefined>): Promise<Map<string, string>> {
  const wanted = [...new Set([...ids].filter((id): id is string => typeof id === 'string'))];
  const names = new Map<string, string>();
  if (wanted.includes(ENV_ADMIN_ID)) names.set(ENV_ADMIN_ID, ENV_ADMIN_NAME);
  const keyIds = wanted.filter((id) => KEY_ID.test(id));
  if (keyIds.length) {
    for (const key of await executor.select({ id: apiKeys.id, name: apiKeys.name }).from(apiKeys).where(inArray(apiKeys.id, keyIds))) {
      names.set(key.id, key.name);
    }
  }
  return names;
}

type Named<T, F extends string> = T & { [K in F as `${K}Name`]: string | null };

/**
 * The records, each with `<field>Name` beside each of `fields` (requestedBy → requestedByName …): the
 * name of the key whose id the field holds, null when it holds none. One query for all the records.
 */
export async function withKeyNames<T extends object, F extends keyof T & string>(
  executor: Executor,
  records: readonly T[],
  fields: readonly F[],
): Promise<Named<T, F>[]> {
  const names = await keyNames(
    executor,
    records.flatMap((r) => fields.map((f) => r[f] as unknown as string | null)),
  );
  return records.map((r) => {
    const named: Record<string, unknown> = { ...(r as Record<string, unknown>) };
    for (const f of fields) {
      const id = r[f] as unknown as string | null;
      named[`${f}Name`] = id ? (names.get(id) ?? null) : null;
    }
    return named as Named<T, F>;
  });
}

/** One record, named as withKeyNames does. */
export const withKeyName = async <T extends object, F extends keyof T & string>(executor: Executor, record: T, fields: readonly F[]) =>
  (await withKeyNames(executor, [record], fields))[0]!;
