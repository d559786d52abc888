import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { type Database, openDatabase } from '../../src/db/client.js';

export interface Backend {
  name: 'pglite' | 'postgres';
  /** A new, migrated, empty database that nobody else uses; drop() removes it. */
  open(): Promise<TestDatabase>;
}

export interface TestDatabase extends Database {
  drop(): Promise<void>;
}

const pglite: Backend = {
  name: 'pglite',
  async open() {
    const database = openDatabase({ dataDir: 'memory://' });
    await database.migrate();
    return { ...database, drop: () => database.close() };
  },
};

function postgres(serverUrl: string): Backend {
  return {
    name: 'postgres',
    async open() {
      const empty = await emptyPostgresDatabase(serverUrl);
      const database = openDatabase({ url: empty.url, poolSize: 24 });
      await database.migrate();
      return {
        ...database,
        async drop() {
          await database.close();
          await empty.drop();
        },
      };
    },
  };
}

/** Every test that touches data runs on PGlite, and on real PostgreSQL when TEST_DATABASE_URL is set. */
export const backends: Backend[] = process.env.TEST_DATABASE_URL ? [pglite, postgres(process.env.TEST_DATABASE_URL)] : [pglite];

export const realPostgres: Backend | undefined = backends.find((b) => b.name === 'postgres');

/**
 * An empty database of its own on the server of TEST_DATABASE_URL — migrated by the backend above, or by a
 * service started as a separate process; drop() removes it, cutting any connection left.
 */
export async function emptyPostgresDatabase(serverUrl: string): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const name = `fl_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async drop() {
      const client = new pg.Client({ connectionString: serverUrl });
      await client.connect();
      await client.query(`drop database if exists ${name} with (force)`);
      await client.end();
    },
  };
}
