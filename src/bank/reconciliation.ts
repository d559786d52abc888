import { sql } from 'drizzle-orm';
import { type Executor, rows } from '../db/client.js';
import { DomainError, notFound } from '../errors.js';
import { periodEnd, periodStart } from '../ledger/dates.js';
import { Money, canonicalMoney, formatMoney, sum } from '../ledger/money.js';
import { type BankMovement, bankMovements } from './movements.js';

/**
 * The 银行存款余额调节表 of a fund for a month, as of its last day D:
 *
 *   book balance  + 银行已收、单位未收 − 银行已付、单位未付 = adjusted book balance
 *   bank balance  + 单位已收、银行未收 − 单位已付、银行未付 = adjusted bank balance
 *
 * The book balance is the ledger's money in the bank (bank + bank_reserved) at the end of D; the bank
 * balance is the balance after the bank's last line dated D or before (or the opening balance of the
 * statement that covers D, before its first line). A bank line dated D or before is in the books by D when a
 * standing match pairs it with vouchers all dated D or before; a voucher likewise. Vouchers dated before
 * the first imported statement begins are left out: the reconciliation starts where the statements do,
 * and `opening` says whether the books and that first statement agreed then.
 */
export interface ReconciliationItem {
  date: string;
  amount: string;
  /** Days from the item's date to D. */
  ageDays: number;
  /** Outstanding longer than `staleDays`: a payment the bank never made, a receipt never booked. */
  stale: boolean;
}

export interface BankItem extends ReconciliationItem {
  lineId: string;
  bankReference: string | null;
  counterpartyName: string | null;
  memo: string | null;
}

export interface BookItem extends ReconciliationItem {
  transactionId: string;
  number: number;
  description: string;
  references: string[];
}

interface ItemList<T> {
  items: T[];
  total: string;
}

export interface Reconciliation {
  fund: { id: string; code: string; name: string; bankAccountNumber: string | null; bankName: string | null };
  period: string;
  asOf: string;
  staleDays: number;
  /** Whether an imported statement's period covers D. */
  statementCovered: boolean;
  /** The first day of the first imported statement: where the reconciliation starts. */
  since: string | null;
  /** The books' bank money the day before `since`, and that statement's opening balance. */
  opening: { bookBalance: string; bankBalance: string; agrees: boolean } | null;
  bookBalance: string;
  bankBalance: string | null;
  bankInNotBooked: ItemList<BankItem>;
  bankOutNotBooked: ItemList<BankItem>;
  bookInNotBanked: ItemList<BookItem>;
  bookOutNotBanked: ItemList<BookItem>;
  adjustedBookBalance: string;
  adjustedBankBalance: string | null;
  agrees: boolean;
  /** Why it does not agree, one sentence each (empty when it agrees). */
  reasons: string[];
  staleItems: number;
}

export const DEFAULT_STALE_DAYS = 30;

const daysBetween = (from: string, to: string) => Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);

const list = <T extends { amount: string }>(items: T[]): ItemList<T> => ({ items, total: formatMoney(sum(items.map((i) => new Money(i.amount)))) });

interface FundBankData {
  fund: Reconciliation['fund'];
  /** Oldest first: the first one's start is where the reconciliation begins. */
  statements: { from: string; to: string; opening: string }[];
  /** Bank lines in the bank's order, each with the latest date of the vouchers its standing match holds. */
  lines: { id: string; date: string; direction: 'in' | 'out'; amount: string; balanceAfter: string; bankReference: string | null; counterpartyName: string | null; memo: string | null; bookedOn: string | null }[];
  movements: (BankMovement & { bankedOn: string | null })[];
}

