import { type SQL, sql } from 'drizzle-orm';
import { type Executor, rows } from '../db/client.js';
import { type ChainBreak, walkChain } from './chain.js';
import { balanceViolations, type Violation } from './invariants.js';
import { voucherLabel } from './voucher-numbers.js';

export const checkNames = ['chain', 'voucher_numbers', 'balances', 'lines', 'records'] as const;

export const findingProblems = [
  'chain_broken',
  'anchor_mismatch',
  'numbers_missing',
  'voucher_missing',
  'voucher_not_in_fund',
  'voucher_unnumbered',
  'month_numbers_missing',
  'month_number_wrong',
  'figure_mismatch',
  'account_missing',
  'account_of_another_fund',
  'voucher_not_recorded',
  'allocations_do_not_add_up',
  'allocation_not_on_voucher',
] as const;

export interface Finding {
  problem: (typeof findingProblems)[number];
  message: string;
  detail: Record<string, unknown>;
}

export interface VerificationCheck {
  name: (typeof checkNames)[number];
  result: 'passed' | 'failed';
  /** What the check holds the books to: what `passed` means. */
  description: string;
  /** What it found, in a sentence. */
  summary: string;
  /** The first FINDINGS_SHOWN findings; findingCount counts them all. */
  findings: Finding[];
  findingCount: number;
}

export interface FundVerification {
  fundId: string;
  /** Intact: every check passed. */
  status: 'intact' | 'broken';
  transactions: number;
  headHash: string | null;
  firstBroken: ChainBreak | null;
  unlinkedTransactions: number;
  /** A link the caller recorded earlier (e.g. from a previous audit): does the chain still pass through it? */
  anchor: { position: number; hash: string; matches: boolean } | null;
  balanceMismatches: Violation[];
  checks: VerificationCheck[];
}

const FINDINGS_SHOWN = 100;

/**
 * Checks a fund's books against themselves, as an auditor takes them to be: the hash chain (chain.ts)
 * recomputes, the fund's vouchers are numbered without a hole, every stored figure equals its lines
 * (invariants.ts), every line sits on a voucher and an account of the fund, and every business record's
 * vouchers are in the journal. Results are data: what is broken is reported, not thrown. Reads the whole
 * fund: the caller runs it in one repeatable-read snapshot, so postings meanwhile do not look like damage.
 *
 * The chain shows that nothing changed since each hash was computed; someone able to rewrite the
 * database could recompute every hash after a change, so an auditor keeps the (transactions, headHash)
 * of each verification and passes them back later as the anchor: a chain rewritten before that point no
 * longer passes through it.
 */
export async function verifyFund(
  executor: Executor,
  fundId: string,
  anchor?: { position: number; hash: string },
): Promise<FundVerification> {
  const chain = await walkChain(executor, fundId);
  let anchored: FundVerification['anchor'] = null;
  if (anchor) {
    const [link] = await rows<{ hash: string }>(
      executor,
      sql`select hash from transaction_chain where fund_id = ${fundId} and position = ${anchor.position}`,
    );
    anchored = { ...anchor, matches: link?.hash === anchor.hash.toLowerCase() };
  }
  const balanceMismatches = await balanceViolations(executor, fundId);

  const chainFindings: Finding[] = [];
  if (chain.firstBroken) {
    const { reason, ...where } = chain.firstBroken;
    chainFindings.push({ problem: 'chain_broken', message: reason, detail: { ...where, unlinkedTransactions: chain.unlinkedTransactions } });
  }
  if (anchored && !anchored.matches) {
    chainFindings.push({
      problem: 'anchor_mismatch',
      message: `The chain no longer passes through the link recorded at position ${anchored.position}: it was rewritten before that point.`,
      detail: { position: anchored.position, hash: anchored.hash },
    });
  }
  const checks: VerificationCheck[] = [
    check(
      'chain',
      "Every link of the fund's hash chain recomputes from the voucher and lines it covers and follows the link before it, the chain's head records the last link, every voucher with lines in the fund has a link" +
        (anchored ? ', and the chain passes through the link given as the anchor' : ''),
      chainFindings,
      chainFindings.length,
      chain.firstBroken ? `Broken at ${chain.firstBroken.position === null ? 'a voucher with no link' : `link ${chain.firstBroken.position}`}.` : `${chain.transactions} links, all holding.`,
    ),
    await voucherNumbers(executor, fundId),
    check(
      'balances',
      "Every account's stored balance and debit and credit totals, its per-day totals, its last running balance and every period-close snapshot equal the sums of its lines; every voucher balances within the fund; no no-overdraft account is below zero",
      balanceMismatches.map((v) => ({ problem: 'figure_mismatch', message: v.invariant, detail: v.detail })),
      balanceMismatches.length,
      balanceMismatches.length ? `${balanceMismatches.length} stored figures differ from the lines.` : 'Every stored figure equals its lines.',
    ),
    await lineChecks(executor, fundId),
    await recordChecks(executor, fundId),
  ];
  const intact = checks.every((c) => c.result === 'passed');
  return { ...chain, status: intact ? 'intact' : 'broken', anchor: anchored, balanceMismatches, checks };
}

