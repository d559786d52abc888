/**
 * A bank's statement of a fund's account (银行对账单), read from the CSV that Chinese online banking exports
 * or from JSON, and checked whole before anything is stored.
 *
 * CSV: UTF-8 or GB18030, as the household import reads it (src/http/csv.ts). Before the table, the
 * statement's own facts, one per line as `名称,值` (or `名称：值` in one cell), in any order:
 *
 * | fact            | names                                        |
 * |-----------------|----------------------------------------------|
 * | account number  | 账号, 帐号, 账户, 本方账号, 账户号码, 卡号      |
 * | bank            | 开户行, 开户银行, 银行 (optional)              |
 * | period          | 起始日期 / 开始日期 and 截止日期 / 终止日期 / 结束日期 |
 * | opening balance | 期初余额, 上期余额                            |
 * | closing balance | 期末余额, 本期余额                            |
 *
 * Other lines before the table (户名, 币种, a title) are skipped. The table begins at the first line that
 * names a date column; its columns, in any order, named as banks name them (a trailing "(元)" ignored):
 *
 * | column               | names                                                    |
 * |----------------------|----------------------------------------------------------|
 * | date (required)      | 交易日期, 记账日期, 日期, 交易时间 (a time after the day is ignored) |
 * | money in             | 收入金额, 贷方发生额, 贷方金额, 存入金额, 收入                |
 * | money out            | 支出金额, 借方发生额, 借方金额, 支取金额, 支出                |
 * | or one signed amount | 交易金额, 发生额, 金额 (negative: out), with 借贷标志 / 收支标志 (借/支: out, 贷/收: in) when unsigned |
 * | balance (required)   | 余额, 账户余额, 交易后余额                                   |
 * | counterparty         | 对方户名, 对方账户名称, 对方名称 · 对方账号, 对方账户              |
 * | bank reference       | 流水号, 交易流水号, 银行流水号, 凭证号                          |
 * | memo                 | 摘要, 用途, 附言, 备注 (joined with " / " when several)        |
 *
 * Other columns (币种, 交易渠道…) are ignored. Lines run oldest first; a file listed newest first (as some
 * banks export) is read in reverse. Amounts may carry thousands separators; more than two decimals that are
 * not zeros is not exact money.
 *
 * Every line is checked: its date is a day within the period and not after today; money in or out, not
 * both; the running balance follows (the balance before + in − out); the closing balance follows from the
 * last line; no control characters; no two lines of the file are the same line (same bank reference, or
 * without one the same date, direction, amount and balance after). All problems are reported at once.
 */
import { type CsvRecord, parseCsv, parseWrittenDay, type RowError } from '../http/csv.js';
import { controlCharacterIn } from '../http/control-characters.js';
import { MAX_AMOUNT, Money, formatMoney } from '../ledger/money.js';

export type Direction = 'in' | 'out';

export interface StatementLine {
  /** Where the line is in the file (CSV) or its place in `lines`, from 1 (JSON). */
  line: number;
  date: string;
  direction: Direction;
  amount: string;
  balanceAfter: string;
  counterpartyName: string | null;
  counterpartyAccount: string | null;
  bankReference: string | null;
  memo: string | null;
}

export interface BankStatement {
  accountNumber: string;
  bankName: string | null;
  from: string;
  to: string;
  openingBalance: string;
  closingBalance: string;
  lines: StatementLine[];
}

/** What the statement's JSON form carries (the same facts; `line` is each line's place). */
export interface StatementJson {
  accountNumber: string;
  bankName?: string;
  from: string;
  to: string;
  openingBalance: string;
  closingBalance: string;
  lines: {
    date: string;
    direction: Direction;
    amount: string;
    balanceAfter: string;
    counterpartyName?: string;
    counterpartyAccount?: string;
    bankReference?: string;
    memo?: string;
  }[];
}