/** Everything the reconciliations up to `upTo` read, in a few statements. */
async function loadFundBankData(tx: Executor, fundId: string, upTo: string): Promise<FundBankData> {
  const [fund] = await rows<Reconciliation['fund'] & { has_bank: boolean }>(
    tx,
    sql`select f.id, f.code, f.name, f.bank_account_number as "bankAccountNumber", f.bank_name as "bankName",
               exists (select 1 from accounts a where a.fund_id = f.id and a.role = 'bank') as has_bank
          from funds f where f.id = ${fundId}`,
  );
  if (!fund) throw notFound('Fund', fundId);
  if (!fund.has_bank) {
    throw new DomainError('chart_account_missing', 'The fund has no bank account in its chart (a fund opened with the prevention chart has): nothing to reconcile.', { role: 'bank' });
  }
  const { has_bank: _, ...fundRef } = fund;
  const statements = await rows<{ from: string; to: string; opening: string }>(
    tx,
    sql`select period_from::text as "from", period_to::text as "to", opening_balance::text as opening
          from bank_statements where fund_id = ${fundId} order by period_from, imported_at`,
  );
  const lines = await rows<FundBankData['lines'][number]>(
    tx,
    sql`with booked as (
          select ml.line_id, max(t.date)::text as booked_on
            from bank_match_lines ml
            join bank_match_entries me on me.match_id = ml.match_id and me.active
            join transactions t on t.id = me.transaction_id
           where ml.active
           group by ml.line_id)
        select l.id, l.date::text as date, l.direction, l.amount::text as amount, l.balance_after::text as "balanceAfter",
               l.bank_reference as "bankReference", l.counterparty_name as "counterpartyName", l.memo, b.booked_on as "bookedOn"
          from bank_statement_lines l left join booked b on b.line_id = l.id
         where l.fund_id = ${fundId} and l.date <= ${upTo}
         order by l.date, l.position`,
  );
  const banked = new Map(
    (
      await rows<{ transaction_id: string; banked_on: string }>(
        tx,
        sql`select me.transaction_id, max(l.date)::text as banked_on
              from bank_match_entries me
              join bank_match_lines ml on ml.match_id = me.match_id and ml.active
              join bank_statement_lines l on l.id = ml.line_id
             where me.active and l.fund_id = ${fundId}
             group by me.transaction_id`,
      )
    ).map((r) => [r.transaction_id, r.banked_on]),
  );
  const movements = (await bankMovements(tx, fundId, { to: upTo })).map((m) => ({ ...m, bankedOn: banked.get(m.transactionId) ?? null }));
  return { fund: fundRef, statements, lines, movements };
}

const signed = (m: { direction: string; amount: string }) => (m.direction === 'in' ? new Money(m.amount) : new Money(m.amount).neg());

