import { keyNames } from '../auth/key-names.js';
import { and, asc, desc, eq, inArray, sql } from 'drizzle-orm';
import { fundInReach } from '../auth/reach.js';
import type { Reach } from '../auth/roles.js';
import { type Db, type Executor, type Tx } from '../db/client.js';
import {
  distributionRules,
  distributionRuleVillages,

  dividends,
  funds,
  industries,

  villages,
} from '../db/schema.js';
import { DomainError, notFound } from '../errors.js';
import { recordEvent } from '../events/outbox.js';
import { roleAccount } from '../funds/chart-accounts.js';
import { byCode, checkRule, type CheckedRule, type RuleInput } from './allocation.js';
import { lockIndustry } from './dividends.js';

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
  };
}

export type IndustryService = ReturnType<typeof createIndustryService>;
