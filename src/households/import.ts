/**
 * CSV import of households and their monitoring status (农户及监测信息导入), used by
 * `POST /v1/households/import` and by `scripts/import-households.ts`.
 *
 * The file: UTF-8 (with or without a BOM) or GB18030/GBK (Excel's "CSV" on a Chinese Windows), told apart
 * by its bytes; RFC 4180 (comma-separated; a field holding commas, quotes or line breaks is quoted, its
 * quotes doubled). The first line names the columns, in English or Chinese, in any order; English names
 * ignore case, spaces, "_" and "-". Blank lines, and lines of empty fields, are skipped; so is a column
 * with no name (spreadsheets add them). Values are trimmed. No cell may hold a control character (NUL,
 * other C0 but tab and the line breaks of a quoted cell, DEL, C1), as everywhere in the API.
 *
 * | column            | 中文          | value                                                                  |
 * |-------------------|---------------|------------------------------------------------------------------------|
 * | householdCode     | 户编号        | the household's code, the key: 1–64 letters, digits, ".", "_", "-"    |
 * | headName          | 户主姓名      | head of household                                                      |
 * | idNumber          | 身份证号(码)  | the head's ID number: 18 characters with a valid check digit           |
 * | villageCode       | 村编码        | code of a registered village                                           |
 * | memberCount       | 家庭人口      | 1–100                                                                  |
 * | category          | 监测类型      | unstable, marginal, sudden_hardship, or 脱贫不稳定户, 边缘易致贫户, 突发严重困难户; empty: the row changes no monitoring |
 * | riskCauses        | 风险类型      | configured causes separated by ; 、 or |; 因病 因残 因意外 因灾 因学 因失业 其他 stand for illness disability accident disaster schooling unemployment other |
 * | since             | 纳入监测日期  | first day monitored                                                    |
 * | eliminatedOn      | 风险消除日期  | optional: first day no longer monitored                                |
 * | eliminationReason | 消除原因      | required with eliminatedOn                                             |
 *
 * The first five columns are required; category, riskCauses and since come together or not at all;
 * eliminatedOn and eliminationReason likewise, and only with those three. An unknown or repeated column
 * refuses the file: a misspelt column must not be silently ignored. Dates are 2025-03-01 (also 2025/3/1,
 * 2025.3.1, 2025年3月1日), none after today.
 *
 * Each row: the household with that code is created, or updated where the file differs (name, ID
 * number, village, size). An ID number that another household holds, in the database or earlier in the
 * file, is an error. With a category, a monitoring period beginning on `since` is made to exist: a
 * recorded one must have the same category and causes (an import never rewrites a recorded period); a
 * new one must not overlap any recorded period, so there is never a second open period, and starts on or
 * after the last recorded elimination (rows of one household come in date order). With
 * eliminatedOn, that period is made to end on that day: an open one is eliminated, one already eliminated
 * on another day is an error, and on the same day the reason on record stands. An empty eliminatedOn never
 * reopens a period.
 *
 * All or nothing: every row is checked first, on its own and against the database, and every problem is
 * reported with its line (where the record begins, as an editor numbers lines), column (as the file names
 * it), code and reason; the first 1,000 are listed, all are counted. Then nothing is written. Otherwise
 * everything is written in the caller's one database transaction, in batches of multi-row statements,
 * the households named by the file locked meanwhile. Only real changes are written, each with its event
 * (household.created, household.updated, household.included, household.eliminated): importing a file
 * again changes nothing, not even updatedAt.
 *
 * ID numbers are personal data: only their keyed hash and mask are kept; no message, event or log holds one.
 */
