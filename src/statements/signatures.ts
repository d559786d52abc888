import { keyNames } from '../auth/key-names.js';
import type { Executor } from '../db/client.js';
import type { Column } from './document.js';

/**
 * 制单 and 审核, as a voucher is signed in Chinese bookkeeping: who prepared it (requested the payment,
 * filed the claim, posted the voucher) and who approved it, by the names of the keys that acted. Null
 * when nobody did (a voucher posted without approval) or the key is unknown.
 */
export interface Signed {
  preparedByName: string | null;
  approvedByName: string | null;
}

type Unsigned = { preparedBy: string | null; approvedBy: string | null };

/**
 * The records with the key ids replaced by the keys' names, all read in one query. The ids are left
 * out: a printed statement names people, and the names are what its digest vouches for.
 */
export async function signed<T extends Unsigned>(executor: Executor, records: readonly T[]): Promise<(Omit<T, keyof Unsigned> & Signed)[]> {
  const names = await keyNames(executor, records.flatMap((r) => [r.preparedBy, r.approvedBy]));
  const name = (id: string | null) => (id ? (names.get(id) ?? null) : null);
  return records.map(({ preparedBy, approvedBy, ...rest }) => ({ ...rest, preparedByName: name(preparedBy), approvedByName: name(approvedBy) }));
}

/** The two columns, `width` each in the table's relative units; a longer name is cut with "…" as any cell is. */
export const signatureColumns = (width: number): Column[] => [
  { header: '制单 Prepared by', width },
  { header: '审核 Approved by', width },
];

export const signatureCells = (s: Signed) => [s.preparedByName ?? '', s.approvedByName ?? ''];