/** The same line of the bank, however many statements bring it. */
export const lineIdentity = (l: Pick<StatementLine, 'bankReference' | 'date' | 'direction' | 'amount' | 'balanceAfter'>) =>
  l.bankReference ? `ref:${l.bankReference}` : `day:${l.date}|${l.direction}|${l.amount}|${l.balanceAfter}`;

/** An account number as people write it, without its spaces and dashes. */
export const plainAccountNumber = (value: string) => value.replace(/[\s-]/g, '');

const FACTS = {
  accountNumber: ['账号', '帐号', '账户', '本方账号', '账户号码', '卡号'],
  bankName: ['开户行', '开户银行', '银行'],
  from: ['起始日期', '开始日期', '查询起始日期'],
  to: ['截止日期', '终止日期', '结束日期', '查询截止日期'],
  openingBalance: ['期初余额', '上期余额'],
  closingBalance: ['期末余额', '本期余额'],
} as const;
type Fact = keyof typeof FACTS;
const FACT_LABEL: Record<Fact, string> = { accountNumber: '账号', bankName: '开户行', from: '起始日期', to: '截止日期', openingBalance: '期初余额', closingBalance: '期末余额' };

const COLUMNS = {
  date: ['交易日期', '记账日期', '日期', '交易时间'],
  in: ['收入金额', '贷方发生额', '贷方金额', '存入金额', '收入'],
  out: ['支出金额', '借方发生额', '借方金额', '支取金额', '支出'],
  amount: ['交易金额', '发生额', '金额'],
  flag: ['借贷标志', '借贷方向', '收支标志'],
  balance: ['余额', '账户余额', '交易后余额'],
  counterpartyName: ['对方户名', '对方账户名称', '对方名称', '对方账户名'],
  counterpartyAccount: ['对方账号', '对方账户'],
  bankReference: ['流水号', '交易流水号', '银行流水号', '凭证号'],
  memo: ['摘要', '用途', '附言', '备注'],
} as const;
type Column = keyof typeof COLUMNS;

const headerName = (raw: string) => raw.trim().replace(/[(（]元[)）]$/, '').trim();

/** A day as banks write it: 2026-03-01, 2026/3/1, 2026年3月1日 or 20260301, a time after it ignored. */
function readDay(raw: string): string | undefined {
  const day = raw.trim().split(/[\sT]/)[0]!;
  const compact = /^(\d{4})(\d{2})(\d{2})$/.exec(day);
  return compact ? parseWrittenDay(`${compact[1]}-${compact[2]}-${compact[3]}`) : parseWrittenDay(day);
}

/**
 * An amount as a bank writes it (1,234.50, ￥1234.5, -300.00), as the ledger keeps it ("1234.50"), or
 * why it is not exact money. `signed` allows a sign; a balance may be negative or zero.
 */
function readMoney(raw: string, { signed = false } = {}): { value: Money } | { problem: string } {
  const text = raw.trim().replace(/^[¥￥]/, '');
  const m = /^([+-]?)(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d+))?$/.exec(text);
  if (!m) return { problem: `"${raw.trim()}" is not an amount` };
  if (m[1] && !signed) return { problem: `"${raw.trim()}" has a sign; write money in and out in their columns` };
  const decimals = m[3] ?? '';
  if (/[1-9]/.test(decimals.slice(2))) return { problem: `"${raw.trim()}" is not exact money: more than two decimals` };
  const value = new Money(`${m[1]}${m[2]!.replace(/,/g, '')}.${decimals.slice(0, 2) || '0'}`);
  if (value.abs().gt(MAX_AMOUNT)) return { problem: `"${raw.trim()}" is larger than ${MAX_AMOUNT}` };
  return { value };
}

class Problems {
  readonly list: RowError[] = [];
  add(line: number, column: string | null, message: string, code: RowError['code'] = 'validation_failed') {
    this.list.push({ line, column, code, message });
  }
}