import { and, asc, inArray, sql, type SQL } from 'drizzle-orm';
import { townshipInReach, villageInReach } from '../auth/reach.js';
import type { Reach } from '../auth/roles.js';
import { rows, type Tx } from '../db/client.js';
import { householdMonitoring, households, villages } from '../db/schema.js';
import { type EventInput, eventOfType, recordEvents } from '../events/outbox.js';
import type { EventPayloads } from '../events/schemas.js';
import { DomainError, type ErrorCode } from '../errors.js';
import { controlCharacterIn } from '../http/control-characters.js';
import { code as codeRule, text } from '../http/schemas.js';
import { type CsvRecord, parseCsv, parseWrittenDay, refusal, type RowError } from '../http/csv.js';
import { hideIdNumbers, idNumberProblem } from './id-numbers.js';
import { type HouseholdService, type MonitoringCategory, monitoringCategories } from './service.js';

export interface ImportProgress {
  phase: 'validating' | 'writing';
  done: number;
  total: number;
}

export interface ImportReport {
  rows: number;
  /** Households registered. */
  created: number;
  /** Existing households whose details or monitoring changed. */
  updated: number;
  unchanged: number;
  /** Monitoring periods recorded. */
  included: number;
  /** Periods eliminated, including new periods that arrive already eliminated. */
  eliminated: number;
}

/** Rows per batch of statements: few round trips, and progress often enough. */
const BATCH = 1000;
const OPEN_END = '9999-12-31';

const columnNames = {
  householdCode: ['householdCode', '户编号'],
  headName: ['headName', '户主姓名'],
  idNumber: ['idNumber', '身份证号', '身份证号码'],
  villageCode: ['villageCode', '村编码'],
  memberCount: ['memberCount', '家庭人口'],
  category: ['category', '监测类型'],
  riskCauses: ['riskCauses', '风险类型'],
  since: ['since', '纳入监测日期'],
  eliminatedOn: ['eliminatedOn', '风险消除日期'],
  eliminationReason: ['eliminationReason', '消除原因'],
} as const;
type Column = keyof typeof columnNames;

const normalise = (name: string) => name.trim().toLowerCase().replace(/[\s_-]/g, '');
const columnByName = new Map<string, Column>(
  Object.entries(columnNames).flatMap(([column, names]) => names.map((n) => [normalise(n), column as Column] as const)),
);
const requiredColumns: Column[] = ['householdCode', 'headName', 'idNumber', 'villageCode', 'memberCount'];
const monitoringColumns: Column[] = ['category', 'riskCauses', 'since'];
const eliminationColumns: Column[] = ['eliminatedOn', 'eliminationReason'];
const knownColumns = Object.values(columnNames)
  .map((names) => names.join('/'))
  .join(', ');

const categoryByName = new Map<string, MonitoringCategory>([
  ...monitoringCategories.map((c) => [c, c] as const),
  ['脱贫不稳定户', 'unstable'],
  ['脱贫不稳定', 'unstable'],
  ['边缘易致贫户', 'marginal'],
  ['边缘易致贫', 'marginal'],
  ['突发严重困难户', 'sudden_hardship'],
  ['突发严重困难', 'sudden_hardship'],
]);

const riskCauseByName: Record<string, string> = {
  因病: 'illness',
  因残: 'disability',
  因意外: 'accident',
  因灾: 'disaster',
  因学: 'schooling',
  因失业: 'unemployment',
  其他: 'other',
};

// The API's own rules for these fields, so that a row is held to what POST /v1/households would accept.
type Rule = { safeParse(v: unknown): { success: boolean; error?: { issues: { message: string }[] } } };
const problemOf = (rule: Rule, value: string) => {
  const result = rule.safeParse(value);
  return result.success ? undefined : (result.error?.issues[0]?.message ?? 'not valid');
};
const headNameRule = text(100);
const reasonRule = text(500);

interface Monitoring {
  category: MonitoringCategory;
  riskCauses: string[];
  since: string;
  eliminatedOn?: string;
  eliminationReason?: string;
}

/** A row after checking its own fields: a field that failed is undefined. */
interface Row {
  line: number;
  code?: string;
  headName?: string;
  idNumberHash?: string;
  idNumberMasked?: string;
  villageCode?: string;
  memberCount?: number;
  /** null: the row changes no monitoring; undefined: a monitoring field failed. */
  monitoring?: Monitoring | null;
}

