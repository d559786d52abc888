import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { configuredDatabase, openDatabase } from './db/client.js';
import { DataDirLockedError } from './db/data-dir-lock.js';
import { loggerOptions } from './http/logging.js';
import { resolveIdHashKey } from './secrets.js';

async function main() {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }

  // The data folder's lock comes first: a second process on it must stop before touching anything, the ID-hash key file too.
  let database;
  try {
    database = openDatabase(configuredDatabase(config));
  } catch (error) {
    if (error instanceof DataDirLockedError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }

  let idHashKey;
  try {
    idHashKey = resolveIdHashKey(config);
  } catch (error) {
    console.error((error as Error).message);
    await database.close();
    process.exit(1);
  }
  await database.migrate();
  const app = await buildApp({
    config,
    database,
    idHashKey,
    logger: loggerOptions(config.LOG_LEVEL),
  });

  const bootstrap = await app.ctx.apiKeys.bootstrapAdmin();
  if (bootstrap) {
    // Printed once, to the terminal only: the database keeps just its hash.
    process.stdout.write(
      `\nNo LEDGER_ADMIN_TOKEN and no admin key yet: created one. Keep it now, it is not shown again:\n\n  ${bootstrap.token}\n\n`,
    );
  }

  let closing = false;
  const close = async (signal: string) => {
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down: finishing in-flight requests');
    try {
      // Keep-alive connections that carry a last request while closing (answered 503) go idle only
      // afterwards: close them as they do, or the process would wait out the keep-alive timeout.
      const sweep = setInterval(() => app.server.closeIdleConnections(), 100);
      await app.close();
      clearInterval(sweep);
      await database.close();
      process.exit(0);
    } catch (error) {
      app.log.error({ err: error }, 'shutdown failed');
      process.exit(1);
    }
  };
  process.on('SIGTERM', () => void close('SIGTERM'));
  process.on('SIGINT', () => void close('SIGINT'));

  await app.listen({ port: config.PORT, host: config.HOST });
  const base = `http://${config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST}:${config.PORT}`;
  app.log.info(
    { database: database.kind === 'pglite' ? `embedded PGlite in ${config.LEDGER_DATA_DIR}` : 'PostgreSQL (DATABASE_URL)' },
    `fund-ledger listening on ${base} — web console at /console/, API docs at /docs`,
  );
  // For the person who just typed npm start, whatever the log level: where to go next.
  process.stdout.write(`\nfund-ledger is running.\n  web console (控制台): ${base}/console/\n  API docs:             ${base}/docs\n\n`);
}

main().catch((error) => {
  console.error('fund-ledger failed to start:', error instanceof Error ? error.message : error);
  process.exit(1);
});
