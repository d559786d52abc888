import { keyNames } from '../auth/key-names.js';
import { and, asc, desc, eq, gt, gte, inArray, lte, sql, type SQL } from 'drizzle-orm';
import { fundInReach } from '../auth/reach.js';
import type { Reach } from '../auth/roles.js';
import { type Db, type Executor, rows, type Tx } from '../db/client.js';
import { distributionRules, distributionRuleVillages, dividendAllocations, dividends, industries, transactions, villages } from '../db/schema.js';
import { DomainError, notFound } from '../errors.js';
import { recordEvent } from '../events/outbox.js';
import { openChartAccount, roleAccount } from '../funds/chart-accounts.js';
import { villageAllocationAccount } from '../funds/chart.js';
import { assertNotFuture } from '../ledger/dates.js';
import { formatMoney, Money, parseAmount } from '../ledger/money.js';
import { postTransaction } from '../ledger/posting.js';
import { reverseTransaction } from '../ledger/reversal.js';
import { byCode, splitDividend } from './allocation.js';
import type { DividendInput, IndustryOptions } from './service.js';

/** Version 1 takes effect from here when no date is given: early enough to cover any dividend. */

/** Locks the industry: its dividends and rule versions are recorded one at a time. */
export async function lockIndustry(tx: Tx, id: string) {
  const [row] = await tx.select().from(industries).where(eq(industries.id, id)).for('update');
  if (!row) throw notFound('Industry', id);
  return row;
}

/** The ledger's refusal of a void (an account it would take below zero) in the words of the dividend: whose money was spent. */
async function inVoidWords(tx: Tx, error: unknown, dividend: { id: string; amount: string }) {
  if (!(error instanceof DomainError) || error.code !== 'insufficient_funds') return error;
  const short = (error.details?.accounts ?? []) as { accountId: string; balance: string; shortfall: string }[];
  const named = await rows<{ id: string; role: string | null; village: string | null }>(
    tx,
    sql`select a.id, a.role, v.name as village from accounts a left join villages v on v.id = a.village_id
         where a.id in (select jsonb_array_elements_text(${JSON.stringify(short.map((a) => a.accountId))}::jsonb)::uuid)`,
  );
  const words = short.map((a) => {
    const account = named.find((n) => n.id === a.accountId);
    const whose = account?.village ? `村 ${account.village} 的分配资金 (village ${account.village}'s allocation)` : "基金可用银行存款 (the fund's available bank balance)";
    return `${whose} holds ${a.balance}, ${a.shortfall} less than this dividend gave it`;
  });
  return new DomainError(
    'insufficient_funds',
    `Dividend ${dividend.id} (${dividend.amount}) cannot be voided: money allocated from it has been spent — ${words.join('; ')}. ` +
      'Record the correction as a new dividend or income instead, or fail the payments first.',
    { ...error.details, dividendId: dividend.id },
  );
}

