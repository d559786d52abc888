import { sql } from 'drizzle-orm';
import { type Executor, rows } from '../db/client.js';
import { DomainError, notFound } from '../errors.js';
import { type Category, categoryNames } from '../funds/chart.js';
import { formatMoney, Money } from '../ledger/money.js';

export interface Period {
  from: string;
  to: string;
}

/** The period asked for: `to` defaults to today, `from` to the first day of `to`'s year. */
export function resolvePeriod(query: { from?: string; to?: string }, today: string): Period {
  const to = query.to ?? today;
  const from = query.from ?? `${to.slice(0, 4)}-01-01`;
  if (from > to) {
    throw new DomainError('validation_failed', `from ${from} is after to ${to}: a period starts on or before its last day.`, { field: 'from' });
  }
  return { from, to };
}

export interface FundRef {
  id: string;
  code: string;
  name: string;
}

export async function fundRef(executor: Executor, fundId: string): Promise<FundRef> {
  const [found] = await rows<FundRef>(executor, sql`select id, code, name from funds where id = ${fundId}`);
  if (!found) throw notFound('Fund', fundId);
  return found;
}

export interface VillageRef {
  id: string;
  code: string;
  name: string;
  township: string;
  county: string;
}

export async function villageRef(executor: Executor, villageId: string): Promise<VillageRef> {
  const [found] = await rows<VillageRef>(executor, sql`select id, code, name, township, county from villages where id = ${villageId}`);
  if (!found) throw notFound('Village', villageId);
  return found;
}

export const money = (value: string | null | undefined) => new Money(value ?? 0);
export const text = (value: Money) => formatMoney(value);
export const categoryName = (category: string) => categoryNames[category as Category] ?? category;
/** A category in English words, as the printed statements put it beside the Chinese: medical_subsidy → Medical subsidy. */
export const categoryEnglish = (category: string) => category.replace(/_/g, ' ').replace(/^./, (first) => first.toUpperCase());
/** "某乡基金 (PF-1)", as headers print a fund. */
export const fundLabel = (f: { code: string; name: string }) => `${f.name} (${f.code})`;

/** The funds a statement across funds names in its header: one, a few, or how many. */
export function fundsLabel(funds: { code: string; name: string }[]): string {
  if (!funds.length) return '无 None';
  if (funds.length <= 3) return funds.map(fundLabel).join('；');
  return `${funds.length} 个基金 funds`;
}
