import { createHash } from 'node:crypto';

/** An object's own fields in sorted key order (JSON.stringify writes them in insertion order). */
function sortedFields(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    // An integer-like key would be enumerated before the others whatever the insertion order.
    if (/^(0|[1-9]\d*)$/.test(key)) throw new Error(`canonicalJson: integer-like key "${key}" has no stable order`);
    sorted[key] = (value as Record<string, unknown>)[key];
  }
  return sorted;
}

/**
 * JSON with object keys sorted at every level and no spaces: the same data always gives the same text,
 * whatever order its fields were built in. Arrays keep their order (it is part of the statement);
 * undefined fields are left out, as JSON.stringify does.
 */
export const canonicalJson = (value: unknown): string => JSON.stringify(value, sortedFields);

/**
 * The statement digest: SHA-256 over the canonical JSON of its kind and data. Who generated it and when
 * are left out, so the same ledger gives the same digest to anybody at any time, and any change in the
 * figures, the period or the names printed gives another.
 */
export function statementDigest(kind: string, data: object): string {
  return createHash('sha256').update(canonicalJson({ ...data, kind })).digest('hex');
}