/** A fact's value from a line before the table: `名称,值` or `名称：值` in one cell. */
function factOf(record: CsvRecord): { fact: Fact; value: string } | undefined {
  const cells = record.fields.map((f) => f.trim()).filter((f) => f !== '');
  if (!cells.length) return undefined;
  const split = /^([^:：]+)[:：]\s*(.*)$/.exec(cells[0]!);
  // A value the export left unquoted (期初余额,449,950.00) spans cells: they are joined back.
  const [name, value] = split ? [split[1]!.trim(), [split[2]!, ...cells.slice(1)].join(',').trim()] : [cells[0]!, cells.slice(1).join(',').trim()];
  for (const [fact, names] of Object.entries(FACTS) as [Fact, readonly string[]][]) {
    if (names.includes(headerName(name))) return { fact, value };
  }
  return undefined;
}

/** Reads a CSV statement; throws nothing: every problem is in `problems`, with the lines it could read. */
export function readStatementCsv(text: string, problems: Problems = new Problems()): { statement: Partial<BankStatement>; problems: Problems } {
  const records = parseCsv(text);
  const isHeader = (r: CsvRecord) => r.fields.some((f) => (COLUMNS.date as readonly string[]).includes(headerName(f)));
  const headerAt = records.findIndex(isHeader);
  const facts: Partial<Record<Fact, { value: string; line: number }>> = {};
  for (const record of headerAt < 0 ? records : records.slice(0, headerAt)) {
    const bad = record.fields.map((f) => controlCharacterIn(f)).find(Boolean);
    if (bad) problems.add(record.line, null, bad);
    const found = factOf(record);
    if (found && !facts[found.fact]) facts[found.fact] = { value: found.value, line: record.line };
  }
  if (headerAt < 0) {
    problems.add(1, null, `no table of transactions: no line names a date column (${COLUMNS.date.join(', ')})`);
    return { statement: {}, problems };
  }
  const header = records[headerAt]!;
  const position = new Map<Column, number[]>();
  header.fields.forEach((raw, i) => {
    const name = headerName(raw);
    for (const [column, names] of Object.entries(COLUMNS) as [Column, readonly string[]][]) {
      if ((names as readonly string[]).includes(name)) position.set(column, [...(position.get(column) ?? []), i]);
    }
  });
  const one = (c: Column) => position.get(c)?.[0];
  const hasInOut = one('in') !== undefined && one('out') !== undefined;
  if (!hasInOut && one('amount') === undefined) {
    problems.add(header.line, null, `the columns of money in and out are missing: ${COLUMNS.in[0]} and ${COLUMNS.out[0]} (or ${COLUMNS.in[1]} and ${COLUMNS.out[1]}), or one ${COLUMNS.amount[0]}`);
  }
  if (one('balance') === undefined) problems.add(header.line, null, `the column ${COLUMNS.balance.join('/')} is missing`);

  const statement: Partial<BankStatement> = {};
  const need = (fact: Fact) => {
    const found = facts[fact];
    if (!found || !found.value) problems.add(1, FACT_LABEL[fact], `the statement's ${FACT_LABEL[fact]} is missing: write "${FACT_LABEL[fact]},…" above the table`);
    return found;
  };
  const account = need('accountNumber');
  if (account?.value) statement.accountNumber = plainAccountNumber(account.value);
  statement.bankName = facts.bankName?.value || null;
  for (const fact of ['from', 'to'] as const) {
    const found = need(fact);
    if (!found?.value) continue;
    const day = readDay(found.value);
    if (!day) problems.add(found.line, FACT_LABEL[fact], `"${found.value}" is not a date: write it 2026-03-01`);
    else statement[fact] = day;
  }
  for (const fact of ['openingBalance', 'closingBalance'] as const) {
    const found = need(fact);
    if (!found?.value) continue;
    const read = readMoney(found.value, { signed: true });
    if ('problem' in read) problems.add(found.line, FACT_LABEL[fact], read.problem);
    else statement[fact] = formatMoney(read.value);
  }

  const lines: StatementLine[] = [];
  const name = (i: number) => headerName(header.fields[i] ?? '');
  for (const record of records.slice(headerAt + 1)) {
    if (record.problem) {
      problems.add(record.line, null, record.problem);
      continue;
    }
    const cell = (c: Column) => {
      const at = one(c);
      return at === undefined ? '' : (record.fields[at] ?? '').trim();
    };
    let fine = true;
    const bad = (column: number | undefined, message: string) => {
      problems.add(record.line, column === undefined ? null : name(column), message);
      fine = false;
    };
    record.fields.forEach((value, i) => {
      const problem = controlCharacterIn(value);
      if (problem) bad(i, problem);
    });
    if (!fine) continue;
    // A footer such as 合计 or a blank-dated line closes the table.
    const rawDate = cell('date');
    if (!rawDate && record.fields.every((f, i) => i === one('date') || !f.trim() || !/\d/.test(f))) continue;
    const date = readDay(rawDate);
    if (!date) bad(one('date'), rawDate ? `"${rawDate}" is not a date: write it 2026-03-01` : 'is empty');

    let direction: Direction | undefined;
    let amount: Money | undefined;
    if (hasInOut) {
      const [inText, outText] = [cell('in'), cell('out')];
      const inRead = inText ? readMoney(inText) : undefined;
      const outRead = outText ? readMoney(outText) : undefined;
      if (inRead && 'problem' in inRead) bad(one('in'), inRead.problem);
      if (outRead && 'problem' in outRead) bad(one('out'), outRead.problem);
      const inValue = inRead && 'value' in inRead && !inRead.value.isZero() ? inRead.value : undefined;
      const outValue = outRead && 'value' in outRead && !outRead.value.isZero() ? outRead.value : undefined;
      if (inValue && outValue) bad(one('in'), 'money in and out on one line: a line is one or the other');
      else if (inValue) [direction, amount] = ['in', inValue];
      else if (outValue) [direction, amount] = ['out', outValue];
      else if (fine) bad(one('in'), 'no amount: neither money in nor money out');
    } else if (one('amount') !== undefined) {
      const read = readMoney(cell('amount'), { signed: true });
      if ('problem' in read) bad(one('amount'), read.problem);
      else if (read.value.isZero()) bad(one('amount'), 'no amount');
      else {
        const flag = cell('flag');
        const flagged = /^(借|支|支出|出)$/.test(flag) ? 'out' : /^(贷|收|收入|入)$/.test(flag) ? 'in' : undefined;
        if (flag && !flagged) bad(one('flag'), `"${flag}" is neither 借/支 (out) nor 贷/收 (in)`);
        if (flagged && read.value.isNegative()) bad(one('amount'), 'a negative amount with a 借贷标志: write the amount without its sign');
        [direction, amount] = [flagged ?? (read.value.isNegative() ? 'out' : 'in'), read.value.abs()];
      }
    }
    const balanceRead = readMoney(cell('balance'), { signed: true });
    if ('problem' in balanceRead) bad(one('balance'), cell('balance') ? balanceRead.problem : 'is empty');
    if (!fine || !date || !direction || !amount || 'problem' in balanceRead) continue;
    const memo = (position.get('memo') ?? []).map((i) => (record.fields[i] ?? '').trim()).filter(Boolean).join(' / ');
    lines.push({
      line: record.line,
      date,
      direction,
      amount: formatMoney(amount),
      balanceAfter: formatMoney(balanceRead.value),
      counterpartyName: cell('counterpartyName') || null,
      counterpartyAccount: cell('counterpartyAccount') || null,
      bankReference: cell('bankReference') || null,
      memo: memo || null,
    });
  }
  // Newest first, as some banks list them: read oldest first.
  if (lines.length > 1 && lines[0]!.date > lines.at(-1)!.date) lines.reverse();
  statement.lines = lines;
  return { statement, problems };
}

