import { DomainError } from '../errors.js';

interface PgError {
  code?: string;
  constraint?: string;
}

const lostConnection = /timeout exceeded when trying to connect|Connection terminated|Client has encountered a connection error|Client was closed/i;
const unavailable = () => new DomainError('database_unavailable', 'The database is not reachable; retry shortly.');

const unavailableCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EPIPE', '57P01', '57P02', '57P03', '53300']);

/**
 * Turns what PostgreSQL refused into the domain error it stands for. The services check these rules
 * first with clear messages; these are the database's backstops, so they still answer 4xx, not 500.
 */
export function fromDatabaseError(error: unknown): DomainError | undefined {
  const e = (error as { cause?: unknown })?.cause ?? error;
  const { code, constraint } = (e ?? {}) as PgError;
  // node-postgres reports a lost or unobtainable connection without a code.
  if (!code) return lostConnection.test(String((e as Error)?.message)) ? unavailable() : undefined;
  if (code === '23514' && constraint === 'accounts_no_overdraft_check') {
    return new DomainError('insufficient_funds', 'The posting would take a no-overdraft account below zero.');
  }
  if (code === '23505' && constraint === 'transactions_reverses_key') {
    return new DomainError('already_reversed', 'The transaction was already reversed.');
  }
  if (code === '23505') return new DomainError('already_exists', 'A record with the same unique key already exists.');
  if (code === '40P01' || code === '40001') {
    return new DomainError('concurrency_conflict', 'The request collided with a concurrent one and was not applied; retry it.');
  }
  if (code === '22P02' || code === '22007' || code === '22008' || code === '22003') {
    return new DomainError('validation_failed', 'A value is not of the expected type or range.');
  }
  // lock_not_available (lock_timeout) and query_canceled (statement_timeout): the transaction rolled back.
  if (code === '55P03' || code === '57014') {
    return new DomainError('database_timeout', 'The database did not answer in time (a lock held too long, or a slow statement); nothing was written. Retry shortly.');
  }
  if (unavailableCodes.has(code) || code.startsWith('08')) return unavailable();
  return undefined;
}
