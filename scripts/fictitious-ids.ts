import { checkCharacter } from '../src/households/id-numbers.js';

/**
 * Fictitious but valid ID numbers for scenarios loaded into a real ledger, none used by an earlier run (the
 * ledger refuses an ID number twice): the region's last two digits, the sequence number and the birth date's
 * offset come from the run's start second, one-to-one over eleven years; household i is born 12 years after
 * household i - 1, so one run's households never share a number with another run's either.
 */
export function fictitiousIdNumbers(startedAt = Date.now()): (i: number) => string {
  const runSecond = Math.floor(startedAt / 1000);
  return (i) => {
    const region = `5107${String(1 + (runSecond % 99)).padStart(2, '0')}`;
    const seq = String(Math.floor(runSecond / 99) % 1000).padStart(3, '0');
    const birth = new Date(Date.UTC(1950 + 12 * i, 0, 1) + (Math.floor(runSecond / 99_000) % 3650) * 86_400_000);
    const body = `${region}${birth.toISOString().slice(0, 10).replaceAll('-', '')}${seq}`;
    return body + checkCharacter(body);
  };
}
