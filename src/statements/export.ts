import { sql } from 'drizzle-orm';
import { type Executor, rows } from '../db/client.js';
import { canonicalMoney } from '../ledger/money.js';
import { fundRef } from './common.js';

/**
 * A fund's journal as plain text that independent tools re-add on their own: `ledger` (ledger-cli and
 * hledger) or `beancount`. Every voucher of the fund up to a day, its lines on the fund's accounts (a voucher
 * across funds balances per fund, so its part here balances too), debits positive and credits negative, in
 * CNY. `hledger -f export.journal balance` then gives the trial balance to the fen.
 *
 * Accounts are named by their type and code, e.g. `Assets:1002` — with the name beside the code for ledger
 * (`Assets:1002 银行存款—专户（可用）`), and as `name` metadata of the `open` directive for beancount, whose
 * account names allow only letters, digits and dashes.
 */
export const exportFormats = ['ledger', 'beancount'] as const;
export type ExportFormat = (typeof exportFormats)[number];

const ROOTS = { asset: 'Assets', liability: 'Liabilities', equity: 'Equity', income: 'Income', expense: 'Expenses' } as const;
const PAGE = 5_000;

interface Line {
  seq: string | number;
  date: string;
  description: string;
  reference: string | null;
  account_id: string;
  direction: 'debit' | 'credit';
  amount: string;
}

/** Text inside a beancount string or a ledger comment: one line, quotes escaped. */
const oneLine = (text: string) => text.replace(/[\r\n\t]+/g, ' ');
const quoted = (text: string) => `"${oneLine(text).replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

export async function* fundJournal(executor: Executor, fundId: string, asOf: string, format: ExportFormat): AsyncGenerator<string> {
  const fund = await fundRef(executor, fundId);
  const accounts = await rows<{ id: string; code: string; name: string; type: keyof typeof ROOTS; first: string | null }>(
    executor,
    sql`select a.id, a.code, a.name, a.type, (select min(l.date)::text from transaction_lines l where l.account_id = a.id) as first
          from accounts a where a.fund_id = ${fundId} order by a.code collate "C"`,
  );
  const names = new Map<string, string>();
  const taken = new Set<string>();
  for (const a of accounts) {
    let code = format === 'beancount' ? a.code.replace(/[^A-Za-z0-9-]/g, '-').replace(/^[^A-Z0-9]/, (c) => (/[a-z]/.test(c) ? c.toUpperCase() : `X${c}`)) : a.code;
    while (taken.has(code)) code = `${code}-${a.id.slice(0, 4)}`;
    taken.add(code);
    names.set(a.id, format === 'beancount' ? `${ROOTS[a.type]}:${code}` : `${ROOTS[a.type]}:${code} ${oneLine(a.name).replace(/[:;]/g, ' ').replace(/ {2,}/g, ' ')}`);
  }

  const comment = format === 'beancount' ? ';' : ';';
  yield `${comment} fund-ledger: ${oneLine(fund.name)} (${fund.code}), every voucher to ${asOf}\n`;
  yield `${comment} debits positive, credits negative; re-add with: ${format === 'beancount' ? 'bean-check' : 'hledger -f <file> balance'}\n\n`;
  if (format === 'beancount') {
    yield `option "title" ${quoted(`${fund.name} (${fund.code})`)}\noption "operating_currency" "CNY"\n\n`;
    for (const a of accounts) {
      yield `${a.first ?? '1970-01-01'} open ${names.get(a.id)} CNY\n  name: ${quoted(a.name)}\n`;
    }
    yield '\n';
  }

  let after = 0;
  for (;;) {
    const lines = await rows<Line>(
      executor,
      sql`select t.seq, l.date::text as date, t.description, t.reference, l.account_id, l.direction, l.amount::text as amount
            from transaction_lines l join transactions t on t.id = l.transaction_id
           where l.fund_id = ${fundId} and l.date <= ${asOf}
             and t.seq in (select t2.seq from transactions t2 join transaction_lines l2 on l2.transaction_id = t2.id
                            where l2.fund_id = ${fundId} and l2.date <= ${asOf} and t2.seq > ${after}
                            group by t2.seq order by t2.seq limit ${PAGE})
           order by t.seq, l.line_no`,
    );
    if (!lines.length) break;
    let text = '';
    for (let i = 0; i < lines.length; ) {
      const first = lines[i]!;
      const voucher: Line[] = [];
      while (i < lines.length && lines[i]!.seq === first.seq) voucher.push(lines[i++]!);
      const amount = (l: Line) => `${l.direction === 'credit' ? '-' : ''}${canonicalMoney(l.amount)} CNY`;
      if (format === 'beancount') {
        text += `${first.date} * ${quoted(`记-${first.seq}`)} ${quoted(first.description)}\n  voucher: ${first.seq}\n`;
        if (first.reference) text += `  reference: ${quoted(first.reference)}\n`;
        for (const l of voucher) text += `  ${names.get(l.account_id)}  ${amount(l)}\n`;
      } else {
        text += `${first.date} * (${first.seq}) ${oneLine(first.description)}${first.reference ? `  ; reference: ${oneLine(first.reference)}` : ''}\n`;
        for (const l of voucher) text += `    ${names.get(l.account_id)}  ${amount(l)}\n`;
      }
      text += '\n';
    }
    yield text;
    after = Number(lines.at(-1)!.seq);
  }
}