function check(name: VerificationCheck['name'], description: string, findings: Finding[], findingCount: number, summary: string): VerificationCheck {
  return { name, result: findingCount ? 'failed' : 'passed', description, summary, findings: findings.slice(0, FINDINGS_SHOWN), findingCount };
}

/** Rows of a query selecting `n`, the count of all its rows (count(*) over ()), limited to the findings shown. */
async function counted<T>(executor: Executor, query: SQL): Promise<{ list: T[]; count: number }> {
  const found = await rows<T & { n: string | number }>(executor, sql`${query} limit ${FINDINGS_SHOWN}`);
  return { list: found, count: found.length ? Number(found[0]!.n) : 0 };
}

/** The transactions with lines in the fund: joined once (a hash join) rather than probed for each row. */
const withLinesIn = (fundId: string) => sql`select distinct transaction_id from transaction_lines where fund_id = ${fundId}`;

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/**
 * A fund's voucher numbers, as a bookkeeper numbers vouchers per book: its chain positions, 1, 2, 3… in
 * the order the postings took the fund's chain head, handed out under that lock so that none is skipped.
 * The transaction's own `number` is the whole ledger's posting order instead: other funds' vouchers come
 * in between, and a posting refused or rolled back leaves its number unused for good (a PostgreSQL
 * sequence never hands a number out twice). Both are accounted for in the summary.
 */
