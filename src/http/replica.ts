import type { FastifyInstance } from 'fastify';
import { type Database, readFromReplica } from '../db/client.js';

/**
 * Sends other systems' reads to the read replica (DATABASE_READ_URL): a GET or HEAD under /v1 by a
 * reader key runs the rest of its request — scope checks, handler, answer — in the replica context.
 * Every other request, and every request of an officer, approver, auditor or admin, stays on the
 * primary, so whoever writes reads their own writes.
 *
 * Register it after registerAuth: the hook needs the principal authentication found, and hooks of one
 * kind run in the order they were added.
 */
export function registerReplicaReads(app: FastifyInstance, database: Database): void {
  if (!database.readPing) return;
  // The callback style, not async: done() runs the following hooks and the handler inside run(), so
  // everything they start inherits the context (the way @fastify/request-context keeps its store).
  app.addHook('onRequest', (request, _reply, done) => {
    const principal = request.principal as typeof request.principal | null;
    const isRead = request.method === 'GET' || request.method === 'HEAD';
    const path = request.url.split('?')[0]!;
    // The change feed stays on the primary: only there can it tell which running transactions belong to
    // this database (src/events/outbox.ts); a standby would hold it behind every transaction of the server.
    const feed = request.routeOptions.url === '/v1/events';
    if (isRead && !feed && principal?.role === 'reader' && (path === '/v1' || path.startsWith('/v1/'))) {
      readFromReplica(() => done());
    } else {
      done();
    }
  });
}
