import { z } from 'zod';
import { isCalendarDate } from '../ledger/dates.js';
import { AMOUNT_PATTERN, AMOUNT_RULE } from '../ledger/money.js';

/** Money at the API: a decimal string, never a JSON number. Zero is refused here too. */
export const amount = z
  .string({ error: AMOUNT_RULE })
  .regex(AMOUNT_PATTERN, { error: AMOUNT_RULE })
  .refine((v) => /[1-9]/.test(v), { error: 'an amount must be greater than zero' })
  .meta({ description: 'Decimal string, > 0, at most 2 decimals', examples: ['1234.56'] });

/** A stored money figure as returned: may be zero or negative (e.g. a contra balance). */
export const money = z.string().meta({ description: 'Decimal string with 2 decimals', examples: ['1234.56'] });

export const calendarDate = z
  .string({ error: 'a date is a string YYYY-MM-DD' })
  .refine(isCalendarDate, { error: 'must be a calendar date written YYYY-MM-DD' })
  .meta({ format: 'date', examples: ['2026-11-30'] });

export const id = z.uuid({ error: 'must be a UUID' });

/** A short human text: trimmed of nothing, but not blank and without control characters. */
export const text = (max: number) =>
  z
    .string()
    .max(max, { error: `at most ${max} characters` })
    .refine((v) => v.trim().length > 0, { error: 'must not be blank' })
    .refine((v) => !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(v), { error: 'must not contain control characters' });

export const code = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, { error: 'a code is 1–64 letters, digits, ".", "_" or "-", starting with a letter or digit' });

export const problem = z
  .looseObject({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    code: z.string().meta({ description: 'Stable machine-readable error code' }),
    instance: z.string().optional(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details' });

/** The error answers a route can give, for its OpenAPI description. */
export const problems = (...statuses: (400 | 401 | 403 | 404 | 409 | 422)[]) =>
  Object.fromEntries([400, 401, ...statuses].map((s) => [s, problem]));