/** The 调节表 of `period` from the fund's data loaded up to its end or later. */
function reconcile(data: FundBankData, period: string, staleDays: number): Reconciliation {
  const asOf = periodEnd(period);
  const since = data.statements[0]?.from ?? null;
  const statementCovered = data.statements.some((s) => s.from <= asOf && asOf <= s.to);
  const upToDay = data.lines.filter((l) => l.date <= asOf);
  const lastLine = upToDay.at(-1);
  const begun = data.statements.filter((s) => s.from <= asOf).at(-1);
  const bankBalance = lastLine ? canonicalMoney(lastLine.balanceAfter) : begun ? canonicalMoney(begun.opening) : null;
  const bookBalance = formatMoney(sum(data.movements.filter((m) => m.date <= asOf).map(signed)));

  const age = (date: string) => {
    const ageDays = daysBetween(date, asOf);
    return { ageDays, stale: ageDays > staleDays };
  };
  const bankOpen = upToDay
    .filter((l) => l.bookedOn === null || l.bookedOn > asOf)
    .map((l) => ({
      lineId: l.id,
      date: l.date,
      direction: l.direction,
      amount: canonicalMoney(l.amount),
      bankReference: l.bankReference,
      counterpartyName: l.counterpartyName,
      memo: l.memo,
      ...age(l.date),
    }));
  const bookOpen = since
    ? data.movements
        .filter((m) => m.date >= since && m.date <= asOf && (m.bankedOn === null || m.bankedOn > asOf))
        .map((m) => ({ transactionId: m.transactionId, number: m.number, date: m.date, direction: m.direction, amount: m.amount, description: m.description, references: m.references, ...age(m.date) }))
    : [];

  const strip = <T extends { direction: string }>({ direction: _, ...rest }: T) => rest;
  const bankInNotBooked = list(bankOpen.filter((l) => l.direction === 'in').map(strip));
  const bankOutNotBooked = list(bankOpen.filter((l) => l.direction === 'out').map(strip));
  const bookInNotBanked = list(bookOpen.filter((m) => m.direction === 'in').map(strip));
  const bookOutNotBanked = list(bookOpen.filter((m) => m.direction === 'out').map(strip));

  const adjustedBook = new Money(bookBalance).plus(bankInNotBooked.total).minus(bankOutNotBooked.total);
  const adjustedBank = bankBalance === null ? null : new Money(bankBalance).plus(bookInNotBanked.total).minus(bookOutNotBanked.total);

  let opening: Reconciliation['opening'] = null;
  if (since) {
    const before = formatMoney(sum(data.movements.filter((m) => m.date < since).map(signed)));
    const bankOpening = canonicalMoney(data.statements[0]!.opening);
    opening = { bookBalance: before, bankBalance: bankOpening, agrees: new Money(before).eq(bankOpening) };
  }

  const reasons: string[] = [];
  if (!since) reasons.push('no bank statement has been imported for the fund');
  else if (!statementCovered) reasons.push(`no imported bank statement covers ${asOf}`);
  if (opening && !opening.agrees) {
    reasons.push(`when the statements begin (${since}) the books held ${opening.bookBalance} in the bank, the bank's opening balance was ${opening.bankBalance}`);
  }
  const agrees = adjustedBank !== null && adjustedBook.eq(adjustedBank) && statementCovered;
  if (adjustedBank !== null && !adjustedBook.eq(adjustedBank)) {
    reasons.push(`the adjusted balances differ by ${formatMoney(adjustedBook.minus(adjustedBank).abs())}: book ${formatMoney(adjustedBook)}, bank ${formatMoney(adjustedBank)}`);
  }
  return {
    fund: data.fund,
    period,
    asOf,
    staleDays,
    statementCovered,
    since,
    opening,
    bookBalance,
    bankBalance,
    bankInNotBooked,
    bankOutNotBooked,
    bookInNotBanked,
    bookOutNotBanked,
    adjustedBookBalance: formatMoney(adjustedBook),
    adjustedBankBalance: adjustedBank === null ? null : formatMoney(adjustedBank),
    agrees,
    reasons,
    staleItems: [...bankOpen, ...bookOpen].filter((i) => i.stale).length,
  };
}

const assertBegun = (period: string, today: string) => {
  if (periodStart(period) > today) throw new DomainError('validation_failed', `period: ${period} has not begun (today is ${today}).`, { field: 'period' });
};

export async function buildReconciliation(tx: Executor, params: { fundId: string; period: string; staleDays?: number }, today: string): Promise<Reconciliation> {
  assertBegun(params.period, today);
  const data = await loadFundBankData(tx, params.fundId, periodEnd(params.period));
  return reconcile(data, params.period, params.staleDays ?? DEFAULT_STALE_DAYS);
}

/** Several months of one fund (oldest first), from one read of its data. */
export async function reconcileMonths(tx: Executor, fundId: string, periods: string[], today: string): Promise<Reconciliation[]> {
  if (!periods.length) return [];
  for (const period of periods) assertBegun(period, today);
  const data = await loadFundBankData(tx, fundId, periodEnd(periods.at(-1)!));
  return periods.map((period) => reconcile(data, period, DEFAULT_STALE_DAYS));
}
