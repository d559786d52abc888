import type { Reach } from '../auth/roles.js';
import type { Db } from '../db/client.js';
import type { Category } from '../funds/chart.js';
import type { HouseholdService } from '../households/service.js';
import { createDisbursementBatches } from './batches.js';
import { createDisbursementRequests } from './requests.js';
import { createDisbursementRules } from './rules.js';
import { disbursementStatuses } from './schemas.js';

export type DisbursementStatus = (typeof disbursementStatuses)[number];

export interface DisbursementInput {
  fundId: string;
  householdId: string;
  category: Category;
  amount: string;
  date: string;
  villageId?: string;
}

export interface BatchInput {
  fundId: string;
  category: Category;
  date: string;
  villageId?: string;
  description?: string;
  items: { householdId: string; amount: string }[];
}

export interface DisbursementFilter {
  fundId?: string;
  householdId?: string;
  villageId?: string;
  category?: Category;
  status?: DisbursementStatus;
  from?: string;
  to?: string;
  after?: { date: string; id: string };
  limit: number;
  /** The caller's reach: only its funds' disbursements. */
  reach: Reach | null;
}

/** Batches are listed by the same filters as their lines, less household, village and category. */
export type BatchFilter = Omit<DisbursementFilter, 'householdId' | 'villageId' | 'category'>;

export interface DisbursementDeps {
  households: HouseholdService;
  today(): string;
}

/** Disbursements to monitored households, one by one or in batches, under the rules they share. */
export function createDisbursementService(db: Db, deps: DisbursementDeps) {
  const rules = createDisbursementRules(deps);
  return { ...createDisbursementRequests(db, deps, rules), ...createDisbursementBatches(db, deps, rules) };
}

export type DisbursementService = ReturnType<typeof createDisbursementService>;
