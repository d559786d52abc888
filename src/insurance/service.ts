import type { Db } from '../db/client.js';
import { insuranceClaims, insuranceMovements, insurancePolicies } from '../db/schema.js';
import { createPolicyAccess } from './access.js';
import { createInsuranceClaims } from './claims.js';
import { createInsurancePolicies } from './policies.js';

export const claimCauses = ['illness', 'accident', 'disaster', 'schooling'] as const;
export type ClaimCause = (typeof claimCauses)[number];
export const claimStatuses = ['filed', 'approved', 'paid', 'rejected'] as const;
export type ClaimStatus = (typeof claimStatuses)[number];
export const movementKinds = ['premium', 'refund', 'carried_forward_out', 'carried_forward_in'] as const;
export type MovementKind = (typeof movementKinds)[number];

export interface PolicyInput {
  fundId: string;
  insurer: string;
  policyNumber?: string;
  premium: string;
  coverFrom: string;
  coverTo: string;
  coveredPopulation: string;
  coveredCount?: number;
}

export interface MovementInput {
  date: string;
  amount: string;
  reference?: string;
}

export interface PremiumInput extends MovementInput {
  topUp?: boolean;
}

export interface CarryForwardInput extends MovementInput {
  toPolicyId: string;
}

export interface ClaimInput {
  policyId: string;
  householdId: string;
  cause: ClaimCause;
  date: string;
  amountClaimed: string;
}

export type PolicyRow = typeof insurancePolicies.$inferSelect;
export type MovementRow = typeof insuranceMovements.$inferSelect;
export type ClaimRow = typeof insuranceClaims.$inferSelect;

/**
 * Poverty-prevention insurance (防贫保): the fund pays premiums into a pool held by the insurer, claims
 * paid to households come out of it, and what is left is refunded or carried into the next policy
 * (多退少补、余额结转). The pool is an account of the fund, so every figure per policy is in the ledger.
 */
export function createInsuranceService(db: Db, deps: { today(): string }) {
  const access = createPolicyAccess(deps);
  return { ...createInsurancePolicies(db, deps, access), ...createInsuranceClaims(db, deps, access) };
}

export type InsuranceService = ReturnType<typeof createInsuranceService>;