async function voucherNumbers(executor: Executor, fundId: string): Promise<VerificationCheck> {
  const findings: Finding[] = [];
  let count = 0;

  const holes = await counted<{ first: string | number; last: string | number }>(
    executor,
    // The head's length + 1 closes the list, so numbers missing at the end count too.
    sql`select prev + 1 as first, position - 1 as last, count(*) over () as n
          from (select position, lag(position, 1, 0::bigint) over (order by position) as prev
                  from (select position from transaction_chain where fund_id = ${fundId}
                        union all
                        select length + 1 from fund_chains where fund_id = ${fundId}) numbered) s
         where position > prev + 1
         order by position`,
  );
  count += holes.count;
  for (const h of holes.list) {
    const [first, last] = [Number(h.first), Number(h.last)];
    findings.push({
      problem: 'numbers_missing',
      message: first === last ? `Voucher number ${first} of the fund is missing.` : `Voucher numbers ${first} to ${last} of the fund are missing.`,
      detail: { first, last },
    });
  }

  const dangling = await counted<{ position: string | number; transaction_id: string; seq: string | number | null }>(
    executor,
    sql`select c.position, c.transaction_id, t.seq, count(*) over () as n
          from transaction_chain c
          left join transactions t on t.id = c.transaction_id
          left join (${withLinesIn(fundId)}) mine on mine.transaction_id = c.transaction_id
         where c.fund_id = ${fundId} and mine.transaction_id is null
         order by c.position`,
  );
  count += dangling.count;
  for (const d of dangling.list) {
    const position = Number(d.position);
    findings.push(
      d.seq === null
        ? { problem: 'voucher_missing', message: `Voucher ${position} of the fund (transaction ${d.transaction_id}) is not in the journal.`, detail: { position, transactionId: d.transaction_id } }
        : {
            problem: 'voucher_not_in_fund',
            message: `Voucher ${position} of the fund (transaction #${d.seq}) has no line in the fund.`,
            detail: { position, transactionId: d.transaction_id, number: Number(d.seq) },
          },
    );
  }

  const unnumbered = await counted<{ id: string; seq: string | number }>(
    executor,
    sql`select t.id, t.seq, count(*) over () as n
          from transactions t
         where t.id in (select transaction_id from transaction_lines where fund_id = ${fundId}
                        except select transaction_id from transaction_chain where fund_id = ${fundId})
         order by t.seq`,
  );
  count += unnumbered.count;
  for (const u of unnumbered.list) {
    findings.push({
      problem: 'voucher_unnumbered',
      message: `Transaction #${u.seq} has lines in the fund but no voucher number of the fund (no link on its chain).`,
      detail: { transactionId: u.id, number: Number(u.seq) },
    });
  }

  // Numbers within the fund's months (记-YYYY-MM-NNNN): 1…n in each month, as the chain head counts them.
  const monthHoles = await counted<{ period: string; first: number; last: number }>(
    executor,
    sql`select period, prev + 1 as first, number - 1 as last, count(*) over () as n
          from (select period, number, lag(number, 1, 0) over (partition by period order by number) as prev
                  from (select period, number from voucher_numbers where fund_id = ${fundId}
                        union all
                        select m.key, m.value::int + 1 from fund_chains c, jsonb_each_text(c.month_numbers) m where c.fund_id = ${fundId}) numbered) s
         where number > prev + 1
         order by period, number`,
  );
  count += monthHoles.count;
  for (const h of monthHoles.list) {
    const label = (n: number) => voucherLabel(h.period, Number(n));
    findings.push({
      problem: 'month_numbers_missing',
      message: Number(h.first) === Number(h.last) ? `Voucher ${label(h.first)} of the fund is missing.` : `Vouchers ${label(h.first)} to ${label(h.last)} of the fund are missing.`,
      detail: { period: h.period, first: Number(h.first), last: Number(h.last) },
    });
  }
  const wrongMonth = await counted<{ id: string; seq: string | number; period: string | null; date: string }>(
    executor,
    sql`select t.id, t.seq, n.period, t.date::text as date, count(*) over () as n
          from (${withLinesIn(fundId)}) mine
          join transactions t on t.id = mine.transaction_id
          left join voucher_numbers n on n.transaction_id = t.id and n.fund_id = ${fundId}
         where n.period is distinct from to_char(t.date, 'YYYY-MM')
         order by t.seq`,
  );
  count += wrongMonth.count;
  for (const w of wrongMonth.list) {
    findings.push({
      problem: 'month_number_wrong',
      message:
        w.period === null
          ? `Transaction #${w.seq} has lines in the fund but no number within the fund's month.`
          : `Transaction #${w.seq} is dated ${w.date} but numbered in ${w.period}.`,
      detail: { transactionId: w.id, number: Number(w.seq), period: w.period, date: w.date },
    });
  }

  const [span] = await rows<{ vouchers: string | number; last: string | number | null; low: string | number | null; high: string | number | null; in_range: string | number }>(
    executor,
    sql`with mine as (select t.seq from transaction_chain c join transactions t on t.id = c.transaction_id where c.fund_id = ${fundId})
        select (select count(*) from mine) as vouchers,
               (select length from fund_chains where fund_id = ${fundId}) as last,
               (select min(seq) from mine) as low, (select max(seq) from mine) as high,
               (select count(*) from transactions where seq between (select min(seq) from mine) and (select max(seq) from mine)) as in_range`,
  );
  const vouchers = Number(span!.vouchers);
  let summary = 'The fund has no voucher yet.';
  if (span!.low !== null) {
    const [low, high, inRange] = [Number(span!.low), Number(span!.high), Number(span!.in_range)];
    const others = inRange - vouchers;
    const unused = high - low + 1 - inRange;
    const between =
      others + unused === 0
        ? 'with no other number in between'
        : `and of the ${others + unused} other numbers in between, ${others} belong to other funds' vouchers and ${unused} were taken by postings refused or rolled back`;
    summary =
      `${plural(vouchers, 'voucher')} numbered 1 to ${Number(span!.last ?? vouchers)} in the fund, ${count ? `${plural(count, 'problem')} found` : 'none missing'}. ` +
      `Their ledger-wide numbers run from ${low} to ${high}, ${between}.`;
  }
  return check(
    'voucher_numbers',
    "The fund's vouchers are numbered 1, 2, 3… in the fund (their position on its chain) with no number missing; each numbered voucher is in the journal with lines in the fund, and each voucher with lines in the fund has a number. " +
      'Within each month of their dates they are numbered 1, 2, 3… too (记-YYYY-MM-NNNN), up to the month counter of the fund’s chain head, none missing. ' +
      "The ledger-wide transaction number is posting order across all funds: the numbers between two of the fund's vouchers are other funds' vouchers, or were taken by postings refused or rolled back, and are counted in the summary",
    findings,
    count,
    summary,
  );
}

