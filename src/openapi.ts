import { buildApp } from './app.js';
import { loadConfig } from './config.js';
import { openDatabase } from './db/client.js';

/** The OpenAPI document as the route schemas describe it, formatted as committed in openapi/. */
export async function generateOpenApi(): Promise<string> {
  // Building the routes reads no data; an empty in-memory database is enough.
  const database = openDatabase({ dataDir: 'memory://' });
  const app = await buildApp({ config: loadConfig({}), database, idHashKey: 'openapi-generation-has-no-households-to-hash' });
  try {
    await app.ready();
    return `${JSON.stringify(app.swagger(), null, 2)}\n`;
  } finally {
    await app.close();
    await database.close();
  }
}
