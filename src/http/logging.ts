import type { FastifyServerOptions } from 'fastify';
import { hideIdNumbers } from '../households/id-numbers.js';

/**
 * The service's log settings: requests are logged by method, path and address only — never headers (the
 * Authorization token) or bodies (ID numbers) — and a URL that carries something like an ID number is cut.
 */
export function loggerOptions(level: string, stream?: NodeJS.WritableStream): FastifyServerOptions['logger'] {
  return {
    level,
    ...(stream ? { stream } : {}),
    redact: ['req.headers.authorization', 'req.headers["idempotency-key"]'],
    serializers: {
      req: (req: { method: string; url: string; ip?: string; socket?: { remoteAddress?: string } }) => ({
        method: req.method,
        url: hideIdNumbers(req.url),
        remoteAddress: req.ip ?? req.socket?.remoteAddress,
      }),
    },
  } as FastifyServerOptions['logger'];
}