/** Lines of the fund, and lines on its accounts: each on a voucher in the journal and on an account of the same fund. */
async function lineChecks(executor: Executor, fundId: string): Promise<VerificationCheck> {
  const found = await counted<{ transaction_id: string; line_no: number; account_id: string; line_fund: string; account_fund: string | null; voucher: string | null }>(
    executor,
    sql`select l.transaction_id, l.line_no, l.account_id, l.fund_id as line_fund, a.fund_id as account_fund, t.id as voucher,
               count(*) over () as n
          from (select * from transaction_lines where fund_id = ${fundId}
                union all
                select * from transaction_lines
                 where account_id in (select id from accounts where fund_id = ${fundId}) and fund_id <> ${fundId}) l
          left join accounts a on a.id = l.account_id
          left join transactions t on t.id = l.transaction_id
         where a.id is null or a.fund_id <> l.fund_id or t.id is null
         order by l.transaction_id, l.line_no`,
  );
  const findings = found.list.map((l): Finding => {
    const detail = { transactionId: l.transaction_id, lineNo: l.line_no, accountId: l.account_id, lineFundId: l.line_fund, accountFundId: l.account_fund };
    if (l.voucher === null) {
      return { problem: 'voucher_missing', message: `Line ${l.line_no} of transaction ${l.transaction_id} has no voucher: the transaction is not in the journal.`, detail };
    }
    if (l.account_fund === null) {
      return { problem: 'account_missing', message: `Line ${l.line_no} of transaction ${l.transaction_id} is on account ${l.account_id}, which does not exist.`, detail };
    }
    return {
      problem: 'account_of_another_fund',
      message: `Line ${l.line_no} of transaction ${l.transaction_id} is booked to fund ${l.line_fund} but on an account of fund ${l.account_fund}.`,
      detail,
    };
  });
  return check(
    'lines',
    "Every line of the fund, and every line on one of its accounts, is on a voucher in the journal and on an existing account of the same fund",
    findings,
    found.count,
    found.count ? `${plural(found.count, 'line')} point at nothing or at another fund.` : 'Every line is on a voucher and an account of the fund.',
  );
}

/**
 * The vouchers each business record of the fund stands on, and whether it must have one by now: a
 * disbursement or batch is reserved on approval, paid on payment, and released or returned when it
 * fails after approval; a claim is paid out once paid; a reversal stands on its original.
 */
const recordVouchers = (fundId: string) => sql`
  select 'dividend' as record, id, 'transactionId' as field, transaction_id, true as required from dividends where fund_id = ${fundId}
  union all
  select 'dividend', id, 'voidTransactionId', void_transaction_id, voided_at is not null from dividends where fund_id = ${fundId}
  union all
  select 'income receipt', id, 'transactionId', transaction_id, true from income_receipts where fund_id = ${fundId}
  union all
  select 'disbursement', id, 'approvalTransactionId', approval_transaction_id, status in ('approved', 'paid') from disbursements where fund_id = ${fundId}
  union all
  select 'disbursement', id, 'paymentTransactionId', payment_transaction_id, status = 'paid' from disbursements where fund_id = ${fundId}
  union all
  select 'disbursement', id, 'failureTransactionId', failure_transaction_id, status = 'failed' and approval_transaction_id is not null
    from disbursements where fund_id = ${fundId}
  union all
  select 'disbursement batch', id, 'approvalTransactionId', approval_transaction_id, status in ('approved', 'paid') from disbursement_batches where fund_id = ${fundId}
  union all
  select 'disbursement batch', id, 'paymentTransactionId', payment_transaction_id, status = 'paid' from disbursement_batches where fund_id = ${fundId}
  union all
  select 'insurance ' || replace(m.kind, '_', ' '), m.id, 'transactionId', m.transaction_id, true
    from insurance_movements m join insurance_policies p on p.id = m.policy_id where p.fund_id = ${fundId}
  union all
  select 'insurance claim', c.id, 'transactionId', c.transaction_id, c.status = 'paid'
    from insurance_claims c join insurance_policies p on p.id = c.policy_id where p.fund_id = ${fundId}
  union all
  select 'reversal', t.id, 'reversesTransactionId', t.reverses_transaction_id, true
    from transactions t
   where t.reverses_transaction_id is not null
     and t.id in (select transaction_id from transaction_lines where fund_id = ${fundId})`;

