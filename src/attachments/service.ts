import { createHash } from 'node:crypto';
import { type SQL, sql } from 'drizzle-orm';
import { withKeyNames } from '../auth/key-names.js';
import { type Executor, rows, type Tx } from '../db/client.js';
import { DomainError, notFound } from '../errors.js';

/**
 * Source documents (原始凭证): a hospital bill behind a medical subsidy, a bank receipt behind a dividend,
 * the approval form behind a voucher. Kept in PostgreSQL beside the books they support — one backup, one
 * transaction with the audit row — with their SHA-256; never deleted, a wrong one withdrawn with a reason.
 */

/** What a document can be attached to, and how its fund (for the scope of keys) is found. */
export const subjects = {
  transaction: { label: 'Transaction', fund: (id: string) => sql`select fund_id from transaction_lines where transaction_id = ${id} order by fund_id limit 1` },
  voucher: { label: 'Voucher draft', fund: (id: string) => sql`select fund_ids[1] as fund_id from voucher_drafts where id = ${id}` },
  disbursement: { label: 'Disbursement', fund: (id: string) => sql`select fund_id from disbursements where id = ${id}` },
  batch: { label: 'Disbursement batch', fund: (id: string) => sql`select fund_id from disbursement_batches where id = ${id}` },
  dividend: { label: 'Dividend', fund: (id: string) => sql`select fund_id from dividends where id = ${id}` },
  claim: {
    label: 'Insurance claim',
    fund: (id: string) => sql`select p.fund_id from insurance_claims c join insurance_policies p on p.id = c.policy_id where c.id = ${id}`,
  },
} satisfies Record<string, { label: string; fund(id: string): SQL }>;

export type SubjectKind = keyof typeof subjects;

export const ALLOWED_TYPES = ['application/pdf', 'image/jpeg', 'image/png'] as const;
export type AttachmentType = (typeof ALLOWED_TYPES)[number];

/** The file's type by its first bytes (its signature), whatever its name or the Content-Type it came with. */
export function detectType(bytes: Uint8Array): AttachmentType | null {
  const starts = (...signature: number[]) => signature.every((b, i) => bytes[i] === b);
  if (starts(0x25, 0x50, 0x44, 0x46, 0x2d)) return 'application/pdf'; // %PDF-
  if (starts(0xff, 0xd8, 0xff)) return 'image/jpeg';
  if (starts(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)) return 'image/png';
  return null;
}

export const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

interface AttachmentRow {
  id: string;
  subject_kind: SubjectKind;
  subject_id: string;
  fund_id: string;
  file_name: string;
  media_type: AttachmentType;
  size: number;
  sha256: string;
  description: string | null;
  added_by: string;
  added_at: string;
  withdrawn_by: string | null;
  withdrawn_at: string | null;
  withdrawal_reason: string | null;
}

const iso = (column: string) => sql.raw(`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`);
const columns = sql`id, subject_kind, subject_id, fund_id, file_name, media_type, size, sha256, description, added_by, ${iso('added_at')} as added_at,
  withdrawn_by, ${iso('withdrawn_at')} as withdrawn_at, withdrawal_reason`;

const toView = (a: AttachmentRow) => ({
  id: a.id,
  subjectKind: a.subject_kind,
  subjectId: a.subject_id,
  fundId: a.fund_id,
  fileName: a.file_name,
  mediaType: a.media_type,
  size: Number(a.size),
  sha256: a.sha256,
  description: a.description,
  addedBy: a.added_by,
  addedAt: a.added_at,
  withdrawn: a.withdrawn_at !== null,
  withdrawnBy: a.withdrawn_by,
  withdrawnAt: a.withdrawn_at,
  withdrawalReason: a.withdrawal_reason,
});

const named = (executor: Executor, list: AttachmentRow[]) => withKeyNames(executor, list.map(toView), ['addedBy', 'withdrawnBy'] as const);

export interface NewAttachment {
  bytes: Uint8Array;
  fileName: string;
  description?: string | null;
}