/** Dividends (资产收益分红) of assisted industries: previewed, recorded with their village split, listed, voided. */
export function createDividendService(db: Db, options: IndustryOptions) {
  /** Locks the industry's row: rule versions and dividends of one industry are added one at a time. */
  /** The rule in force on `date` and the split of `total` by it, each village's part exact to the fen. */
  async function splitOn(executor: Executor, industry: { id: string; projectVillageId: string }, date: string, total: Money) {
    const [rule] = await executor
      .select()
      .from(distributionRules)
      .where(and(eq(distributionRules.industryId, industry.id), lte(distributionRules.effectiveFrom, date)))
      .orderBy(desc(distributionRules.effectiveFrom))
      .limit(1);
    if (!rule) {
      const [first] = await executor
        .select({ effectiveFrom: distributionRules.effectiveFrom })
        .from(distributionRules)
        .where(eq(distributionRules.industryId, industry.id))
        .orderBy(asc(distributionRules.effectiveFrom))
        .limit(1);
      throw new DomainError(
        'validation_failed',
        `date: no distribution rule is in force on ${date}; the first takes effect on ${first?.effectiveFrom}.`,
        { field: 'date', firstEffectiveFrom: first?.effectiveFrom },
      );
    }
    const members = await executor
      .select({ villageId: distributionRuleVillages.villageId, weight: distributionRuleVillages.weight, code: villages.code, name: villages.name })
      .from(distributionRuleVillages)
      .innerJoin(villages, eq(villages.id, distributionRuleVillages.villageId))
      .where(eq(distributionRuleVillages.ruleId, rule.id));
    const [project] = await executor
      .select({ villageId: villages.id, code: villages.code, name: villages.name })
      .from(villages)
      .where(eq(villages.id, industry.projectVillageId));
    const village = new Map([project!, ...members].map((v) => [v.villageId, v]));

    const parts = splitDividend(total, {
      projectVillage: project!,
      projectVillageShare: rule.projectVillageShare,
      radiatingShare: rule.radiatingShare,
      radiatingVillages: members.sort(byCode),
    });
    return { rule, village, parts };
  }

  async function dividendViews(executor: Executor, where: ReturnType<typeof and>, limit: number) {
    const found = await executor
      .select({ d: dividends, version: distributionRules.version, seq: transactions.seq, projectVillageId: industries.projectVillageId })
      .from(dividends)
      .innerJoin(distributionRules, eq(distributionRules.id, dividends.ruleId))
      .innerJoin(industries, eq(industries.id, dividends.industryId))
      .innerJoin(transactions, eq(transactions.id, dividends.transactionId))
      .where(where)
      .orderBy(asc(transactions.seq))
      .limit(limit);
    const parts = found.length
      ? await executor
          .select({ dividendId: dividendAllocations.dividendId, villageId: dividendAllocations.villageId, amount: dividendAllocations.amount, code: villages.code })
          .from(dividendAllocations)
          .innerJoin(villages, eq(villages.id, dividendAllocations.villageId))
          .where(
            inArray(
              dividendAllocations.dividendId,
              found.map((f) => f.d.id),
            ),
          )
      : [];
    const partsOf = new Map<string, typeof parts>();
    for (const p of parts) {
      const list = partsOf.get(p.dividendId) ?? [];
      list.push(p);
      partsOf.set(p.dividendId, list);
    }
    const names = await keyNames(executor, found.flatMap((f) => [f.d.createdBy, f.d.voidedBy]));
    return found.map(({ d, version, seq, projectVillageId }) => {
      const mine = partsOf.get(d.id) ?? [];
      const project = mine.filter((p) => p.villageId === projectVillageId);
      const radiating = mine.filter((p) => p.villageId !== projectVillageId).sort(byCode);
      return {
        seq,
        dividendId: d.id,
        industryId: d.industryId,
        fundId: d.fundId,
        date: d.date,
        amount: d.amount,
        reference: d.reference,
        transactionId: d.transactionId,
        ruleId: d.ruleId,
        ruleVersion: version,
        allocations: [
          ...project.map((p) => ({ villageId: p.villageId, role: 'project' as const, amount: p.amount })),
          ...radiating.map((p) => ({ villageId: p.villageId, role: 'radiating' as const, amount: p.amount })),
        ],
        createdBy: d.createdBy,
        createdByName: names.get(d.createdBy) ?? null,
        createdAt: d.createdAt.toISOString(),
        status: d.voidTransactionId ? ('voided' as const) : ('recorded' as const),
        voidTransactionId: d.voidTransactionId,
        voidedBy: d.voidedBy,
        voidedByName: d.voidedBy ? (names.get(d.voidedBy) ?? null) : null,
        voidedAt: d.voidedAt?.toISOString() ?? null,
        voidReason: d.voidReason,
      };
    });
  }

  return {
    /**
     * Books a dividend and its split in one transaction: Dr bank, Cr dividend income for the amount;
     * Dr income allocated to villages, Cr each village's allocation for its part. The split follows
     * the rule version in force on the dividend's date, which the dividend keeps on record.
     */
    /** The split a dividend of `amount` on `date` would get, written nowhere: what recordDividend would post. */
    async previewDividend(industryId: string, input: { date: string; amount: string }) {
      const total = parseAmount(input.amount);
      assertNotFuture(input.date, options.today());
      const [industry] = await db.select().from(industries).where(eq(industries.id, industryId));
      if (!industry) throw notFound('Industry', industryId);
      const { rule, village, parts } = await splitOn(db, industry, input.date, total);
      return {
        industryId,
        fundId: industry.fundId,
        date: input.date,
        amount: formatMoney(total),
        ruleId: rule.id,
        ruleVersion: rule.version,
        allocations: parts.map((p) => ({
          villageId: p.villageId,
          villageCode: village.get(p.villageId)!.code,
          villageName: village.get(p.villageId)!.name,
          role: p.role,
          amount: formatMoney(p.amount),
        })),
      };
    },

    async recordDividend(tx: Tx, industryId: string, input: DividendInput, actor: string) {
      const total = parseAmount(input.amount);
      const today = options.today();
      assertNotFuture(input.date, today);
      const industry = await lockIndustry(tx, industryId);
      const { rule, village, parts } = await splitOn(tx, industry, input.date, total);
      const bank = await roleAccount(tx, industry.fundId, 'bank');
      const income = await roleAccount(tx, industry.fundId, 'dividend_income');
      const distribution = await roleAccount(tx, industry.fundId, 'village_distribution');
      // A part of 0.00 gets no line (a line moves money); its village's account is not opened for it.
      const paid = parts.filter((p) => !p.amount.isZero());
      // Opened in one fixed order: two dividends opening the same new accounts then wait, not deadlock.
      const allocationAccount = new Map<string, string>();
      for (const villageId of paid.map((p) => p.villageId).sort()) {
        const v = village.get(villageId)!;
        allocationAccount.set(villageId, await openChartAccount(tx, industry.fundId, villageAllocationAccount(v), { villageId }));
      }
      const villageLines = paid.map((p) => {
        const v = village.get(p.villageId)!;
        return { accountId: allocationAccount.get(p.villageId)!, direction: 'credit' as const, amount: formatMoney(p.amount), memo: `${v.name}（${v.code}）收益分配` };
      });
      const amount = formatMoney(total);
      const posted = await postTransaction(
        tx,
        {
          date: input.date,
          description: `资产收益分红—${industry.name}（分配规则第${rule.version}版）`.slice(0, 500),
          reference: input.reference ?? null,
          lines: [
            { accountId: bank, direction: 'debit', amount },
            { accountId: income, direction: 'credit', amount },
            { accountId: distribution, direction: 'debit', amount },
            ...villageLines,
          ],
        },
        { actor, today },
      );
      const [created] = await tx
        .insert(dividends)
        .values({
          industryId,
          fundId: industry.fundId,
          ruleId: rule.id,
          date: input.date,
          amount,
          reference: input.reference ?? null,
          transactionId: posted.id,
          createdBy: actor,
        })
        .returning();
      await tx.insert(dividendAllocations).values(parts.map((p) => ({ dividendId: created!.id, villageId: p.villageId, amount: formatMoney(p.amount) })));
      const allocations = parts.map((p) => ({ villageId: p.villageId, role: p.role, amount: formatMoney(p.amount) }));
      await recordEvent(tx, {
        type: 'dividend.recorded',
        fundId: industry.fundId,
        subjectId: created!.id,
        payload: {
          dividendId: created!.id,
          industryId,
          transactionId: posted.id,
          ruleId: rule.id,
          ruleVersion: rule.version,
          date: input.date,
          amount,
          allocations,
          actor,
        },
      });
      const [view] = await dividendViews(tx, eq(dividends.id, created!.id), 1);
      const { seq: _seq, ...dividend } = view!;
      return dividend;
    },

    /** In posting order; `after` is the voucher number of the last dividend read. */
    async listDividends(industryId: string, page: { from?: string; to?: string; after?: number; limit: number }) {
      const [found] = await db.select({ id: industries.id }).from(industries).where(eq(industries.id, industryId));
      if (!found) throw notFound('Industry', industryId);
      return dividendViews(
        db,
        and(
          eq(dividends.industryId, industryId),
          page.from ? gte(dividends.date, page.from) : undefined,
          page.to ? lte(dividends.date, page.to) : undefined,
          page.after !== undefined ? gt(transactions.seq, page.after) : undefined,
        ),
        page.limit,
      );
    },

    /**
     * A village's earmarked income in each fund, at the end of a day or now: allocated is what dividend
     * splits gave it (the dividend records, so releases and bank returns flowing back do not count as new
     * income; a dividend voided by that day gave nothing), remaining is its allocation account's balance,
     * spent the difference.
     */
    /**
     * Voids a dividend recorded with a wrong amount or date (作废分红): a linked reversal of its voucher —
     * the bank, the income and every village's allocation with it, in one voucher — and the record says
     * voided, by whom and why. Refused once money allocated from it has been spent past what remains (the
     * ledger will not take a village's allocation, or the bank, below zero): nothing is written then.
     */
    async voidDividend(tx: Tx, industryId: string, dividendId: string, input: { reason: string }, actor: string) {
      const [found] = await tx.select().from(dividends).where(eq(dividends.id, dividendId)).for('update');
      if (!found || found.industryId !== industryId) throw notFound('Dividend', dividendId);
      if (found.voidTransactionId) {
        throw new DomainError('invalid_state', `Dividend ${dividendId} was already voided (${found.voidReason}); its reversal is voucher ${found.voidTransactionId}.`, {
          voidTransactionId: found.voidTransactionId,
        });
      }
      let reversal;
      try {
        reversal = await reverseTransaction(tx, found.transactionId, { reason: `作废分红 Void of dividend: ${input.reason}`.slice(0, 500) }, { actor, today: options.today() });
      } catch (error) {
        throw await inVoidWords(tx, error, found);
      }
      await tx
        .update(dividends)
        .set({ voidTransactionId: reversal.id, voidedBy: actor, voidedAt: new Date(), voidReason: input.reason })
        .where(eq(dividends.id, dividendId));
      await recordEvent(tx, {
        type: 'dividend.voided',
        fundId: found.fundId,
        subjectId: dividendId,
        payload: { dividendId, industryId, transactionId: reversal.id, voidedTransactionId: found.transactionId, amount: found.amount, reason: input.reason, actor },
      });
      const [view] = await dividendViews(tx, eq(dividends.id, dividendId), 1);
      const { seq: _seq, ...dividend } = view!;
      return dividend;
    },

    async villageAllocations(villageId: string, asOf: string | undefined, reach: Reach | null) {
      const [found] = await db.select({ id: villages.id }).from(villages).where(eq(villages.id, villageId));
      if (!found) throw notFound('Village', villageId);
      const upTo = (column: SQL) => (asOf ? sql`and ${column} <= ${asOf}` : sql``);
      const held = await rows<{ account_id: string; fund_id: string; fund_code: string; allocated: string; remaining: string }>(
        db,
        sql`select a.id as account_id, a.fund_id, f.code as fund_code,
                   coalesce((select sum(da.amount) from dividend_allocations da join dividends d on d.id = da.dividend_id
                              left join transactions v on v.id = d.void_transaction_id
                              where da.village_id = a.village_id and d.fund_id = a.fund_id ${upTo(sql`d.date`)}
                                and (v.id is null ${asOf ? sql`or v.date > ${asOf}` : sql``})), 0) as allocated,
                   coalesce((select sum(t.credit_total) - sum(t.debit_total) from account_daily_totals t
                              where t.account_id = a.id ${upTo(sql`t.date`)}), 0) as remaining
              from accounts a join funds f on f.id = a.fund_id
             where a.role = 'village_allocation' and a.village_id = ${villageId} ${reach ? sql`and ${fundInReach(reach, sql`a.fund_id`)}` : sql``}
             order by f.code collate "C"`,
      );
      const figures = held.map((h) => ({
        fundId: h.fund_id,
        fundCode: h.fund_code,
        accountId: h.account_id,
        allocated: formatMoney(new Money(h.allocated)),
        spent: formatMoney(new Money(h.allocated).minus(h.remaining)),
        remaining: formatMoney(new Money(h.remaining)),
      }));
      return { villageId, asOf: asOf ?? options.today(), funds: figures };
    },
  };
}

export type DividendService = ReturnType<typeof createDividendService>;
