import { and, asc, eq, gt, ilike, inArray, or, sql, type SQL } from 'drizzle-orm';
import type { Db, Executor, Tx } from '../db/client.js';
import { householdMonitoring, households, villages } from '../db/schema.js';
import { DomainError, notFound } from '../errors.js';
import { recordEvent } from '../events/outbox.js';
import { assertNotFuture } from '../ledger/dates.js';
import { householdBenefits } from './benefits.js';
import { townshipInReach, villageInReach } from '../auth/reach.js';
import type { Reach } from '../auth/roles.js';
import { hashIdNumber, idNumberProblem, maskIdNumber } from './id-numbers.js';

export const monitoringCategories = ['unstable', 'marginal', 'sudden_hardship'] as const;
export type MonitoringCategory = (typeof monitoringCategories)[number];

export interface VillageInput {
  code: string;
  name: string;
  township: string;
  county: string;
}

export interface HouseholdInput {
  code: string;
  headName: string;
  idNumber: string;
  villageId: string;
  memberCount: number;
}

export interface InclusionInput {
  category: MonitoringCategory;
  riskCauses: string[];
  since: string;
}

type VillageRow = typeof villages.$inferSelect;
type HouseholdRow = typeof households.$inferSelect;
type MonitoringRow = typeof householdMonitoring.$inferSelect;

const toVillage = (v: VillageRow) => ({ ...v, createdAt: v.createdAt.toISOString() });

const toPeriod = (m: MonitoringRow) => ({
  id: m.id,
  category: m.category,
  riskCauses: m.riskCauses,
  since: m.since,
  eliminatedOn: m.eliminatedOn,
  eliminationReason: m.eliminationReason,
});

/** Monitored on day D: a period began on or before D and was not eliminated on or before D. */
export const coversDay = (period: { since: string; eliminatedOn: string | null }, day: string) =>
  period.since <= day && (period.eliminatedOn === null || period.eliminatedOn > day);

const periodCovers = (day: string): SQL =>
  sql`${householdMonitoring.since} <= ${day} and (${householdMonitoring.eliminatedOn} is null or ${householdMonitoring.eliminatedOn} > ${day})`;

export interface HouseholdOptions {
  idHashKey: string;
  riskCauses: string[];
  today(): string;
}

