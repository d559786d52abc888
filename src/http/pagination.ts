import { z } from 'zod';
import { DomainError } from '../errors.js';
import { controlCharacterIn } from './control-characters.js';

export const MAX_PAGE = 500;

export const limit = z.coerce
  .number({ error: 'limit must be a whole number' })
  .int({ error: 'limit must be a whole number' })
  .min(1, { error: 'limit must be at least 1' })
  .max(MAX_PAGE, { error: `limit must be at most ${MAX_PAGE}` })
  .default(100);

/**
 * A page's nextCursor, passed back as is: null (the last page's nextCursor) is accepted like an absent cursor, so a
 * typed client needs no cast. A query string carries no null; clients such as openapi-fetch leave it out.
 */
export const cursor = z
  .string()
  .max(200)
  .nullable()
  .optional()
  .transform((value) => value ?? undefined)
  .meta({ description: 'nextCursor from the previous page; absent (or null) for the first page' });

export const page = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable() });

/** Cursors are opaque to clients: base64url of the position after which the next page starts. */
export function encodeCursor(position: string | number): string {
  return Buffer.from(JSON.stringify({ p: position })).toString('base64url');
}

export function decodeCursor<T extends 'string' | 'number'>(
  value: string | undefined,
  kind: T,
): (T extends 'string' ? string : number) | undefined {
  if (value === undefined) return undefined;
  try {
    const decoded = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as { p?: unknown };
    // A cursor is the client's to send: what it decodes to is checked like any other input before it reaches the database.
    const usable = typeof decoded.p === 'string' ? !controlCharacterIn(decoded.p) : Number.isSafeInteger(decoded.p);
    if (typeof decoded.p === kind && usable) return decoded.p as T extends 'string' ? string : number;
  } catch {
    // fall through to the error below
  }
  throw new DomainError('validation_failed', 'cursor: not a cursor this service issued; use nextCursor from a previous page.');
}

/** The page's items and the cursor to the next one, present only when the page is full. */
export function toPage<T>(items: T[], pageSize: number, position: (last: T) => string | number) {
  const last = items[items.length - 1];
  return { items, nextCursor: items.length === pageSize && last !== undefined ? encodeCursor(position(last)) : null };
}
