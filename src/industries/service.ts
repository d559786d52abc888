import { keyNames } from '../auth/key-names.js';
import { and, asc, desc, eq, gt, gte, inArray, lte, sql, type SQL } from 'drizzle-orm';
import { fundInReach } from '../auth/reach.js';
import type { Reach } from '../auth/roles.js';
import { type Db, type Executor, rows, type Tx } from '../db/client.js';
import {
  distributionRules,
  distributionRuleVillages,
  dividendAllocations,
  dividends,
  funds,
  industries,
  transactions,
  villages,
} from '../db/schema.js';
import { DomainError, notFound } from '../errors.js';
import { recordEvent } from '../events/outbox.js';
import { openChartAccount, roleAccount } from '../funds/chart-accounts.js';
import { villageAllocationAccount } from '../funds/chart.js';
import { assertNotFuture } from '../ledger/dates.js';
import { formatMoney, Money, parseAmount } from '../ledger/money.js';
import { postTransaction } from '../ledger/posting.js';
import { checkRule, type CheckedRule, type RuleInput, splitDividend } from './allocation.js';

/** Version 1 takes effect from here when no date is given: early enough to cover any dividend. */
export const DEFAULT_EFFECTIVE_FROM = '1900-01-01';

/** The accounts a dividend posts to; a fund without them was not opened with the prevention chart. */
const DIVIDEND_ROLES = ['bank', 'dividend_income', 'village_distribution'] as const;

export interface IndustryInput extends Omit<RuleInput, 'projectVillageId'> {
  fundId: string;
  name: string;
  projectVillageId: string;
  effectiveFrom?: string;
}

export interface RuleVersionInput extends Omit<RuleInput, 'projectVillageId'> {
  effectiveFrom: string;
}

export interface DividendInput {
  date: string;
  amount: string;
  reference?: string;
}

type IndustryRow = typeof industries.$inferSelect;
type RuleRow = typeof distributionRules.$inferSelect;

const byCode = <T extends { code: string }>(a: T, b: T) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0);

export interface IndustryOptions {
  today(): string;
}

