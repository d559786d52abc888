import { DomainError } from '../errors.js';

export const DATE_PATTERN = /^\d{4}-\d{2}-\d{2}$/;

/** True for a real calendar day written YYYY-MM-DD (2024-02-30 is not one). */
export function isCalendarDate(value: string): boolean {
  if (!DATE_PATTERN.test(value)) return false;
  const d = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value;
}

/** Today's accounting date in the ledger's time zone. */
// Building a formatter costs far more than using one (it shows in a posting's profile): one per time zone.
const formatters = new Map<string, { format: Intl.DateTimeFormat; second: number; day: string }>();

export function today(timeZone: string, now: Date = new Date()): string {
  let zone = formatters.get(timeZone);
  if (!zone) {
    // en-CA formats as YYYY-MM-DD.
    zone = { format: new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }), second: NaN, day: '' };
    formatters.set(timeZone, zone);
  }
  // Every request asks; formatting is costly next to it, and the day changes only on a second's boundary.
  const second = Math.floor(now.getTime() / 1000);
  if (second !== zone.second) {
    zone.day = zone.format.format(now);
    zone.second = second;
  }
  return zone.day;
}

export function assertNotFuture(date: string, todayDate: string): void {
  if (date > todayDate) {
    throw new DomainError('date_in_future', `Accounting date ${date} is after today (${todayDate}).`, { date, today: todayDate });
  }
}

/** An accounting period: a calendar month written YYYY-MM. */
// Years from 1900: Date.UTC reads years below 100 as 19xx, and no fund's books start earlier.
export const PERIOD_PATTERN = /^(19\d\d|[2-9]\d\d\d)-(0[1-9]|1[0-2])$/;

export const periodOf = (date: string): string => date.slice(0, 7);

export const periodStart = (period: string): string => `${period}-01`;

/** The last day of a month. */
export function periodEnd(period: string): string {
  const [year, month] = period.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(year, month, 0)).toISOString().slice(0, 10);
}

export function nextPeriod(period: string): string {
  const [year, month] = period.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(year, month, 1)).toISOString().slice(0, 7);
}

export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

const momentFormats = new Map<string, Intl.DateTimeFormat>();

/**
 * A moment as people in `timeZone` read it, with the zone's offset: "2026-12-05 21:40:07 UTC+08:00". For what
 * a printed statement says it was generated at; the API's own timestamps stay ISO 8601 in UTC.
 */
export function localMoment(iso: string, timeZone: string): string {
  let format = momentFormats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-CA', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'longOffset',
    });
    momentFormats.set(timeZone, format);
  }
  const parts = Object.fromEntries(format.formatToParts(new Date(iso)).map((p) => [p.type, p.value]));
  const offset = parts.timeZoneName === 'GMT' ? '+00:00' : parts.timeZoneName!.replace('GMT', '');
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}:${parts.second} UTC${offset}`;
}
