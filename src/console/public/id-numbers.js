// The ID number (居民身份证号码, GB 11643) checked on the page as the service checks it
// (src/households/id-numbers.ts; test/console/id-numbers.test.ts holds the two to the same answers), so a
// mistyped digit is caught before anything is sent. The number itself is never shown back, only masked.

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS = '10X98765432';

const isDay = (y, m, d) => {
  const date = new Date(0);
  date.setUTCFullYear(y, m - 1, d); // not Date.UTC, which reads years 0–99 as 1900–1999
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
};

/** Why the number is not a valid ID number, in Chinese, or null when it is. */
export function idNumberProblem(raw) {
  const value = raw.trim().toUpperCase();
  if (!/^\d{17}[\dX]$/.test(value)) return '身份证号为 18 位：17 位数字加 1 位数字或 X。';
  if (!isDay(Number(value.slice(6, 10)), Number(value.slice(10, 12)), Number(value.slice(12, 14)))) return '身份证号中的出生日期不是有效日期。';
  const check = CHECK_CHARS[WEIGHTS.reduce((sum, w, i) => sum + w * Number(value[i]), 0) % 11];
  if (check !== value[17]) return '身份证号校验位不对，请核对是否有数字录错。';
  return null;
}

/** 5107**********1234: the only form in which the console shows a number once typed. */
export const maskIdNumber = (value) => `${value.slice(0, 4)}${'*'.repeat(10)}${value.slice(-4).toUpperCase()}`;
