import { sql } from 'drizzle-orm';
import { keyNames } from '../auth/key-names.js';
import { type Executor, rows } from '../db/client.js';
import { notFound } from '../errors.js';
import { type AccountType, balanceFrom, type Direction, normalSide, signedEffect } from '../ledger/accounts.js';
import { Money } from '../ledger/money.js';
import { type FundRef, fundLabel, type Period, text } from './common.js';
import type { Presentation } from './document.js';
import { periodText } from './document.js';

/**
 * The account ledger (明细账): the account's lines of the period in accounting order (date, then
 * voucher number), each with the balance after it. The balance runs from the opening balance at the end
 * of the day before the period, so a line posted late with an earlier date sits where its date puts it,
 * and the last balance is the balance at the end of the period. Balances are positive on the account's
 * normal side, as everywhere in the API.
 */
export interface LedgerStatement {
  account: { id: string; code: string; name: string; type: AccountType; normalSide: Direction };
  fund: FundRef;
  period: Period;
  openingBalance: string;
  lines: {
    date: string;
    voucherNumber: number;
    transactionId: string;
    lineNo: number;
    description: string;
    memo: string | null;
    debit: string;
    credit: string;
    balance: string;
    /** 制单: who posted the voucher. */
    preparedByName: string | null;
  }[];
  totals: { debit: string; credit: string };
  closingBalance: string;
}

export async function buildLedgerStatement(tx: Executor, params: { accountId: string } & Period): Promise<LedgerStatement> {
  const { accountId, from, to } = params;
  const [account] = await rows<{ id: string; code: string; name: string; type: AccountType; fund_id: string; fund_code: string; fund_name: string }>(
    tx,
    sql`select a.id, a.code, a.name, a.type, f.id as fund_id, f.code as fund_code, f.name as fund_name
          from accounts a join funds f on f.id = a.fund_id where a.id = ${accountId}`,
  );
  if (!account) throw notFound('Account', accountId);
  const [before] = await rows<{ debit: string; credit: string }>(
    tx,
    sql`select coalesce(sum(debit_total), 0)::text as debit, coalesce(sum(credit_total), 0)::text as credit
          from account_daily_totals where account_id = ${accountId} and date < ${from}`,
  );
  const found = await rows<{
    date: string;
    seq: string | number;
    transaction_id: string;
    line_no: number;
    description: string;
    memo: string | null;
    direction: Direction;
    amount: string;
    created_by: string;
  }>(
    tx,
    sql`select l.date::text as date, t.seq, l.transaction_id, l.line_no, t.description, l.memo, l.direction, l.amount::text as amount,
               t.created_by
          from transaction_lines l join transactions t on t.id = l.transaction_id
         where l.account_id = ${accountId} and l.date between ${from} and ${to}
         order by l.date, t.seq, l.line_no`,
  );

  const opening = balanceFrom(account.type, new Money(before!.debit), new Money(before!.credit));
  let balance = opening;
  let debit = new Money(0);
  let credit = new Money(0);
  const names = await keyNames(tx, found.map((l) => l.created_by));
  const lines = found.map((l) => {
    const amount = new Money(l.amount);
    if (l.direction === 'debit') debit = debit.plus(amount);
    else credit = credit.plus(amount);
    balance = balance.plus(signedEffect(account.type, l.direction, amount));
    return {
      date: l.date,
      voucherNumber: Number(l.seq),
      transactionId: l.transaction_id,
      lineNo: Number(l.line_no),
      description: l.description,
      memo: l.memo,
      debit: l.direction === 'debit' ? l.amount : '0.00',
      credit: l.direction === 'credit' ? l.amount : '0.00',
      balance: text(balance),
      preparedByName: names.get(l.created_by) ?? null,
    };
  });
  return {
    account: { id: account.id, code: account.code, name: account.name, type: account.type, normalSide: normalSide[account.type] },
    fund: { id: account.fund_id, code: account.fund_code, name: account.fund_name },
    period: { from, to },
    openingBalance: text(opening),
    lines,
    totals: { debit: text(debit), credit: text(credit) },
    closingBalance: text(balance),
  };
}

const sideNames: Record<Direction, string> = { debit: '借', credit: '贷' };

export function presentLedgerStatement(s: LedgerStatement): Presentation {
  const normal = s.account.normalSide;
  const opposite: Direction = normal === 'debit' ? 'credit' : 'debit';
  // As an accountant writes it: the side the balance stands on (借/贷, 平 when nil) and its size.
  const side = (b: Money) => (b.isZero() ? '平' : sideNames[b.isNegative() ? opposite : normal]);
  const size = (b: Money) => text(b.abs());
  const blank = (amount: string) => (amount === '0.00' ? '' : amount);

  // Running sums for the carry rows, computed once: a page break asks for them by the rows printed.
  const debits: Money[] = [new Money(0)];
  const credits: Money[] = [new Money(0)];
  for (const l of s.lines) {
    debits.push(debits.at(-1)!.plus(l.debit));
    credits.push(credits.at(-1)!.plus(l.credit));
  }
  const opening = new Money(s.openingBalance);
  const closing = new Money(s.closingBalance);

  return {
    title: '明细账 Account ledger',
    fund: fundLabel(s.fund),
    period: periodText(s.period.from, s.period.to),
    subject: `科目 Account：${s.account.code} ${s.account.name}（余额方向 normal side：${sideNames[normal]}）`,
    fileName: `ledger-${s.account.code}-${s.period.from}-${s.period.to}`,
    blocks: [
      {
        type: 'table',
        table: {
          columns: [
            { header: '日期 Date', width: 56 },
            { header: '凭证号 Voucher', width: 42 },
            { header: '摘要 Description', width: 130 },
            { header: '制单 Prepared by', width: 74 },
            { header: '借方 Debit', width: 66, align: 'right', money: true },
            { header: '贷方 Credit', width: 66, align: 'right', money: true },
            { header: '方向 Side', width: 24, align: 'center' },
            { header: '余额 Balance', width: 70, align: 'right', money: true },
          ],
          rows: [
            [s.period.from, '', '期初余额 Opening balance', '', '', '', side(opening), size(opening)],
            ...s.lines.map((l) => {
              const b = new Money(l.balance);
              return [l.date, String(l.voucherNumber), l.description, l.preparedByName ?? '', blank(l.debit), blank(l.credit), side(b), size(b)];
            }),
          ],
          total: [s.period.to, '', '本期合计 Period total', '', s.totals.debit, s.totals.credit, side(closing), size(closing)],
          carry: {
            forward: '过次页 Carried forward',
            back: '承前页 Brought forward',
            after(count, label) {
              // The first row printed is the opening balance, not a line.
              const n = Math.max(0, count - 1);
              const b = n === 0 ? opening : new Money(s.lines[n - 1]!.balance);
              return ['', '', label, '', text(debits[n]!), text(credits[n]!), side(b), size(b)];
            },
          },
        },
      },
    ],
  };
}