type Period = typeof householdMonitoring.$inferSelect;
type Existing = Pick<typeof households.$inferSelect, 'id' | 'code' | 'headName' | 'idNumberHash' | 'villageId' | 'memberCount'>;

/** What a row will write. */
interface Plan {
  code: string;
  household: { code: string; headName: string; idNumberHash: string; idNumberMasked: string; villageId: string; memberCount: number };
  existing?: Existing;
  /** Fields of an existing household that differ. */
  changed: string[];
  include?: Monitoring;
  eliminate?: { periodId: string; date: string; reason: string };
}

/** What the database holds about the households and villages a file names. */
interface State {
  /** Villages by code, those the caller reaches only. */
  villageIds: Map<string, string>;
  /** Codes of existing households in villages the caller does not reach: taken, and not theirs to change. */
  outOfReach: Set<string>;
  existing: Map<string, Existing>;
  /** ID-number hash → the code of the household holding it, for hashes new to their row's household. */
  holders: Map<string, string>;
  periods: Map<string, Period[]>;
}

/**
 * Problems found so far. A column is named as the file names it (label), so the reader finds it.
 */

class Problems {
  readonly list: RowError[] = [];
  label = {} as Record<Column, string>;
  // Messages quote cells (a date, a village code) to say what was wrong; a misplaced ID number must never be among them.
  add(line: number, column: Column | string | null, message: string, code: ErrorCode = 'validation_failed') {
    const name = column === null ? null : ((this.label as Record<string, string>)[column] ?? column);
    this.list.push({ line, column: name === null ? null : hideIdNumbers(name), code, message: hideIdNumbers(message) });
  }
  get any() {
    return this.list.length > 0;
  }
}

/** The header: where each column is. Refuses the file when it cannot be read. */
function readHeader(header: CsvRecord | undefined, problems: Problems): Map<Column, number> {
  if (!header) {
    throw refusal([{ line: 1, column: null, code: 'validation_failed', message: 'the file is empty: its first line must name the columns' }], 0);
  }
  if (header.problem) problems.add(header.line, null, header.problem);
  const position = new Map<Column, number>();
  header.fields.forEach((raw, i) => {
    // Named by its position: a name holding a control character would not print as it is.
    const bad = controlCharacterIn(raw, { allowLineBreaks: true });
    if (bad) return problems.add(header.line, `column ${i + 1}`, bad);
    const name = raw.trim();
    if (!name) return;
    const column = columnByName.get(normalise(name));
    if (!column) return problems.add(header.line, name, `unknown column; the columns are ${knownColumns}`);
    if (position.has(column)) return problems.add(header.line, name, `the column ${problems.label[column]} appears twice`);
    position.set(column, i);
    problems.label[column] = name;
  });
  const missing = (c: Column, why = '') => problems.add(header.line, null, `the column ${columnNames[c].join('/')} is missing${why}`);
  for (const c of requiredColumns) if (!position.has(c)) missing(c);
  const group = eliminationColumns.some((c) => position.has(c)) ? [...monitoringColumns, ...eliminationColumns] : monitoringColumns;
  if (group.some((c) => position.has(c))) {
    const together = `: ${group.map((c) => columnNames[c][1]).join(', ')} come together`;
    for (const c of group) if (!position.has(c)) missing(c, together);
  }
  if (problems.any) throw refusal(problems.list, 0);
  return position;
}

/** Rows as one JSON parameter, read as the relation `v` with typed columns: one parameter per batch. */
const recordset = (values: object[], columns: string): SQL =>
  sql`jsonb_to_recordset(${JSON.stringify(values)}::jsonb) as v(${sql.raw(columns)})`;

/** An `in (...)` list as one JSON parameter: no limit on its length, the same on both drivers. */
const list = (values: string[], type: 'text' | 'uuid' = 'text'): SQL =>
  sql`(select jsonb_array_elements_text(${JSON.stringify(values)}::jsonb)::${sql.raw(type)})`;

