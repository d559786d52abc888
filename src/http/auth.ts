import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ApiKeyService } from '../auth/service.js';
import { allows, type Permission, type Principal } from '../auth/roles.js';
import { DomainError } from '../errors.js';
import type { AddressBudget } from './protection.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** What the route needs; /v1 routes without it are refused (fail closed). */
    permission?: Permission;
  }
  interface FastifyRequest {
    principal: Principal;
  }
}

/**
 * Authenticates every /v1 request by its bearer token and checks the route's permission. With a budget,
 * a request without a valid key is charged to its client address before any database work.
 */
export function registerAuth(app: FastifyInstance, keys: ApiKeyService, budget?: AddressBudget): void {
  app.decorateRequest('principal', null as unknown as Principal);
  app.addHook('onRequest', async (request, reply) => {
    if (!request.url.startsWith('/v1/') && request.url !== '/v1') return;
    const token = request.headers.authorization?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
    // A key this process knows valid from memory costs no database work, so it passes even while its address
    // has spent its budget on bad tokens (another client behind the same address, say).
    const recalled = token === undefined ? undefined : keys.recall(token);
    const unit = recalled ? undefined : budget?.take(request, reply);
    if (token === undefined) {
      throw new DomainError('unauthorized', 'Send an API key as "Authorization: Bearer <token>".');
    }
    let principal: Principal | undefined;
    try {
      principal = recalled ?? (recalled === null ? undefined : await keys.lookUp(token));
    } catch (error) {
      // The database failed, not the caller: that costs no budget.
      unit?.release();
      throw error;
    }
    if (!principal) throw new DomainError('unauthorized', 'The API key is unknown or has been revoked.');
    unit?.release();
    request.principal = principal;
    const permission = request.routeOptions.config.permission;
    // An unmatched /v1 path reaches the not-found handler, whose config carries no permission: a 404 is right there.
    if (request.is404) return;
    if (!permission || !allows(principal.role, permission)) {
      throw new DomainError('forbidden', `${/^[aeiou]/.test(principal.role) ? 'An' : 'A'} ${principal.role} key may not ${request.method} ${request.routeOptions.url}.`, {
        role: principal.role,
        required: permission ?? 'none',
      });
    }
  });
  // A revocation answers only once every process is sure to refuse the key from then on (src/auth/key-sync.ts):
  // the sync's settling time after the commit, which has happened by the time the answer is being sent. Added to
  // that one route alone, so that no other answer pays for the hook.
  app.addHook('onRoute', (route) => {
    const methods = [route.method].flat();
    if (route.url !== '/v1/api-keys/:keyId' || !methods.includes('DELETE') || keys.revocationSettleMs === 0) return;
    const settle = async (_request: FastifyRequest, reply: FastifyReply) => {
      if (reply.statusCode === 200) await new Promise((resolve) => setTimeout(resolve, keys.revocationSettleMs));
    };
    route.onSend = [...[route.onSend ?? []].flat(), settle];
  });
}