/** A JSON statement, already of the right shape (the route's schema), as the CSV reader answers it. */
export function readStatementJson(body: StatementJson): { statement: BankStatement; problems: Problems } {
  return {
    statement: {
      accountNumber: plainAccountNumber(body.accountNumber),
      bankName: body.bankName ?? null,
      from: body.from,
      to: body.to,
      openingBalance: formatMoney(new Money(body.openingBalance)),
      closingBalance: formatMoney(new Money(body.closingBalance)),
      lines: body.lines.map((l, i) => ({
        line: i + 1,
        date: l.date,
        direction: l.direction,
        amount: formatMoney(new Money(l.amount)),
        balanceAfter: formatMoney(new Money(l.balanceAfter)),
        counterpartyName: l.counterpartyName ?? null,
        counterpartyAccount: l.counterpartyAccount ?? null,
        bankReference: l.bankReference ?? null,
        memo: l.memo ?? null,
      })),
    },
    problems: new Problems(),
  };
}

/**
 * The checks every statement passes, however it came: the period, each line's day, the running balance
 * from the opening to the closing balance, and no line twice. `column` names the CSV's columns in Chinese
 * (the JSON's fields are their English names, which the problem's `column` then carries).
 */
export function checkStatement(statement: Partial<BankStatement>, problems: Problems, today: string, json = false): void {
  const col = (zh: string, en: string) => (json ? en : zh);
  // With a line that could not be read, every balance after it would be reported too: the running balance is
  // checked once the lines read.
  const readable = !problems.list.some((p) => p.line > 1);
  const { from, to, lines = [] } = statement;
  if (from && to && from > to) problems.add(1, col('截止日期', 'to'), `the period ends (${to}) before it begins (${from})`);
  if (to && to > today) problems.add(1, col('截止日期', 'to'), `the period ends after today (${today})`, 'date_in_future');
  let balance = statement.openingBalance === undefined ? undefined : new Money(statement.openingBalance);
  const seen = new Map<string, number>();
  for (const l of lines) {
    if (from && to && (l.date < from || l.date > to)) problems.add(l.line, col('交易日期', 'date'), `${l.date} is outside the statement's period ${from} to ${to}`);
    else if (l.date > today) problems.add(l.line, col('交易日期', 'date'), `${l.date} is after today (${today})`, 'date_in_future');
    const identity = lineIdentity(l);
    const first = seen.get(identity);
    if (first !== undefined) {
      problems.add(l.line, l.bankReference ? col('流水号', 'bankReference') : null, l.bankReference ? `the same bank reference as line ${first}` : `the same line as line ${first}`);
    } else seen.set(identity, l.line);
    if (balance !== undefined && readable) {
      const expected = l.direction === 'in' ? balance.plus(l.amount) : balance.minus(l.amount);
      if (!expected.eq(l.balanceAfter)) {
        problems.add(
          l.line,
          col('余额', 'balanceAfter'),
          `the balance ${l.balanceAfter} does not follow: ${formatMoney(balance)} ${l.direction === 'in' ? '+' : '−'} ${l.amount} = ${formatMoney(expected)}`,
        );
      }
    }
    // The bank's figure stands for the next line, so that one break is reported once.
    balance = new Money(l.balanceAfter);
  }
  if (readable && balance !== undefined && statement.closingBalance !== undefined && !balance.eq(statement.closingBalance)) {
    const after = lines.length ? `the last line's balance ${formatMoney(balance)}` : `the opening balance ${formatMoney(balance)} (no lines)`;
    problems.add(lines.at(-1)?.line ?? 1, col('期末余额', 'closingBalance'), `the closing balance ${statement.closingBalance} does not follow from ${after}`);
  }
}

export { Problems as StatementProblems };
