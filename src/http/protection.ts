import cors from '@fastify/cors';
import helmet from '@fastify/helmet';
import rateLimit, { normalizeIP } from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import { DomainError } from '../errors.js';

const WINDOW_MS = 60_000;
// Addresses tracked at once: past it the oldest windows are forgotten, so a flood of addresses costs bounded memory.
const ADDRESSES = 10_000;

const rateLimited = (detail: string, seconds: number) =>
  new DomainError('rate_limited', `${detail}; retry in ${seconds} second${seconds === 1 ? '' : 's'}.`, { retryAfter: seconds });

/**
 * An IPv6 client usually holds a whole /64, so it is counted as one address (as @fastify/rate-limit
 * does); an IPv4-mapped address counts as the IPv4 one.
 */
export const clientAddress = (request: FastifyRequest) => normalizeIP(request.ip ?? 'unknown');

interface Window {
  used: number;
  endsAt: number;
}

/**
 * Requests without a valid API key, counted per client address in fixed one-minute windows. Telling a
 * wrong token from a valid one costs a database lookup, so a request takes a unit before its token is
 * looked up and gives it back once the key proves valid: however many requests arrive at once, the
 * lookups one address causes with bad tokens never exceed its budget.
 */
export class AddressBudget {
  private readonly windows = new Map<string, Window>();

  constructor(readonly max: number) {}

  /** Takes a unit, or answers 429 (with Retry-After) when the address has none left this window. */
  take(request: FastifyRequest, reply: FastifyReply): { release(): void } {
    const address = clientAddress(request);
    const now = Date.now();
    let window = this.windows.get(address);
    if (!window || window.endsAt <= now) {
      // Re-inserted, so the map stays ordered by window start and the oldest are forgotten first.
      this.windows.delete(address);
      window = { used: 0, endsAt: now + WINDOW_MS };
      this.windows.set(address, window);
      for (const oldest of this.windows.keys()) {
        if (this.windows.size <= ADDRESSES) break;
        this.windows.delete(oldest);
      }
    }
    if (window.used >= this.max) {
      const seconds = Math.max(1, Math.ceil((window.endsAt - now) / 1000));
      reply.header('retry-after', String(seconds));
      throw rateLimited(`More than ${this.max} requests a minute without a valid API key from this address`, seconds);
    }
    window.used++;
    const taken = window;
    return {
      release: () => {
        taken.used = Math.max(0, taken.used - 1);
      },
    };
  }
}

/**
 * Security headers, CORS closed unless configured, and request budgets: per API key for authenticated
 * requests, per client address for everything else. Returns the address budget, which authentication
 * charges before it looks a token up (src/http/auth.ts); none when LEDGER_RATE_LIMIT is 0.
 */
export async function registerProtection(app: FastifyInstance, config: Config): Promise<AddressBudget | undefined> {
  // The API serves JSON and PDFs; the only HTML is the API explorer at /docs, whose inline scripts a CSP would block.
  await app.register(helmet, { contentSecurityPolicy: false });
  await app.register(cors, { origin: config.LEDGER_CORS_ORIGINS.length ? config.LEDGER_CORS_ORIGINS : false });
  if (config.LEDGER_RATE_LIMIT === 0) return undefined;
  await app.register(rateLimit, {
    max: config.LEDGER_RATE_LIMIT,
    timeWindow: WINDOW_MS,
    // The plugin's hooks belong to the routes and so run after authentication: a /v1 request reaching
    // them has a valid key (a bad one was refused, and charged to its address, before the lookup).
    keyGenerator: (request) => {
      const principal = request.principal as FastifyRequest['principal'] | null;
      return principal ? `key:${principal.id}` : `addr:${clientAddress(request)}`;
    },
    errorResponseBuilder: (_request, context) =>
      rateLimited(`More than ${context.max} requests a minute`, Math.max(1, Math.ceil(context.ttl / 1000))),
  });
  return new AddressBudget(config.LEDGER_RATE_LIMIT);
}
