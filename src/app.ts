import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyServerOptions } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { auditRoutes } from './auth/audit-routes.js';
import { authRoutes } from './auth/routes.js';
import { bankRoutes } from './bank/routes.js';
import { createBankService } from './bank/service.js';
import { consoleRoutes } from './console/routes.js';
import { createApiKeyService } from './auth/service.js';
import type { Config } from './config.js';
import type { AppContext } from './context.js';
import type { Database } from './db/client.js';
import { fundRoutes } from './funds/routes.js';
import { periodRoutes } from './funds/period-routes.js';
import { createFundService } from './funds/service.js';
import { registerAudit } from './http/audit.js';
import { registerAuth } from './http/auth.js';
import { registerControlCharacterCheck } from './http/control-characters.js';
import { answerFrameworkError, registerErrorHandling } from './http/errors.js';
import { disbursementsRoutes } from './disbursements/routes.js';
import { eventRoutes } from './events/routes.js';
import { householdImportRoutes } from './households/import-routes.js';
import { householdRoutes } from './households/routes.js';
import { industriesRoutes } from './industries/routes.js';
import { insuranceRoutes } from './insurance/routes.js';
import { createHouseholdService } from './households/service.js';
import { healthRoutes } from './http/health.js';
import { createWriter } from './http/idempotency.js';
import { createPostingGroups } from './ledger/group.js';
import { registerNameMasking } from './http/privacy.js';
import { registerProtection } from './http/protection.js';
import { registerReplicaReads } from './http/replica.js';
import { registerScopeGuard } from './http/scope.js';
import { registerSwagger } from './http/swagger.js';
import { today } from './ledger/dates.js';
import { statementRoutes } from './statements/routes.js';
import { transactionRoutes } from './transactions/routes.js';
import { voucherRoutes } from './vouchers/routes.js';
import { attachmentRoutes } from './attachments/routes.js';

export interface BuildOptions {
  config: Config;
  database: Database;
  /** The key of the ID-number hash (see resolveIdHashKey). */
  idHashKey: string;
  logger?: FastifyServerOptions['logger'];
}

export const API_VERSION = '1.0.0';

/** The whole service as a Fastify instance, not listening: tests use inject(), server.ts listens. */
export async function buildApp({ config, database, idHashKey, logger = false }: BuildOptions) {
  const app = Fastify({
    logger,
    // The router's own refusals (broken percent-encoding, over-long parameters) answer as problems too.
    frameworkErrors: answerFrameworkError,
    bodyLimit: 1024 * 1024,
    // request.ip (limits, audit log) is the client's only behind the proxies named here.
    trustProxy: config.LEDGER_TRUST_PROXY.length ? config.LEDGER_TRUST_PROXY : false,
    // A request that cannot finish in this time is cut off rather than holding a connection forever.
    requestTimeout: 30_000,
    // A caller's X-Request-Id is kept (it ties our logs and audit rows to theirs) only when it looks like
    // an id: never free text, never something an ID number could hide in.
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[A-Za-z0-9._-]{1,64}$/.test(given) && !/\d{14}/.test(given) ? given : randomUUID();
    },
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // The API speaks JSON: any other body is refused with 415 rather than parsed as a string.
  app.removeContentTypeParser('text/plain');

  const clock = () => today(config.LEDGER_TIMEZONE);
  const postingGroups = createPostingGroups(database.db, database.pipelined);
  const ctx: AppContext = {
    config,
    database,
    funds: createFundService(database.db),
    households: createHouseholdService(database.db, { idHashKey, riskCauses: config.LEDGER_RISK_CAUSES, today: clock }),
    bank: createBankService(database.db, { today: clock, windowDays: config.LEDGER_BANK_MATCH_DAYS }),
    apiKeys: createApiKeyService(database.db, { envAdminToken: config.LEDGER_ADMIN_TOKEN, listenVia: database.listenVia }),
    write: createWriter(postingGroups),
    postingGroups,
    today: clock,
  };

  // The key cache's listening connection and last-use writes end with the app, before the database closes.
  app.addHook('onClose', () => ctx.apiKeys.close());
  // Writes still waiting in a group are answered before the database closes (it closes after the app).
  app.addHook('onClose', () => postingGroups.settled());
  registerErrorHandling(app);
  const addressBudget = await registerProtection(app, config);
  registerAuth(app, ctx.apiKeys, addressBudget);
  // After authentication (it needs the role), before the scope guard (whose reads then go to the replica too).
  registerReplicaReads(app, database);
  // Before the scope guard, whose checks read the database with the request's values.
  registerControlCharacterCheck(app);
  registerScopeGuard(app, database.db);
  registerNameMasking(app);
  registerAudit(app, database.db);

  await registerSwagger(app, {
    title: 'fund-ledger',
    version: API_VERSION,
    description:
      'Double-entry ledger for earmarked anti-poverty funds (防止返贫专项基金). Money is always a decimal string. ' +
      'Errors are application/problem+json with a stable `code`.',
  });

  await app.register(healthRoutes, { database });
  await app.register(fundRoutes, { ctx });
  await app.register(transactionRoutes, { ctx });
  await app.register(voucherRoutes, { ctx });
  await app.register(attachmentRoutes, { ctx });
  await app.register(householdRoutes, { ctx });
  await app.register(householdImportRoutes, { ctx });
  await app.register(industriesRoutes, { ctx });
  await app.register(disbursementsRoutes, { ctx });
  await app.register(insuranceRoutes, { ctx });
  await app.register(eventRoutes, { ctx });
  await app.register(statementRoutes, { ctx });
  await app.register(bankRoutes, { ctx });
  await app.register(periodRoutes, { ctx });
  await app.register(auditRoutes, { ctx });
  await app.register(authRoutes, { ctx });
  await app.register(consoleRoutes);
  app.decorate('ctx', ctx);
  return app;
}

declare module 'fastify' {
  interface FastifyInstance {
    ctx: AppContext;
  }
}

export type App = Awaited<ReturnType<typeof buildApp>>;