async function recordChecks(executor: Executor, fundId: string): Promise<VerificationCheck> {
  const vouchers = await counted<{ record: string; id: string; field: string; transaction_id: string | null; present: boolean }>(
    executor,
    sql`select r.record, r.id, r.field, r.transaction_id, t.id is not null as present, count(*) over () as n
          from (${recordVouchers(fundId)}) r
          left join transactions t on t.id = r.transaction_id
          left join (${withLinesIn(fundId)}) mine on mine.transaction_id = r.transaction_id
         where (r.transaction_id is null and r.required) or (r.transaction_id is not null and mine.transaction_id is null)
         order by r.record, r.id, r.field`,
  );
  const findings = vouchers.list.map((r): Finding => {
    const detail = { record: r.record, id: r.id, field: r.field, transactionId: r.transaction_id };
    if (r.transaction_id === null) {
      return { problem: 'voucher_not_recorded', message: `The ${r.record} ${r.id} has no ${r.field}, which its status requires.`, detail };
    }
    return r.present
      ? { problem: 'voucher_not_in_fund', message: `The ${r.record} ${r.id} points at transaction ${r.transaction_id} (${r.field}), which has no line in the fund.`, detail }
      : { problem: 'voucher_missing', message: `The ${r.record} ${r.id} points at transaction ${r.transaction_id} (${r.field}), which is not in the journal.`, detail };
  });

  const unsplit = await counted<{ id: string; amount: string; allocated: string }>(
    executor,
    sql`select d.id, d.amount::text, coalesce(sum(a.amount), 0)::text as allocated, count(*) over () as n
          from dividends d left join dividend_allocations a on a.dividend_id = d.id
         where d.fund_id = ${fundId}
         group by d.id, d.amount
        having coalesce(sum(a.amount), 0) <> d.amount
         order by d.id`,
  );
  for (const d of unsplit.list) {
    findings.push({
      problem: 'allocations_do_not_add_up',
      message: `The village allocations of dividend ${d.id} add up to ${d.allocated}, not to its ${d.amount}.`,
      detail: { record: 'dividend', id: d.id, amount: d.amount, allocated: d.allocated },
    });
  }

  // Each village's part is credited to that village's allocation account on the dividend's own voucher.
  const offVoucher = await counted<{ dividend_id: string; village_id: string; amount: string; transaction_id: string }>(
    executor,
    sql`select a.dividend_id, a.village_id, a.amount::text, d.transaction_id, count(*) over () as n
          from dividend_allocations a join dividends d on d.id = a.dividend_id
         where d.fund_id = ${fundId} and a.amount > 0
           and exists (select 1 from transactions t where t.id = d.transaction_id)
           and not exists (select 1 from transaction_lines l join accounts ac on ac.id = l.account_id
                            where l.transaction_id = d.transaction_id and l.fund_id = ${fundId} and ac.village_id = a.village_id
                              and l.direction = 'credit' and l.amount = a.amount)
         order by a.dividend_id, a.village_id`,
  );
  for (const a of offVoucher.list) {
    findings.push({
      problem: 'allocation_not_on_voucher',
      message: `Village ${a.village_id}'s ${a.amount} of dividend ${a.dividend_id} is not credited to its allocation on the dividend's voucher ${a.transaction_id}.`,
      detail: { record: 'dividend allocation', id: a.dividend_id, villageId: a.village_id, amount: a.amount, transactionId: a.transaction_id },
    });
  }

  const count = vouchers.count + unsplit.count + offVoucher.count;
  return check(
    'records',
    "Every business record of the fund stands on vouchers in the journal with lines in the fund: dividends, and their village allocations adding up to the dividend with each village's part credited on its voucher; " +
      'income receipts; disbursements and batches (reserved once approved, paid once paid, released or returned once failed after approval); ' +
      'insurance premiums and other pool movements; claims once paid; reversals, whose original must be there',
    findings,
    count,
    count ? `${plural(count, 'record')} without the vouchers they stand on.` : "Every record's vouchers are in the journal.",
  );
}