export function createIndustryService(db: Db, options: IndustryOptions) {
  async function rulesOf(executor: Executor, industryIds: string[]) {
    const byIndustry = new Map<string, ReturnType<typeof toRule>[]>();
    if (!industryIds.length) return byIndustry;
    const rules = await executor
      .select()
      .from(distributionRules)
      .where(inArray(distributionRules.industryId, industryIds))
      .orderBy(asc(distributionRules.version));
    const members = rules.length
      ? await executor
          .select({ ruleId: distributionRuleVillages.ruleId, villageId: distributionRuleVillages.villageId, weight: distributionRuleVillages.weight, code: villages.code })
          .from(distributionRuleVillages)
          .innerJoin(villages, eq(villages.id, distributionRuleVillages.villageId))
          .where(
            inArray(
              distributionRuleVillages.ruleId,
              rules.map((r) => r.id),
            ),
          )
      : [];
    function toRule(r: RuleRow) {
      return {
        id: r.id,
        industryId: r.industryId,
        version: r.version,
        effectiveFrom: r.effectiveFrom,
        projectVillageShare: r.projectVillageShare,
        radiatingShare: r.radiatingShare,
        radiatingVillages: members
          .filter((m) => m.ruleId === r.id)
          .sort(byCode)
          .map((m) => ({ villageId: m.villageId, weight: m.weight })),
        createdBy: r.createdBy,
        createdAt: r.createdAt.toISOString(),
      };
    }
    for (const r of rules) byIndustry.set(r.industryId, [...(byIndustry.get(r.industryId) ?? []), toRule(r)]);
    return byIndustry;
  }

  async function views(executor: Executor, rows: IndustryRow[]) {
    const rules = await rulesOf(
      executor,
      rows.map((r) => r.id),
    );
    const names = await keyNames(executor, [...rows.map((r) => r.createdBy), ...[...rules.values()].flat().map((r) => r.createdBy)]);
    const name = (id: string) => names.get(id) ?? null;
    return rows.map((r) => ({
      id: r.id,
      fundId: r.fundId,
      name: r.name,
      projectVillageId: r.projectVillageId,
      rules: (rules.get(r.id) ?? []).map((rule) => ({ ...rule, createdByName: name(rule.createdBy) })),
      createdBy: r.createdBy,
      createdByName: name(r.createdBy),
      createdAt: r.createdAt.toISOString(),
    }));
  }

  /** Every village a rule names must exist. */
  async function assertVillagesExist(tx: Tx, ids: string[]) {
    const found = await tx.select({ id: villages.id }).from(villages).where(inArray(villages.id, ids));
    const missing = ids.filter((id) => !found.some((v) => v.id === id));
    if (missing.length) throw new DomainError('unknown_village', `No village with id ${missing.join(', ')}.`, { villageIds: missing });
  }

  async function insertRule(tx: Tx, industryId: string, version: number, effectiveFrom: string, rule: CheckedRule, actor: string) {
    const [created] = await tx
      .insert(distributionRules)
      .values({
        industryId,
        version,
        effectiveFrom,
        projectVillageShare: rule.projectVillageShare,
        radiatingShare: rule.radiatingShare,
        createdBy: actor,
      })
      .returning();
    if (rule.radiatingVillages.length) {
      await tx.insert(distributionRuleVillages).values(rule.radiatingVillages.map((v) => ({ ruleId: created!.id, ...v })));
    }
    return created!;
  }

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

  async function lockIndustry(tx: Tx, id: string) {
    const [row] = await tx.select().from(industries).where(eq(industries.id, id)).for('update');
    if (!row) throw notFound('Industry', id);
    return row;
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
    const names = await keyNames(executor, found.map((f) => f.d.createdBy));
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
      };
    });
  }

  return {
    async createIndustry(tx: Tx, input: IndustryInput, actor: string) {
      const rule = checkRule(input);
      const [fund] = await tx.select({ id: funds.id }).from(funds).where(eq(funds.id, input.fundId));
      if (!fund) throw notFound('Fund', input.fundId);
      for (const role of DIVIDEND_ROLES) await roleAccount(tx, input.fundId, role);
      await assertVillagesExist(tx, [input.projectVillageId, ...rule.radiatingVillages.map((v) => v.villageId)]);

      const [created] = await tx
        .insert(industries)
        .values({ fundId: input.fundId, name: input.name, projectVillageId: input.projectVillageId, createdBy: actor })
        .returning();
      const first = await insertRule(tx, created!.id, 1, input.effectiveFrom ?? DEFAULT_EFFECTIVE_FROM, rule, actor);
      await recordEvent(tx, {
        type: 'industry.created',
        fundId: input.fundId,
        subjectId: created!.id,
        payload: { industryId: created!.id, name: input.name, projectVillageId: input.projectVillageId, ruleId: first.id, actor },
      });
      return (await views(tx, [created!]))[0]!;
    },

    async getIndustry(id: string) {
      const [found] = await db.select().from(industries).where(eq(industries.id, id));
      if (!found) throw notFound('Industry', id);
      return (await views(db, [found]))[0]!;
    },

    /** By name, then id; `after` is the last [name, id] read. */
    async listIndustries(filter: { fundId?: string; after?: [string, string]; limit: number; reach: Reach | null }) {
      const found = await db
        .select()
        .from(industries)
        .where(
          and(
            filter.fundId ? eq(industries.fundId, filter.fundId) : undefined,
            fundInReach(filter.reach, industries.fundId),
            filter.after ? sql`(${industries.name} collate "C", ${industries.id}) > (${filter.after[0]} collate "C", ${filter.after[1]}::uuid)` : undefined,
          ),
        )
        .orderBy(sql`${industries.name} collate "C"`, asc(industries.id))
        .limit(filter.limit);
      return views(db, found);
    },

    /**
     * Adds the next rule version. It must take effect after every earlier version and after the last
     * recorded dividend: a split already made keeps meaning what it meant, and its rule stays the one
     * in force on its date.
     */
    async addRule(tx: Tx, industryId: string, input: RuleVersionInput, actor: string) {
      const industry = await lockIndustry(tx, industryId);
      const rule = checkRule({ ...input, projectVillageId: industry.projectVillageId });
      await assertVillagesExist(
        tx,
        rule.radiatingVillages.map((v) => v.villageId),
      );
      // Versions take effect in the order they are added, so the latest one starts last.
      const [latest] = await tx
        .select()
        .from(distributionRules)
        .where(eq(distributionRules.industryId, industryId))
        .orderBy(desc(distributionRules.version))
        .limit(1);
      if (latest && input.effectiveFrom <= latest.effectiveFrom) {
        throw new DomainError(
          'invalid_rule',
          `effectiveFrom ${input.effectiveFrom} must be after ${latest.effectiveFrom}, when version ${latest.version} takes effect.`,
          { effectiveFrom: input.effectiveFrom, latestEffectiveFrom: latest.effectiveFrom, latestVersion: latest.version },
        );
      }
      const [lastDividend] = await tx
        .select({ date: sql<string | null>`max(${dividends.date})` })
        .from(dividends)
        .where(eq(dividends.industryId, industryId));
      if (lastDividend?.date && input.effectiveFrom <= lastDividend.date) {
        throw new DomainError(
          'invalid_rule',
          `effectiveFrom ${input.effectiveFrom} must be after ${lastDividend.date}, the date of the last dividend already split; a new version cannot change past splits.`,
          { effectiveFrom: input.effectiveFrom, lastDividendDate: lastDividend.date },
        );
      }
      const created = await insertRule(tx, industryId, (latest?.version ?? 0) + 1, input.effectiveFrom, rule, actor);
      await recordEvent(tx, {
        type: 'industry.rule_added',
        fundId: industry.fundId,
        subjectId: industryId,
        payload: { industryId, ruleId: created.id, version: created.version, effectiveFrom: created.effectiveFrom, actor },
      });
      return (await rulesOf(tx, [industryId])).get(industryId)!.find((r) => r.id === created.id)!;
    },

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
     * income), remaining is its allocation account's balance, spent the difference.
     */
    async villageAllocations(villageId: string, asOf: string | undefined, reach: Reach | null) {
      const [found] = await db.select({ id: villages.id }).from(villages).where(eq(villages.id, villageId));
      if (!found) throw notFound('Village', villageId);
      const upTo = (column: SQL) => (asOf ? sql`and ${column} <= ${asOf}` : sql``);
      const held = await rows<{ account_id: string; fund_id: string; fund_code: string; allocated: string; remaining: string }>(
        db,
        sql`select a.id as account_id, a.fund_id, f.code as fund_code,
                   coalesce((select sum(da.amount) from dividend_allocations da join dividends d on d.id = da.dividend_id
                              where da.village_id = a.village_id and d.fund_id = a.fund_id ${upTo(sql`d.date`)}), 0) as allocated,
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

export type IndustryService = ReturnType<typeof createIndustryService>;
