import { createHash } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import { type Db, type Executor, rows, type Tx } from '../db/client.js';
import { bankReconciledMonths, bankStatements } from '../db/schema.js';
import { DomainError, notFound } from '../errors.js';
import { type EventInput, recordEvents } from '../events/outbox.js';
import { refusal } from '../http/csv.js';
import { nextPeriod, periodOf } from '../ledger/dates.js';
import { autoMatch, DEFAULT_WINDOW_DAYS, manualMatch, matchOfLine, undoMatch } from './matching.js';
import { buildReconciliation, reconcileMonths } from './reconciliation.js';
import {
  type BankStatement,
  checkStatement,
  lineIdentity,
  readStatementCsv,
  readStatementJson,
  type StatementJson,
  StatementProblems,
} from './statement-file.js';

export interface BankOptions {
  today(): string;
  /** Days apart a bank line and a voucher of the same amount may be dated and still match (default 5). */
  windowDays?: number;
}

type LineRow = {
  id: string;
  statementId: string;
  lineNo: number;
  date: string;
  direction: 'in' | 'out';
  amount: string;
  balanceAfter: string;
  counterpartyName: string | null;
  counterpartyAccount: string | null;
  bankReference: string | null;
  memo: string | null;
  matchId: string | null;
  matchMethod: string | null;
  transactionIds: string[] | null;
};

