import { z } from 'zod';
import { id, keyName, text } from '../http/schemas.js';
import { ALLOWED_TYPES } from './service.js';

export const attachmentParams = z.object({ attachmentId: id });

export const uploadQuery = z.strictObject({
  name: text(200).meta({ description: 'The file’s name as people know it (kept, printed in lists)', examples: ['住院费用结算单.pdf'] }),
  description: text(500).optional().meta({ examples: ['县人民医院住院费用结算单'] }),
});

/** The file itself as the body: its bytes decide its type. */
export const fileBody = z
  .custom<Uint8Array>((value) => value instanceof Uint8Array, { error: 'send the file itself as the body' })
  .meta({ type: 'string', format: 'binary', description: 'The file’s bytes: a PDF, JPEG or PNG, judged by its content' });

export const FILE_MEDIA_TYPES = [...ALLOWED_TYPES, 'application/octet-stream'];

export const withdrawalBody = z.strictObject({ reason: text(500).meta({ examples: ['误传了其他农户的发票'] }) });

export const attachment = z
  .object({
    id: z.string(),
    subjectKind: z.enum(['transaction', 'voucher', 'disbursement', 'batch', 'dividend', 'claim']),
    subjectId: z.string(),
    fundId: z.string(),
    fileName: z.string(),
    mediaType: z.enum(ALLOWED_TYPES).meta({ description: 'Decided from the file’s first bytes' }),
    size: z.number().int().meta({ description: 'Bytes' }),
    sha256: z.string().meta({ description: 'SHA-256 of the bytes, lower-case hex; the download’s Repr-Digest states the same' }),
    description: z.string().nullable(),
    addedBy: z.string(),
    addedByName: keyName('added it'),
    addedAt: z.string(),
    withdrawn: z.boolean().meta({ description: 'Withdrawn files stay (never deleted) but no longer count in the voucher’s 附件' }),
    withdrawnBy: z.string().nullable(),
    withdrawnByName: keyName('withdrew it'),
    withdrawnAt: z.string().nullable(),
    withdrawalReason: z.string().nullable(),
  })
  .meta({ id: 'Attachment' });

export const attachmentList = z.object({ items: z.array(attachment) });
