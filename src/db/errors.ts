import { DomainError } from '../errors.js';

interface PgError {
  code?: string;
  constraint?: string;
}

const unavailableCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EPIPE', '57P01', '57P02', '57P03', '53300']);

/**
 * Turns what PostgreSQL refused into the domain error it stands for. The services check these rules
 * first with clear messages; these are the database's backstops, so they still answer 4xx, not 500.
 */
export function fromDatabaseError(error: unknown): DomainError | undefined {
  const e = (error as { cause?: unknown })?.cause ?? error;
  const { code, constraint } = (e ?? {}) as PgError;
  if (!code) return undefined;
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
  if (unavailableCodes.has(code) || code.startsWith('08')) {
    return new DomainError('database_unavailable', 'The database is not reachable; retry shortly.');
  }
  return undefined;
}