const HOUSEHOLD_COLUMNS = 'code text, "headName" text, "idNumberHash" text, "idNumberMasked" text, "villageId" uuid, "memberCount" int';

/** Lets other requests run while a long file is checked. */
const yieldToOthers = () => new Promise<void>((resolve) => setImmediate(resolve));

export function createHouseholdImporter(householdService: HouseholdService, options: { today(): string }) {
  /** The stored form of an ID number; prepareHousehold is the one holder of the hash key. */
  const storedIdNumber = (idNumber: string) => {
    const { idNumberHash, idNumberMasked } = householdService.prepareHousehold({ code: '', headName: '', idNumber, villageId: '', memberCount: 1 });
    return { idNumberHash, idNumberMasked };
  };

  /** A row's own fields; remembers codes and ID numbers seen, to refuse repeats. */
  function checkRow(
    line: number,
    value: (c: Column) => string,
    seen: { codes: Map<string, number>; idNumbers: Map<string, number> },
    problems: Problems,
    today: string,
  ): Row {
    const row: Row = { line };
    const code = value('householdCode');
    const codeProblem = code ? problemOf(codeRule, code) : 'is empty';
    if (codeProblem) problems.add(line, 'householdCode', codeProblem);
    else if (seen.codes.has(code)) problems.add(line, 'householdCode', `household ${code} is also on line ${seen.codes.get(code)}`);
    else {
      seen.codes.set(code, line);
      row.code = code;
    }

    const headName = value('headName');
    const nameProblem = headName ? problemOf(headNameRule, headName) : 'is empty';
    if (nameProblem) problems.add(line, 'headName', nameProblem);
    else row.headName = headName;

    const idNumber = value('idNumber').toUpperCase();
    const idProblem = !idNumber
      ? 'is empty'
      : /^\d(\.\d+)?E\+\d+$/.test(idNumber)
        ? 'the spreadsheet turned the ID number into a number (…E+17): format the column as text and export again'
        : idNumberProblem(idNumber);
    if (idProblem) problems.add(line, 'idNumber', idProblem);
    else {
      Object.assign(row, storedIdNumber(idNumber));
      const first = seen.idNumbers.get(row.idNumberHash!);
      if (first !== undefined) problems.add(line, 'idNumber', `the same ID number as on line ${first}`, 'already_exists');
      else seen.idNumbers.set(row.idNumberHash!, line);
    }

    const villageCode = value('villageCode');
    if (!villageCode) problems.add(line, 'villageCode', 'is empty');
    else row.villageCode = villageCode;

    const memberCount = value('memberCount');
    if (/^\d{1,3}$/.test(memberCount) && Number(memberCount) >= 1 && Number(memberCount) <= 100) row.memberCount = Number(memberCount);
    else problems.add(line, 'memberCount', memberCount ? 'must be a whole number from 1 to 100' : 'is empty');

    row.monitoring = checkMonitoring(line, value, problems, today);
    return row;
  }

  function checkMonitoring(line: number, value: (c: Column) => string, problems: Problems, today: string): Monitoring | null | undefined {
    if (!value('category')) {
      const stray = [...monitoringColumns, ...eliminationColumns].find((c) => value(c));
      if (!stray) return null;
      problems.add(line, 'category', `is empty but ${problems.label[stray]} is filled in: give the category, or leave the monitoring columns empty`);
      return undefined;
    }
    const before = problems.list.length;
    const category = categoryByName.get(value('category').toLowerCase());
    if (!category) {
      problems.add(line, 'category', `unknown category; it is one of ${monitoringCategories.join(', ')}, 脱贫不稳定户, 边缘易致贫户, 突发严重困难户`);
    }

    const riskCauses = [
      ...new Set(
        value('riskCauses')
          .split(/[;；、|]/)
          .map((c) => c.trim())
          .filter(Boolean)
          .map((c) => riskCauseByName[c] ?? c),
      ),
    ];
    const unknown = riskCauses.filter((c) => !householdService.riskCauses.includes(c));
    if (!riskCauses.length) problems.add(line, 'riskCauses', 'is empty: a monitored household has at least one risk cause');
    else if (unknown.length) problems.add(line, 'riskCauses', `unknown ${unknown.join(', ')}; known are ${householdService.riskCauses.join(', ')}`);
    else if (riskCauses.length > 10) problems.add(line, 'riskCauses', 'at most 10 risk causes');

    const day = (column: Column) => {
      const raw = value(column);
      const parsed = parseWrittenDay(raw);
      if (!parsed) problems.add(line, column, `"${raw}" is not a date: write it 2025-03-01`);
      else if (parsed > today) problems.add(line, column, `${parsed} is after today (${today})`, 'date_in_future');
      else return parsed;
      return undefined;
    };
    const since = value('since') ? day('since') : undefined;
    if (!value('since')) problems.add(line, 'since', 'is empty: the first day monitored goes with the category');
    let elimination: Pick<Monitoring, 'eliminatedOn' | 'eliminationReason'> = {};
    if (value('eliminatedOn')) {
      const eliminatedOn = day('eliminatedOn');
      if (eliminatedOn && since && eliminatedOn < since) problems.add(line, 'eliminatedOn', `${eliminatedOn} is before ${problems.label.since} ${since}`);
      const reason = value('eliminationReason');
      const reasonProblem = reason ? problemOf(reasonRule, reason) : `is empty: a reason goes with ${problems.label.eliminatedOn}`;
      if (reasonProblem) problems.add(line, 'eliminationReason', reasonProblem);
      elimination = { eliminatedOn, eliminationReason: reason };
    } else if (value('eliminationReason')) {
      problems.add(line, 'eliminationReason', `is filled in but ${problems.label.eliminatedOn} is empty`);
    }
    if (problems.list.length > before) return undefined;
    return { category: category!, riskCauses, since: since!, ...elimination };
  }

  /**
   * Reads what the file's rows refer to. The existing households are locked (as lockHousehold does),
   * so their monitoring cannot change between this check and the write.
   */
  async function loadState(tx: Tx, checked: Row[], reach: Reach | null): Promise<State> {
    const state: State = { villageIds: new Map(), outOfReach: new Set(), existing: new Map(), holders: new Map(), periods: new Map() };
    const villageCodes = [...new Set(checked.flatMap((r) => (r.villageCode ? [r.villageCode] : [])))];
    if (villageCodes.length) {
      const found = await tx
        .select({ id: villages.id, code: villages.code })
        .from(villages)
        .where(and(inArray(villages.code, list(villageCodes)), townshipInReach(reach, villages.township)));
      for (const v of found) state.villageIds.set(v.code, v.id);
    }
    const codes = checked.flatMap((r) => (r.code ? [r.code] : []));
    if (codes.length) {
      const found = await tx
        .select({
          id: households.id,
          code: households.code,
          headName: households.headName,
          idNumberHash: households.idNumberHash,
          villageId: households.villageId,
          memberCount: households.memberCount,
        })
        .from(households)
        .where(inArray(households.code, list(codes)))
        .orderBy(asc(households.id))
        .for('update');
      for (const h of found) state.existing.set(h.code, h);
      if (reach) {
        const reached = await tx
          .select({ code: households.code })
          .from(households)
          .where(and(inArray(households.code, list(codes)), villageInReach(reach, households.villageId)));
        const mine = new Set(reached.map((h) => h.code));
        for (const h of found) if (!mine.has(h.code)) state.outOfReach.add(h.code);
      }
    }
    const newHashes = checked.flatMap((r) => (r.idNumberHash && state.existing.get(r.code ?? '')?.idNumberHash !== r.idNumberHash ? [r.idNumberHash] : []));
    if (newHashes.length) {
      const found = await tx
        .select({ code: households.code, hash: households.idNumberHash, reached: reach ? villageInReach(reach, households.villageId)! : sql<boolean>`true` })
        .from(households)
        .where(inArray(households.idNumberHash, list(newHashes)));
      // A holder beyond the caller's reach stays nameless.
      for (const h of found) state.holders.set(h.hash, h.reached ? h.code : '');
    }
    const monitoredIds = checked.flatMap((r) => {
      const id = r.monitoring && state.existing.get(r.code ?? '')?.id;
      return id ? [id] : [];
    });
    if (monitoredIds.length) {
      const found = await tx
        .select()
        .from(householdMonitoring)
        .where(inArray(householdMonitoring.householdId, list(monitoredIds, 'uuid')))
        .orderBy(asc(householdMonitoring.since));
      for (const p of found) state.periods.set(p.householdId, [...(state.periods.get(p.householdId) ?? []), p]);
    }
    return state;
  }

  /** A row against the database: its plan, or undefined when it (or an earlier row) has a problem. */
  function planRow(row: Row, state: State, problems: Problems): Plan | undefined {
    const { line, code, headName, idNumberHash, idNumberMasked, memberCount, monitoring } = row;
    const before = code ? state.existing.get(code) : undefined;
    const villageId = row.villageCode ? state.villageIds.get(row.villageCode) : undefined;
    if (row.villageCode && !villageId) problems.add(line, 'villageCode', `no village with code ${row.villageCode}`, 'unknown_village');
    // As POST /v1/households answers: the code is taken, and nothing more is said about its holder.
    if (code && state.outOfReach.has(code)) problems.add(line, 'householdCode', `household code ${code} is already taken`, 'already_exists');
    const holder = idNumberHash ? state.holders.get(idNumberHash) : undefined;
    if (holder !== undefined && holder !== code) {
      problems.add(line, 'idNumber', `this ID number is already registered to ${holder ? `household ${holder}` : 'another household'}`, 'already_exists');
    }
    const monitoringPlan = monitoring ? planMonitoring(line, monitoring, before ? (state.periods.get(before.id) ?? []) : [], problems) : {};
    if (problems.any || !code || !headName || !idNumberHash || !idNumberMasked || !villageId || !memberCount || monitoring === undefined) {
      return undefined;
    }
    const changed = before
      ? [
          before.headName !== headName && 'headName',
          before.idNumberHash !== idNumberHash && 'idNumber',
          before.villageId !== villageId && 'villageId',
          before.memberCount !== memberCount && 'memberCount',
        ].filter((c): c is string => !!c)
      : [];
    const household = { code, headName, idNumberHash, idNumberMasked, villageId, memberCount };
    return { code, household, existing: before, changed, ...monitoringPlan };
  }

  /** What the row's monitoring needs written, under the service's rules: periods never overlap. */
  function planMonitoring(line: number, m: Monitoring, recorded: Period[], problems: Problems): Pick<Plan, 'include' | 'eliminate'> {
    const refuse = (column: Column, message: string, code: ErrorCode) => {
      problems.add(line, column, message, code);
      return {};
    };
    const same = recorded.find((p) => p.since === m.since);
    if (same) {
      const unchangeable = `the period since ${m.since} is recorded`;
      if (same.category !== m.category) {
        return refuse('category', `${unchangeable} as ${same.category}; an import does not change a recorded period`, 'validation_failed');
      }
      if ([...same.riskCauses].sort().join() !== [...m.riskCauses].sort().join()) {
        return refuse('riskCauses', `${unchangeable} with ${same.riskCauses.join(', ')}; an import does not change a recorded period`, 'validation_failed');
      }
      if (!m.eliminatedOn || same.eliminatedOn === m.eliminatedOn) return {};
      if (same.eliminatedOn !== null) {
        return refuse('eliminatedOn', `the period since ${m.since} was already eliminated on ${same.eliminatedOn}`, 'invalid_state');
      }
      return { eliminate: { periodId: same.id, date: m.eliminatedOn, reason: m.eliminationReason! } };
    }
    // The service's rule: a new period starts on or after the last elimination, never back-filled before it.
    const lastEnd = recorded.map((p) => p.eliminatedOn).filter((d): d is string => d !== null).sort().at(-1);
    if (lastEnd && m.since < lastEnd) {
      return refuse('since', `a new monitoring period starts on or after the last elimination (${lastEnd})`, 'validation_failed');
    }
    // Periods are [since, eliminatedOn): the new one must not share a day with a recorded one.
    const end = m.eliminatedOn ?? OPEN_END;
    const overlapping = recorded.find((p) => m.since < (p.eliminatedOn ?? OPEN_END) && p.since < end);
    if (overlapping && overlapping.eliminatedOn === null && !m.eliminatedOn) {
      return refuse('since', `the household is already monitored since ${overlapping.since}: eliminate that period first`, 'already_monitored');
    }
    if (overlapping) {
      const recordedPeriod = `${overlapping.since}–${overlapping.eliminatedOn ?? 'open'}`;
      return refuse('since', `the period ${m.since}–${m.eliminatedOn ?? 'open'} overlaps the recorded period ${recordedPeriod}`, 'already_monitored');
    }
    return { include: m };
  }

  /** Writes one batch of plans: only what changes, a few multi-row statements, then its events. */
  async function writeBatch(tx: Tx, batch: Plan[], actor: string, report: ImportReport) {
    const householdIds = new Map<string, string>();
    for (const p of batch) if (p.existing) householdIds.set(p.code, p.existing.id);
    const created = batch.filter((p) => !p.existing);
    if (created.length) {
      const inserted = await rows<{ id: string; code: string }>(
        tx,
        sql`insert into households (code, head_name, id_number_hash, id_number_masked, village_id, member_count)
            select code, "headName", "idNumberHash", "idNumberMasked", "villageId", "memberCount"
              from ${recordset(created.map((p) => p.household), HOUSEHOLD_COLUMNS)}
            on conflict (code) do nothing
            returning id, code`,
      );
      if (inserted.length !== created.length) {
        throw new DomainError('concurrency_conflict', 'Households of the file were registered by another request meanwhile; import the file again.');
      }
      for (const h of inserted) householdIds.set(h.code, h.id);
    }
    const idOf = (p: Plan) => householdIds.get(p.code)!;

    const changed = batch.filter((p) => p.changed.length);
    if (changed.length) {
      await tx.execute(sql`
        update households h
           set head_name = v."headName", id_number_hash = v."idNumberHash", id_number_masked = v."idNumberMasked",
               village_id = v."villageId", member_count = v."memberCount", updated_at = now()
          from ${recordset(changed.map((p) => ({ ...p.household, id: idOf(p) })), `id uuid, ${HOUSEHOLD_COLUMNS}`)}
         where h.id = v.id`);
    }
    // A monitoring change is a change of the household too, as when made through the API.
    const touched = batch.filter((p) => p.existing && !p.changed.length && (p.include || p.eliminate));
    if (touched.length) {
      await tx.update(households).set({ updatedAt: sql`now()` }).where(inArray(households.id, list(touched.map(idOf), 'uuid')));
    }
    const included = batch.filter((p) => p.include);
    if (included.length) {
      const periods = included.map((p) => ({ householdId: idOf(p), ...p.include! }));
      await tx.execute(sql`
        insert into household_monitoring (household_id, category, risk_causes, since, eliminated_on, elimination_reason, created_by)
        select "householdId", category, "riskCauses", since, "eliminatedOn", "eliminationReason", ${actor}
          from ${recordset(periods, '"householdId" uuid, category text, "riskCauses" jsonb, since date, "eliminatedOn" date, "eliminationReason" text')}`);
    }
    const eliminated = batch.filter((p) => p.eliminate);
    if (eliminated.length) {
      await tx.execute(sql`
        update household_monitoring m
           set eliminated_on = v.date, elimination_reason = v.reason
          from ${recordset(eliminated.map((p) => ({ id: p.eliminate!.periodId, date: p.eliminate!.date, reason: p.eliminate!.reason })), 'id uuid, date date, reason text')}
         where m.id = v.id and m.eliminated_on is null`);
    }

    const batchEvents: EventInput[] = [];
    type HouseholdEvent = 'household.created' | 'household.updated' | 'household.included' | 'household.eliminated';
    const event = <T extends HouseholdEvent>(type: T, householdId: string, payload: Omit<EventPayloads[T], 'householdId' | 'actor' | 'source'>) =>
      batchEvents.push(eventOfType(type, { subjectId: householdId, payload: { householdId, ...payload, actor, source: 'import' } }));
    for (const p of batch) {
      const id = idOf(p);
      if (!p.existing) event('household.created', id, { code: p.code });
      else if (p.changed.length) event('household.updated', id, { code: p.code, changed: p.changed });
      if (p.include) event('household.included', id, { category: p.include.category, riskCauses: p.include.riskCauses, since: p.include.since });
      const ended = p.eliminate ?? (p.include?.eliminatedOn ? { date: p.include.eliminatedOn, reason: p.include.eliminationReason! } : undefined);
      if (ended) event('household.eliminated', id, { date: ended.date, reason: ended.reason });

      if (!p.existing) report.created++;
      else if (p.changed.length || p.include || p.eliminate) report.updated++;
      else report.unchanged++;
      if (p.include) report.included++;
      if (ended) report.eliminated++;
    }
    await recordEvents(tx, batchEvents);
  }

  return {
    /** Imports a CSV file in the caller's transaction; throws import_failed, listing every problem, when any row is wrong. */
    /** `reach`: the caller's (see src/auth/reach.ts); villages and households beyond it are as if unknown. */
    async run(
      tx: Tx,
      csv: string,
      run: { actor: string; reach?: Reach | null; onProgress?: (progress: ImportProgress) => void },
    ): Promise<ImportReport> {
      const progress = run.onProgress ?? (() => {});
      const today = options.today();
      const problems = new Problems();
      const [header, ...lines] = parseCsv(csv);
      const position = readHeader(header, problems);
      const records = lines.filter((r) => r.problem || r.fields.some((f) => f.trim()));
      const total = records.length;

      const checked: Row[] = [];
      const seen = { codes: new Map<string, number>(), idNumbers: new Map<string, number>() };
      for (let r = 0; r < total; r++) {
        if (r % BATCH === 0) {
          progress({ phase: 'validating', done: r, total });
          await yieldToOthers();
        }
        const { line, fields, problem } = records[r]!;
        // Every cell, named or not: a NUL is refused by PostgreSQL, the other controls are invisible in a name.
        const controls = fields.flatMap((f, i) => {
          const bad = controlCharacterIn(f, { allowLineBreaks: true });
          return bad ? [{ column: header!.fields[i]?.trim() || `column ${i + 1}`, bad }] : [];
        });
        for (const c of controls) problems.add(line, c.column, c.bad);
        if (controls.length) continue;
        if (problem) problems.add(line, null, problem);
        else if (fields.length !== header!.fields.length) {
          problems.add(line, null, `${fields.length} fields, but the header names ${header!.fields.length} columns`);
        } else {
          const value = (c: Column) => {
            const i = position.get(c);
            return i === undefined ? '' : fields[i]!.trim();
          };
          checked.push(checkRow(line, value, seen, problems, today));
        }
      }
      const state = await loadState(tx, checked, run.reach ?? null);
      const plans: Plan[] = [];
      for (const row of checked) {
        const plan = planRow(row, state, problems);
        if (plan) plans.push(plan);
      }
      progress({ phase: 'validating', done: total, total });
      if (problems.any) throw refusal(problems.list, total);

      const report: ImportReport = { rows: total, created: 0, updated: 0, unchanged: 0, included: 0, eliminated: 0 };
      progress({ phase: 'writing', done: 0, total });
      for (let start = 0; start < plans.length; start += BATCH) {
        await writeBatch(tx, plans.slice(start, start + BATCH), run.actor, report);
        progress({ phase: 'writing', done: Math.min(start + BATCH, total), total });
      }
      return report;
    },
  };
}

export type HouseholdImporter = ReturnType<typeof createHouseholdImporter>;