export function createHouseholdService(db: Db, options: HouseholdOptions) {
  /** Households as shown, with their monitoring history: one query for all their periods. */
  async function views(executor: Executor, found: HouseholdRow[]) {
    if (!found.length) return [];
    const periods = await executor
      .select()
      .from(householdMonitoring)
      .where(inArray(householdMonitoring.householdId, found.map((h) => h.id)))
      .orderBy(asc(householdMonitoring.since));
    const today = options.today();
    return found.map((row) => {
      const own = periods.filter((p) => p.householdId === row.id);
      return {
        id: row.id,
        code: row.code,
        headName: row.headName,
        idNumberMasked: row.idNumberMasked,
        villageId: row.villageId,
        memberCount: row.memberCount,
        monitoredToday: own.some((p) => coversDay(p, today)),
        monitoring: own.map(toPeriod),
        createdAt: row.createdAt.toISOString(),
        updatedAt: row.updatedAt.toISOString(),
      };
    });
  }
  const view = async (executor: Executor, row: HouseholdRow) => (await views(executor, [row]))[0]!;

  /** The stored form of a household: validates the ID number and replaces it by its hash and mask. */
  function prepareHousehold(input: HouseholdInput) {
    const problem = idNumberProblem(input.idNumber);
    if (problem) throw new DomainError('validation_failed', `idNumber: ${problem}.`, { field: 'idNumber' });
    return {
      code: input.code,
      headName: input.headName,
      idNumberHash: hashIdNumber(options.idHashKey, input.idNumber),
      idNumberMasked: maskIdNumber(input.idNumber),
      villageId: input.villageId,
      memberCount: input.memberCount,
    };
  }

  /** Locks the household's row for the rest of the transaction, so its monitoring and payments change one at a time. */
  async function lockHousehold(tx: Tx, id: string): Promise<HouseholdRow> {
    const [row] = await tx.select().from(households).where(eq(households.id, id)).for('update');
    if (!row) throw notFound('Household', id);
    return row;
  }

  function assertRiskCauses(causes: string[]) {
    const unknown = causes.filter((c) => !options.riskCauses.includes(c));
    if (unknown.length) {
      throw new DomainError('validation_failed', `riskCauses: unknown ${unknown.join(', ')}; known are ${options.riskCauses.join(', ')}.`);
    }
  }

  return {
    riskCauses: options.riskCauses,

    prepareHousehold,
    assertRiskCauses,
    lockHousehold,

    async createVillage(tx: Tx, input: VillageInput) {
      const [created] = await tx.insert(villages).values(input).onConflictDoNothing({ target: villages.code }).returning();
      if (!created) throw new DomainError('already_exists', `A village with code ${input.code} already exists.`, { field: 'code' });
      return toVillage(created);
    },

    async updateVillage(tx: Tx, id: string, patch: Partial<Omit<VillageInput, 'code'>>) {
      const [updated] = await tx.update(villages).set(patch).where(eq(villages.id, id)).returning();
      if (!updated) throw notFound('Village', id);
      return toVillage(updated);
    },

    async getVillage(id: string) {
      const [found] = await db.select().from(villages).where(eq(villages.id, id));
      if (!found) throw notFound('Village', id);
      return toVillage(found);
    },

    async listVillages(filter: { township?: string; county?: string; afterCode?: string; limit: number; reach: Reach | null }) {
      const found = await db
        .select()
        .from(villages)
        .where(
          and(
            filter.township ? eq(villages.township, filter.township) : undefined,
            filter.county ? eq(villages.county, filter.county) : undefined,
            filter.afterCode !== undefined ? gt(villages.code, filter.afterCode) : undefined,
            townshipInReach(filter.reach, villages.township),
          ),
        )
        .orderBy(asc(villages.code))
        .limit(filter.limit);
      return found.map(toVillage);
    },

    async createHousehold(tx: Tx, input: HouseholdInput, actor: string, reach: Reach | null = null) {
      const row = prepareHousehold(input);
      const [village] = await tx.select({ id: villages.id }).from(villages).where(eq(villages.id, input.villageId));
      if (!village) throw new DomainError('unknown_village', `No village with id ${input.villageId}.`, { field: 'villageId' });
      const [sameId] = await tx
        .select({ code: households.code, reached: reach ? villageInReach(reach, households.villageId)! : sql<boolean>`true` })
        .from(households)
        .where(eq(households.idNumberHash, row.idNumberHash));
      if (sameId) {
        // A holder beyond the caller's reach stays nameless.
        const holder = sameId.reached ? `Household ${sameId.code}` : 'Another household';
        throw new DomainError('already_exists', `${holder} already has this ID number.`, { field: 'idNumber' });
      }
      const [created] = await tx.insert(households).values(row).onConflictDoNothing({ target: households.code }).returning();
      if (!created) throw new DomainError('already_exists', `A household with code ${input.code} already exists.`, { field: 'code' });
      await recordEvent(tx, { type: 'household.created', subjectId: created.id, payload: { householdId: created.id, code: created.code, actor } });
      return view(tx, created);
    },

    /** Benefits from the funds the caller reaches only. */
    async benefits(householdId: string, period: { from?: string; to?: string }, reach: Reach | null) {
      const [found] = await db.select({ id: households.id }).from(households).where(eq(households.id, householdId));
      if (!found) throw notFound('Household', householdId);
      return {
        householdId,
        from: period.from ?? null,
        to: period.to ?? null,
        coverage: reach ? ('funds_in_reach' as const) : ('all_funds' as const),
        ...(await householdBenefits(db, householdId, period, reach)),
      };
    },

    async getHousehold(id: string) {
      const [found] = await db.select().from(households).where(eq(households.id, id));
      if (!found) throw notFound('Household', id);
      return view(db, found);
    },

    async listHouseholds(filter: {
      villageId?: string;
      category?: MonitoringCategory;
      monitoredOn?: string;
      /** Code contains `text`, or (byName) the head's name does; matched literally, any case. */
      search?: { text: string; byName: boolean };
      afterCode?: string;
      limit: number;
      reach: Reach | null;
    }) {
      const pattern = filter.search && `%${filter.search.text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      const searched = filter.search
        ? filter.search.byName
          ? or(ilike(households.code, pattern!), ilike(households.headName, pattern!))
          : ilike(households.code, pattern!)
        : undefined;
      const monitored =
        filter.monitoredOn || filter.category
          ? sql`exists (select 1 from ${householdMonitoring} where ${householdMonitoring.householdId} = ${households.id}
              ${filter.monitoredOn ? sql`and ${periodCovers(filter.monitoredOn)}` : sql``}
              ${filter.category ? sql`and ${householdMonitoring.category} = ${filter.category}` : sql``})`
          : undefined;
      const found = await db
        .select()
        .from(households)
        .where(
          and(
            filter.villageId ? eq(households.villageId, filter.villageId) : undefined,
            filter.afterCode !== undefined ? gt(households.code, filter.afterCode) : undefined,
            monitored,
            searched,
            villageInReach(filter.reach, households.villageId),
          ),
        )
        .orderBy(asc(households.code))
        .limit(filter.limit);
      return views(db, found);
    },

    async include(tx: Tx, householdId: string, input: InclusionInput, actor: string) {
      assertRiskCauses(input.riskCauses);
      assertNotFuture(input.since, options.today());
      await lockHousehold(tx, householdId);
      const periods = await tx.select().from(householdMonitoring).where(eq(householdMonitoring.householdId, householdId));
      const open = periods.find((p) => p.eliminatedOn === null);
      if (open) {
        throw new DomainError('already_monitored', `Household ${householdId} is monitored since ${open.since}; eliminate that first.`, {
          since: open.since,
        });
      }
      const lastEnd = periods.map((p) => p.eliminatedOn!).sort().at(-1);
      if (lastEnd && input.since < lastEnd) {
        throw new DomainError('validation_failed', `since: a new inclusion starts on or after the last elimination (${lastEnd}).`);
      }
      const [period] = await tx
        .insert(householdMonitoring)
        .values({ householdId, category: input.category, riskCauses: input.riskCauses, since: input.since, createdBy: actor })
        .returning();
      await tx.update(households).set({ updatedAt: new Date() }).where(eq(households.id, householdId));
      await recordEvent(tx, {
        type: 'household.included',
        subjectId: householdId,
        payload: { householdId, category: input.category, riskCauses: input.riskCauses, since: input.since },
      });
      return toPeriod(period!);
    },

    async eliminate(tx: Tx, householdId: string, input: { date: string; reason: string }, actor: string) {
      assertNotFuture(input.date, options.today());
      await lockHousehold(tx, householdId);
      const [open] = await tx
        .select()
        .from(householdMonitoring)
        .where(and(eq(householdMonitoring.householdId, householdId), sql`${householdMonitoring.eliminatedOn} is null`));
      if (!open) throw new DomainError('invalid_state', `Household ${householdId} is not monitored: there is nothing to eliminate.`);
      if (input.date < open.since) {
        throw new DomainError('validation_failed', `date: the risk cannot be eliminated before monitoring began (${open.since}).`);
      }
      const [closed] = await tx
        .update(householdMonitoring)
        .set({ eliminatedOn: input.date, eliminationReason: input.reason })
        .where(eq(householdMonitoring.id, open.id))
        .returning();
      await tx.update(households).set({ updatedAt: new Date() }).where(eq(households.id, householdId));
      await recordEvent(tx, {
        type: 'household.eliminated',
        subjectId: householdId,
        payload: { householdId, date: input.date, reason: input.reason, actor },
      });
      return toPeriod(closed!);
    },

    /**
     * Refuses a payment to a household that does not exist or is not monitored on the payment date;
     * returns the household. Call it inside the paying transaction, after lockHousehold when the
     * payment must not race an elimination.
     */
    async assertMonitoredOn(executor: Executor, householdId: string, day: string) {
      const [row] = await executor.select().from(households).where(eq(households.id, householdId));
      if (!row) throw new DomainError('unknown_household', `No household with id ${householdId}.`, { householdId });
      const [period] = await executor
        .select({ id: householdMonitoring.id })
        .from(householdMonitoring)
        .where(and(eq(householdMonitoring.householdId, householdId), periodCovers(day)));
      if (!period) {
        throw new DomainError('not_monitored', `Household ${row.code} is not monitored on ${day}.`, { householdId, date: day });
      }
      return row;
    },
  };
}

export type HouseholdService = ReturnType<typeof createHouseholdService>;
