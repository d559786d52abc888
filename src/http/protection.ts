import { createHash } from 'node:crypto';
import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.js';
import { DomainError } from '../errors.js';

/** Security headers, CORS closed unless configured, and a request budget per API key. */
export async function registerProtection(app: FastifyInstance, config: Config): Promise<void> {
  // The API serves JSON and PDFs; the only HTML is the API explorer at /docs, whose inline scripts a CSP would block.
  await app.register(helmet, { contentSecurityPolicy: false });
  await app.register(cors, { origin: config.LEDGER_CORS_ORIGINS.length ? config.LEDGER_CORS_ORIGINS : false });
  if (config.LEDGER_RATE_LIMIT > 0) {
    await app.register(rateLimit, {
      max: config.LEDGER_RATE_LIMIT,
      timeWindow: '1 minute',
      // Per key, counted before authentication so that a flood of bad tokens is limited too; the token
      // itself never becomes a key of the limiter's store, only a hash of it.
      keyGenerator: (request) => {
        const token = request.headers.authorization?.match(/^Bearer\s+(\S+)/i)?.[1];
        return token ? `key:${createHash('sha256').update(token).digest('hex').slice(0, 32)}` : `addr:${request.ip}`;
      },
      errorResponseBuilder: (_request, context) =>
        new DomainError('rate_limited', `More than ${context.max} requests a minute; retry in ${context.after}.`, { retryAfter: context.after }),
    });
  }
}
