import type { FastifyReply, FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { DomainError } from '../errors.js';
import { id } from '../http/schemas.js';
import { idempotencyHeaders, problems } from '../http/schemas.js';
import * as s from './schemas.js';
import { ALLOWED_TYPES, createAttachmentService, type SubjectKind } from './service.js';

/** The records documents are attached to, by their routes: `{param}` names the record. */
const routes: { kind: SubjectKind; path: string; param: string; what: string }[] = [
  { kind: 'transaction', path: '/v1/transactions/:transactionId/attachments', param: 'transactionId', what: 'a posted voucher (a bank slip, a receipt behind income)' },
  { kind: 'voucher', path: '/v1/vouchers/:voucherId/attachments', param: 'voucherId', what: 'a voucher draft, for its reviewer (the posted voucher counts them)' },
  { kind: 'disbursement', path: '/v1/disbursements/:disbursementId/attachments', param: 'disbursementId', what: 'a payment (a hospital bill behind a medical subsidy)' },
  { kind: 'batch', path: '/v1/disbursement-batches/:batchId/attachments', param: 'batchId', what: 'a batch of payments (the signed list)' },
  { kind: 'dividend', path: '/v1/dividends/:dividendId/attachments', param: 'dividendId', what: 'a dividend (the bank receipt of the enterprise’s payment)' },
  { kind: 'claim', path: '/v1/insurance-claims/:claimId/attachments', param: 'claimId', what: 'an insurance claim (the diagnosis, the insurer’s settlement)' },
];

const asciiName = (name: string) => name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\]/g, '_');

/** Source documents (原始凭证): added, listed, downloaded, withdrawn. */
export const attachmentRoutes: FastifyPluginAsyncZod<{ ctx: AppContext }> = async (app, { ctx }) => {
  const { db } = ctx.database;
  const attachments = createAttachmentService({ maxBytes: ctx.config.LEDGER_ATTACHMENT_MAX_BYTES });

  // In this plugin only: a file's bytes as the body, up to the limit, refused as soon as it is passed.
  app.addContentTypeParser(s.FILE_MEDIA_TYPES, async (request: FastifyRequest, payload: NodeJS.ReadableStream) => {
    const tooLarge = () =>
      new DomainError('attachment_too_large', `At most ${attachments.maxBytes} bytes are accepted (LEDGER_ATTACHMENT_MAX_BYTES).`, { limit: attachments.maxBytes });
    const declared = Number(request.headers['content-length']);
    if (declared > attachments.maxBytes) throw tooLarge();
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of payload as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > attachments.maxBytes) throw tooLarge();
      chunks.push(chunk);
    }
    return Buffer.concat(chunks);
  });

  for (const route of routes) {
    const params = z.object({ [route.param]: id });
    app.post(route.path, {
      config: { permission: 'record' },
      bodyLimit: attachments.maxBytes,
      schema: {
        operationId: `attach${route.kind[0]!.toUpperCase()}${route.kind.slice(1)}Document`,
        tags: ['vouchers'],
        summary: `Attach a source document (原始凭证) to ${route.what}`,
        description:
          'The body is the file itself: a PDF, JPEG or PNG, judged by its first bytes (not its name or Content-Type), at most ' +
          'LEDGER_ATTACHMENT_MAX_BYTES (10 MiB by default). Kept with its SHA-256 and never deleted; the voucher’s printed 附件 count follows.',
        consumes: s.FILE_MEDIA_TYPES,
        headers: idempotencyHeaders,
        params,
        querystring: s.uploadQuery,
        body: s.fileBody,
        response: { 201: s.attachment, ...problems('attachment_too_large', 'attachment_type_not_allowed') },
      },
      handler: (req, reply) => {
        const subjectId = (req.params as Record<string, string>)[route.param]!;
        const file = { bytes: req.body, fileName: req.query.name, description: req.query.description };
        return ctx.write(req, reply, 201, (tx) => attachments.add(tx, route.kind, subjectId, file, req.principal.id));
      },
    });

    app.get(route.path, {
      config: { permission: 'report' },
      schema: {
        operationId: `list${route.kind[0]!.toUpperCase()}${route.kind.slice(1)}Documents`,
        tags: ['vouchers'],
        summary: `The source documents of ${route.what}, withdrawn ones too`,
        params,
        response: { 200: s.attachmentList },
      },
      handler: async (req) => ({ items: await attachments.list(db, route.kind, (req.params as Record<string, string>)[route.param]!) }),
    });
  }

  app.get('/v1/attachments/:attachmentId', {
    config: { permission: 'report' },
    schema: { operationId: 'getAttachment', tags: ['vouchers'], summary: 'A source document’s record', params: s.attachmentParams, response: { 200: s.attachment } },
    handler: (req) => attachments.get(db, req.params.attachmentId),
  });

  app.get('/v1/attachments/:attachmentId/content', {
    config: { permission: 'report' },
    schema: {
      operationId: 'downloadAttachment',
      tags: ['vouchers'],
      summary: 'Download a source document as it was added',
      description: 'Keys that print statements (not readers, who see names masked: a bill names the household in full).',
      params: s.attachmentParams,
      response: {
        200: {
          description: 'The file’s bytes',
          content: Object.fromEntries(ALLOWED_TYPES.map((type) => [type, { schema: z.string().meta({ format: 'binary' }) }])),
          headers: {
            'Content-Disposition': { description: 'attachment, with the file’s name (filename* in UTF-8)', type: 'string' },
            'Repr-Digest': { description: 'sha-256 of the bytes (RFC 9530), as listed in the attachment’s sha256', type: 'string' },
          },
        },
      },
    },
    handler: async (req, reply) => {
      const { attachment, bytes } = await attachments.content(db, req.params.attachmentId);
      return (reply as FastifyReply)
        .type(attachment.mediaType)
        .header('content-disposition', `attachment; filename="${asciiName(attachment.fileName)}"; filename*=UTF-8''${encodeURIComponent(attachment.fileName)}`)
        .header('repr-digest', `sha-256=:${Buffer.from(attachment.sha256, 'hex').toString('base64')}:`)
        .send(bytes);
    },
  });

  app.post('/v1/attachments/:attachmentId/withdrawal', {
    config: { permission: 'record' },
    schema: {
      operationId: 'withdrawAttachment',
      tags: ['vouchers'],
      summary: 'Withdraw a wrong source document, with the reason (it is kept, marked withdrawn)',
      headers: idempotencyHeaders,
      params: s.attachmentParams,
      body: s.withdrawalBody,
      response: { 200: s.attachment, ...problems('invalid_state') },
    },
    handler: (req, reply) => ctx.write(req, reply, 200, (tx) => attachments.withdraw(tx, req.params.attachmentId, req.body.reason, req.principal.id)),
  });
};
