/**
 * An amount in Chinese capitals (人民币大写), as banks and vouchers write it under the rules for filling in
 * bills and settlement vouchers (正确填写票据和结算凭证的基本规定):
 * - 壹 贰 叁 肆 伍 陆 柒 捌 玖, 拾 佰 仟 万 亿, 元 角 分; 10–19 written 壹拾…;
 * - zeros between digits written once as 零 (壹拾万零伍佰元整), also across a 万 or 亿 (壹亿零伍万元整);
 * - a whole number of 元 ends 整, as does one ending in 角 (壹元壹角整); 分 ends without it;
 * - 元 ending in 0 followed by 角, and 0 角 followed by 分, take a 零 (壹佰万元零壹角整, 壹元零伍分);
 * - under one 元, only 角 and 分 (伍分); nothing at all is 零元整; a negative amount begins 负.
 * Works on the decimal string, never a float: at most 9,999,999,999,999.99 as the ledger keeps.
 */
const DIGITS = '零壹贰叁肆伍陆柒捌玖';
const PLACES = ['', '拾', '佰', '仟'];

/** 0 < n < 10,000, without leading 零. */
function fourDigits(n: number): string {
  const digits = String(n).padStart(4, '0');
  let out = '';
  let pendingZero = false;
  let started = false;
  for (let i = 0; i < 4; i++) {
    const d = Number(digits[i]);
    if (d === 0) {
      if (started) pendingZero = true;
      continue;
    }
    if (pendingZero) out += '零';
    pendingZero = false;
    started = true;
    out += DIGITS[d]! + PLACES[3 - i]!;
  }
  return out;
}

/** A positive whole number below 10^16 in capitals, zeros between groups written once. */
function whole(n: bigint): string {
  for (const [size, unit] of [[100_000_000n, '亿'], [10_000n, '万']] as const) {
    if (n >= size) {
      const high = whole(n / size);
      const low = n % size;
      if (low === 0n) return high + unit;
      // A lower part shorter than its place (壹拾万零伍佰) is joined by one 零.
      return high + unit + (low < size / 10n ? '零' : '') + whole(low);
    }
  }
  return fourDigits(Number(n));
}

export function chineseCapitals(amount: string): string {
  const m = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(amount.trim());
  if (!m) throw new Error(`not an amount: ${amount}`);
  const [, sign, int, frac = ''] = m;
  const yuan = BigInt(int!);
  const [jiao, fen] = [Number(frac.padEnd(2, '0')[0]), Number(frac.padEnd(2, '0')[1])];
  if (yuan === 0n && jiao === 0 && fen === 0) return '零元整';
  let out = sign ? '负' : '';
  if (yuan > 0n) out += `${whole(yuan)}元`;
  if (jiao === 0 && fen === 0) return `${out}整`;
  if (jiao > 0) {
    if (yuan > 0n && yuan % 10n === 0n) out += '零';
    out += `${DIGITS[jiao]}角`;
    return fen > 0 ? `${out}${DIGITS[fen]}分` : `${out}整`;
  }
  // 0 角, some 分: 壹元零伍分; under one 元, only 伍分.
  return `${out}${yuan > 0n ? '零' : ''}${DIGITS[fen]}分`;
}
