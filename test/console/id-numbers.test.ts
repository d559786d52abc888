// The console checks an ID number before sending it: its answer must be the service's, number for number.
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain JavaScript module served to browsers, without type declarations
import { idNumberProblem as pageProblem, maskIdNumber as pageMask } from '../../src/console/public/id-numbers.js';
import { checkCharacter, idNumberProblem, maskIdNumber } from '../../src/households/id-numbers.js';

describe('the console ID number check', () => {
  it('accepts and refuses exactly what the service does', () => {
    const samples: string[] = [];
    let seed = 7;
    const next = (n: number) => (seed = (seed * 1103515245 + 12345) % 2 ** 31) % n;
    for (let i = 0; i < 3000; i++) {
      const birth = `${1900 + next(130)}${String(1 + next(13)).padStart(2, '0')}${String(1 + next(32)).padStart(2, '0')}`;
      const first17 = `${110000 + next(800000)}${birth}${String(next(1000)).padStart(3, '0')}`;
      // Half with the right check character, the rest with any: both sides must agree on every one.
      samples.push(first17 + (i % 2 ? checkCharacter(first17) : '0123456789X'[next(11)]));
    }
    samples.push('11010119900307123x', '11010100010101123', '1101011990030712', '110101199002291234', '110101200002291237', 'ABCDEFGHIJKLMNOPQR', '');
    let valid = 0;
    for (const sample of samples) {
      const server = idNumberProblem(sample) === undefined;
      expect(pageProblem(sample) === null, sample).toBe(server);
      if (server) valid++;
    }
    expect(valid).toBeGreaterThan(1000);
  });

  it('masks as the service masks', () => {
    const id = `11010119900307123${checkCharacter('11010119900307123')}`;
    expect(pageMask(id)).toBe(maskIdNumber(id));
    expect(pageProblem(id.slice(0, 17) + (id[17] === '0' ? '1' : '0'))).toMatch(/校验位/);
  });
});
