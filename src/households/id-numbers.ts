import { createHmac } from 'node:crypto';
import { isCalendarDate } from '../ledger/dates.js';

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS = '10X98765432';

/** The check character (ISO 7064 MOD 11-2) that completes the first 17 characters of an ID number. */
export const checkCharacter = (first17: string) => CHECK_CHARS[WEIGHTS.reduce((acc, w, i) => acc + w * Number(first17[i]), 0) % 11]!;

/** Why an ID number (居民身份证号码, GB 11643) is not valid, or undefined when it is. */
export function idNumberProblem(raw: string): string | undefined {
  const value = raw.toUpperCase();
  if (!/^\d{17}[\dX]$/.test(value)) return 'an ID number is 18 characters: 17 digits and a digit or X';
  const birth = `${value.slice(6, 10)}-${value.slice(10, 12)}-${value.slice(12, 14)}`;
  if (!isCalendarDate(birth)) return 'the ID number does not hold a valid date of birth';
  if (checkCharacter(value) !== value[17]) return 'the ID number check digit is wrong';
  return undefined;
}

/** The only form in which an ID number is ever shown: 5107**********1234. */
export const maskIdNumber = (value: string) => `${value.slice(0, 4)}${'*'.repeat(10)}${value.slice(-4).toUpperCase()}`;

/** What the database keeps instead of the ID number: equal numbers give equal hashes, only with the key. */
export const hashIdNumber = (key: string, value: string) => createHmac('sha256', key).update(value.toUpperCase()).digest('hex');

/** Cuts anything that could be an ID number (a run of 14 or more digits) out of a text about to be shown or logged. */
export const hideIdNumbers = (text: string) => text.replace(/\d{14,}[\dXx]?/g, '[ID number hidden]');