/** Bank statements (银行对账单) of a fund's account: import, match to the ledger, reconcile. */
export function createBankService(db: Db, options: BankOptions) {
  const windowDays = options.windowDays ?? DEFAULT_WINDOW_DAYS;

  async function fundForBank(tx: Executor, fundId: string) {
    const [fund] = await rows<{ bank_account_number: string | null; has_bank: boolean }>(
      tx,
      sql`select bank_account_number, exists (select 1 from accounts a where a.fund_id = f.id and a.role = 'bank') as has_bank from funds f where f.id = ${fundId}`,
    );
    if (!fund) throw notFound('Fund', fundId);
    if (!fund.has_bank) throw new DomainError('chart_account_missing', 'The fund has no bank account in its chart (a fund opened with the prevention chart has).', { role: 'bank' });
    if (!fund.bank_account_number) {
      throw new DomainError('bank_account_missing', "The fund's bank account number is not set: set it first (PATCH /v1/funds/{fundId} with bankAccountNumber).", { fundId });
    }
    return { accountNumber: fund.bank_account_number };
  }

  /**
   * After a change to what is matched: each month from `from` to `to` whose reconciliation now agrees and did
   * not is recorded, with an event; one that agreed and no longer does is struck off, with an event.
   */
  async function recheckMonths(tx: Tx, fundId: string, from: string, to: string, actor: string): Promise<EventInput[]> {
    const today = options.today();
    const last = periodOf(to < today ? to : today);
    const recorded = new Set(
      (await tx.select({ period: bankReconciledMonths.period }).from(bankReconciledMonths).where(eq(bankReconciledMonths.fundId, fundId))).map((r) => r.period),
    );
    const periods: string[] = [];
    for (let period = periodOf(from); period <= last; period = nextPeriod(period)) periods.push(period);
    const events: EventInput[] = [];
    for (const r of await reconcileMonths(tx, fundId, periods, today)) {
      const { period } = r;
      if (r.agrees && !recorded.has(period)) {
        await tx.insert(bankReconciledMonths).values({ fundId, period, reconciledBy: actor });
        events.push({ type: 'bank_reconciliation.reconciled', fundId, subjectId: `${fundId}:${period}`, payload: { fundId, period, bookBalance: r.bookBalance, bankBalance: r.bankBalance!, actor } });
      } else if (!r.agrees && recorded.has(period)) {
        await tx.delete(bankReconciledMonths).where(and(eq(bankReconciledMonths.fundId, fundId), eq(bankReconciledMonths.period, period)));
        events.push({ type: 'bank_reconciliation.unreconciled', fundId, subjectId: `${fundId}:${period}`, payload: { fundId, period, reasons: r.reasons, actor } });
      }
    }
    return events;
  }

  const toLine = (l: LineRow) => ({
    id: l.id,
    statementId: l.statementId,
    lineNo: l.lineNo,
    date: l.date,
    direction: l.direction,
    amount: l.amount,
    balanceAfter: l.balanceAfter,
    counterpartyName: l.counterpartyName,
    counterpartyAccount: l.counterpartyAccount,
    bankReference: l.bankReference,
    memo: l.memo,
    status: l.matchId ? ('matched' as const) : ('unmatched' as const),
    match: l.matchId ? { matchId: l.matchId, method: l.matchMethod!, transactionIds: l.transactionIds ?? [] } : null,
  });

  const lineColumns = sql`l.id, l.statement_id as "statementId", l.line_no as "lineNo", l.date::text as date, l.direction, l.amount::text as amount,
    l.balance_after::text as "balanceAfter", l.counterparty_name as "counterpartyName", l.counterparty_account as "counterpartyAccount",
    l.bank_reference as "bankReference", l.memo, m.id as "matchId", m.method as "matchMethod",
    (select array_agg(e.transaction_id::text order by e.transaction_id) from bank_match_entries e where e.match_id = m.id and e.active) as "transactionIds"`;
  const lineJoins = sql`left join bank_match_lines ml on ml.line_id = l.id and ml.active left join bank_matches m on m.id = ml.match_id`;

  return {
    /**
     * Imports a statement whole or not at all: every line is checked (src/bank/statement-file.ts) and against
     * the lines already imported; lines known before are not stored again. Then matches what it can.
     */
    async importStatement(tx: Tx, fundId: string, body: string | StatementJson, actor: string) {
      const fund = await fundForBank(tx, fundId);
      const json = typeof body !== 'string';
      const { statement, problems } = json ? readStatementJson(body) : readStatementCsv(body, new StatementProblems());
      checkStatement(statement, problems, options.today(), json);
      if (statement.accountNumber && statement.accountNumber !== fund.accountNumber) {
        problems.add(1, json ? 'accountNumber' : '账号', `the statement is of account ${statement.accountNumber}, not the fund's account ${fund.accountNumber}`);
      }
      const lines = statement.lines ?? [];
      // A line imported before must be the same line: the same reference with another amount is not.
      const known = new Map(
        (
          await rows<{ identity: string; date: string; direction: string; amount: string; balance_after: string }>(
            tx,
            sql`select identity, date::text as date, direction, amount::text as amount, balance_after::text as balance_after from bank_statement_lines
                 where fund_id = ${fundId} and identity in (select value from jsonb_array_elements_text(${JSON.stringify(lines.map(lineIdentity))}::jsonb))`,
          )
        ).map((k) => [k.identity, k]),
      );
      for (const l of lines) {
        const k = known.get(lineIdentity(l));
        if (k && (k.date !== l.date || k.direction !== l.direction || k.amount !== l.amount || k.balance_after !== l.balanceAfter)) {
          problems.add(
            l.line,
            json ? 'bankReference' : '流水号',
            `bank reference ${l.bankReference} was imported before as ${k.date} ${k.direction === 'in' ? 'in' : 'out'} ${k.amount} (balance ${k.balance_after})`,
          );
        }
      }
      if (problems.list.length) throw refusal(problems.list, lines.length);
      const s = statement as BankStatement;

      const [created] = await tx
        .insert(bankStatements)
        .values({
          fundId,
          accountNumber: s.accountNumber,
          periodFrom: s.from,
          periodTo: s.to,
          openingBalance: s.openingBalance,
          closingBalance: s.closingBalance,
          lineCount: lines.length,
          newLines: 0,
          sha256: createHash('sha256').update(json ? JSON.stringify(body) : body).digest('hex'),
          importedBy: actor,
        })
        .returning();
      // One statement however many lines, in the file's order (which the position keeps for a day's lines).
      const rowsJson = JSON.stringify(
        lines.map((l, ord) => ({
          ord,
          line_no: l.line,
          identity: lineIdentity(l),
          date: l.date,
          direction: l.direction,
          amount: l.amount,
          balance_after: l.balanceAfter,
          counterparty_name: l.counterpartyName,
          counterparty_account: l.counterpartyAccount,
          bank_reference: l.bankReference,
          memo: l.memo,
        })),
      );
      const inserted = await rows<{ id: string }>(
        tx,
        sql`insert into bank_statement_lines (fund_id, statement_id, line_no, identity, date, direction, amount, balance_after,
                                              counterparty_name, counterparty_account, bank_reference, memo)
            select ${fundId}, ${created!.id}, v.line_no, v.identity, v.date, v.direction, v.amount, v.balance_after,
                   v.counterparty_name, v.counterparty_account, v.bank_reference, v.memo
              from jsonb_to_recordset(${rowsJson}::jsonb) as v(ord int, line_no int, identity text, date date, direction text, amount numeric,
                   balance_after numeric, counterparty_name text, counterparty_account text, bank_reference text, memo text)
             order by v.ord
            on conflict (fund_id, identity) do nothing
            returning id`,
      );
      await tx.update(bankStatements).set({ newLines: inserted.length }).where(eq(bankStatements.id, created!.id));
      const matching = await autoMatch(tx, fundId, actor, windowDays);
      const answer = {
        statementId: created!.id,
        fundId,
        accountNumber: s.accountNumber,
        from: s.from,
        to: s.to,
        openingBalance: s.openingBalance,
        closingBalance: s.closingBalance,
        lines: lines.length,
        newLines: inserted.length,
        knownLines: lines.length - inserted.length,
        matching,
      };
      const events: EventInput[] = [
        { type: 'bank_statement.imported', fundId, subjectId: created!.id, payload: { statementId: created!.id, from: s.from, to: s.to, lines: lines.length, newLines: inserted.length, actor } },
        ...(await recheckMonths(tx, fundId, s.from, s.to, actor)),
      ];
      await recordEvents(tx, events);
      return answer;
    },

    /** Automatic matching again (after vouchers were posted, say); answers what it matched. */
    async autoMatch(tx: Tx, fundId: string, actor: string) {
      await fundForBank(tx, fundId);
      const matching = await autoMatch(tx, fundId, actor, windowDays);
      const [span] = await rows<{ from: string | null; to: string | null }>(
        tx,
        sql`select min(period_from)::text as from, max(period_to)::text as to from bank_statements where fund_id = ${fundId}`,
      );
      if (span?.from && span.to) await recordEvents(tx, await recheckMonths(tx, fundId, span.from, span.to, actor));
      return matching;
    },

    async match(tx: Tx, lineId: string, input: { transactionIds: string[]; otherLineIds?: string[] }, actor: string) {
      const match = await manualMatch(tx, lineId, input, actor);
      await recordEvents(tx, await recheckSpan(tx, match, actor));
      return match;
    },

    async unmatch(tx: Tx, lineId: string, actor: string) {
      const match = await undoMatch(tx, lineId, actor);
      await recordEvents(tx, await recheckSpan(tx, match, actor));
      return { ...match, undoneBy: actor };
    },

    async listLines(filter: { fundId: string; status?: 'matched' | 'unmatched'; from?: string; to?: string; limit: number; after?: { date: string; position: number } }) {
      // A fund that does not exist is not one without lines.
      const [fund] = await rows<{ id: string }>(db, sql`select id from funds where id = ${filter.fundId}`);
      if (!fund) throw notFound('Fund', filter.fundId);
      const found = await rows<LineRow & { position: number }>(
        db,
        sql`select ${lineColumns}, l.position
              from bank_statement_lines l ${lineJoins}
             where l.fund_id = ${filter.fundId}
               ${filter.from ? sql`and l.date >= ${filter.from}` : sql``}
               ${filter.to ? sql`and l.date <= ${filter.to}` : sql``}
               ${filter.status === 'matched' ? sql`and m.id is not null` : filter.status === 'unmatched' ? sql`and m.id is null` : sql``}
               ${filter.after ? sql`and (l.date, l.position) > (${filter.after.date}::date, ${filter.after.position})` : sql``}
             order by l.date, l.position
             limit ${filter.limit}`,
      );
      return found.map((l) => ({ ...toLine(l), position: l.position }));
    },

    async getLine(lineId: string) {
      const [found] = await rows<LineRow>(db, sql`select ${lineColumns} from bank_statement_lines l ${lineJoins} where l.id = ${lineId}`);
      if (!found) throw notFound('Bank statement line', lineId);
      return toLine(found);
    },

    matchOfLine: (lineId: string) => matchOfLine(db, lineId),

    /**
     * Why the month's bank reconciliation does not agree (no statement, or a difference), for the period
     * close; none for a fund without a bank account in its chart, which has nothing to reconcile.
     */
    async unreconciledReasons(tx: Executor, fundId: string, period: string): Promise<string[]> {
      const [fund] = await rows<{ has_bank: boolean }>(tx, sql`select exists (select 1 from accounts a where a.fund_id = ${fundId} and a.role = 'bank') as has_bank`);
      // A month not yet ended is refused by the close itself (period_not_ended).
      if (!fund?.has_bank || period >= periodOf(options.today())) return [];
      const r = await buildReconciliation(tx, { fundId, period }, options.today());
      return r.agrees ? [] : r.reasons.length ? r.reasons : ['the reconciliation does not agree'];
    },

    reconciliation: (tx: Executor, fundId: string, period: string, staleDays?: number) => buildReconciliation(tx, { fundId, period, staleDays }, options.today()),
  };

  /** The months a match reaches: from its earliest line or voucher to today. */
  async function recheckSpan(tx: Tx, match: { lineIds: string[]; transactionIds: string[] }, actor: string) {
    const [span] = await rows<{ fund_id: string; from: string }>(
      tx,
      sql`select l.fund_id, least(min(l.date), (select min(t.date) from transactions t where t.id in (select value::uuid from jsonb_array_elements_text(${JSON.stringify(match.transactionIds)}::jsonb))))::text as from
            from bank_statement_lines l where l.id in (select value::uuid from jsonb_array_elements_text(${JSON.stringify(match.lineIds)}::jsonb))
           group by l.fund_id`,
    );
    return span ? recheckMonths(tx, span.fund_id, span.from, options.today(), actor) : [];
  }
}

export type BankService = ReturnType<typeof createBankService>;