export function createAttachmentService(options: { maxBytes: number }) {
  async function fundOf(executor: Executor, kind: SubjectKind, subjectId: string): Promise<string> {
    const [found] = await rows<{ fund_id: string | null }>(executor, subjects[kind].fund(subjectId));
    if (!found?.fund_id) throw notFound(subjects[kind].label, subjectId);
    return found.fund_id;
  }

  /** A draft's documents are part of what its reviewer reads: a change makes a new version of it (an approval of the old one is refused). */
  async function touchDraft(tx: Tx, kind: SubjectKind, subjectId: string) {
    if (kind !== 'voucher') return;
    await tx.execute(sql`update voucher_drafts set version = version + 1, updated_at = now() where id = ${subjectId} and status in ('draft', 'rejected')`);
  }

  async function byId(executor: Executor, id: string, lock = false): Promise<AttachmentRow> {
    const [found] = await rows<AttachmentRow>(executor, sql`select ${columns} from attachments where id = ${id} ${lock ? sql`for update` : sql``}`);
    if (!found) throw notFound('Attachment', id);
    return found;
  }

  return {
    maxBytes: options.maxBytes,

    async add(tx: Tx, kind: SubjectKind, subjectId: string, file: NewAttachment, actor: string) {
      const fundId = await fundOf(tx, kind, subjectId);
      if (file.bytes.length > options.maxBytes) {
        throw new DomainError('attachment_too_large', `The file has ${file.bytes.length} bytes; at most ${options.maxBytes} are accepted (LEDGER_ATTACHMENT_MAX_BYTES).`, {
          limit: options.maxBytes,
        });
      }
      const mediaType = detectType(file.bytes);
      if (!mediaType) {
        throw new DomainError('attachment_type_not_allowed', 'The file is not a PDF, JPEG or PNG (judged by its content, not its name or Content-Type).', {
          allowed: [...ALLOWED_TYPES],
        });
      }
      const [created] = await rows<AttachmentRow>(
        tx,
        sql`insert into attachments (subject_kind, subject_id, fund_id, file_name, media_type, size, sha256, content, description, added_by)
            values (${kind}, ${subjectId}, ${fundId}, ${file.fileName}, ${mediaType}, ${file.bytes.length}, ${sha256(file.bytes)},
                    ${Buffer.from(file.bytes.buffer, file.bytes.byteOffset, file.bytes.byteLength)}, ${file.description ?? null}, ${actor})
            returning ${columns}`,
      );
      await touchDraft(tx, kind, subjectId);
      return (await named(tx, [created!]))[0]!;
    },

    async list(executor: Executor, kind: SubjectKind, subjectId: string) {
      await fundOf(executor, kind, subjectId);
      const found = await rows<AttachmentRow>(
        executor,
        sql`select ${columns} from attachments where subject_kind = ${kind} and subject_id = ${subjectId} order by added_at, id`,
      );
      return named(executor, found);
    },

    async get(executor: Executor, id: string) {
      return (await named(executor, [await byId(executor, id)]))[0]!;
    },

    /** The file's bytes, checked against the SHA-256 stored when it was added: a changed file is a bug or tampering, never served. */
    async content(executor: Executor, id: string) {
      const [row] = await rows<AttachmentRow & { content: Uint8Array }>(executor, sql`select ${columns}, content from attachments where id = ${id}`);
      if (!row) throw notFound('Attachment', id);
      const bytes = Buffer.from(row.content);
      if (sha256(bytes) !== row.sha256) throw new Error(`attachment ${id}: its content no longer has its SHA-256`);
      return { attachment: toView(row), bytes };
    },

    async withdraw(tx: Tx, id: string, reason: string, actor: string) {
      const row = await byId(tx, id, true);
      if (row.withdrawn_at !== null) {
        throw new DomainError('invalid_state', `Attachment ${id} was already withdrawn: ${row.withdrawal_reason}`, { currentStatus: 'withdrawn' });
      }
      const [updated] = await rows<AttachmentRow>(
        tx,
        sql`update attachments set withdrawn_by = ${actor}, withdrawn_at = now(), withdrawal_reason = ${reason} where id = ${id} returning ${columns}`,
      );
      await touchDraft(tx, row.subject_kind, row.subject_id);
      return (await named(tx, [updated!]))[0]!;
    },
  };
}

export type AttachmentService = ReturnType<typeof createAttachmentService>;
