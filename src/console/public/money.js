// Money in the console is a decimal string, as at the API: never a JavaScript number. Sums and
// comparisons go through BigInt fen (分); only chart geometry becomes a number, and never a figure shown.

const AMOUNT = /^-?\d+(\.\d{1,2})?$/;

/** "1234567.5" → 123456750n fen. Throws on anything that is not a decimal with at most 2 places. */
export function toFen(value) {
  const text = String(value).trim();
  if (!AMOUNT.test(text)) throw new Error(`not an amount: ${value}`);
  const negative = text.startsWith('-');
  const [whole, part = ''] = text.replace('-', '').split('.');
  const fen = BigInt(whole) * 100n + BigInt((part + '00').slice(0, 2));
  return negative ? -fen : fen;
}

/** 123456750n → "1234567.50" (the API's form). */
export function fromFen(fen) {
  const negative = fen < 0n;
  const abs = negative ? -fen : fen;
  const text = `${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`;
  return negative ? `-${text}` : text;
}

/** "1234567.5" → "1,234,567.50": what people read. */
export function formatMoney(value) {
  if (value === null || value === undefined || value === '') return '—';
  const [whole, part] = fromFen(toFen(value)).split('.');
  const sign = whole.startsWith('-') ? '-' : '';
  const digits = whole.replace('-', '');
  return `${sign}${digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',')}.${part}`;
}

/**
 * What someone typed ("1,234.5", "１２３４", " 30000 ") → the API's amount string ("1234.50"), or null when
 * it is not a positive amount with at most two decimals. Thousands separators and full-width digits are
 * accepted; nothing is rounded.
 */
export function parseMoneyInput(input) {
  const text = String(input ?? '')
    .replace(/[０-９．，]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
    .replace(/[,\s]/g, '');
  if (!/^(0|[1-9]\d{0,12})(\.\d{1,2})?$/.test(text)) return null;
  const fen = toFen(text);
  return fen > 0n ? fromFen(fen) : null;
}

export const sumMoney = (values) => fromFen(values.reduce((acc, v) => acc + toFen(v), 0n));

/** a ÷ b as a number between 0 and 1, for drawing only. */
export function share(a, b) {
  const whole = toFen(b);
  if (whole <= 0n) return 0;
  const part = toFen(a);
  if (part <= 0n) return 0;
  return Number((part * 10000n) / whole) / 10000;
}
