export const roles = ['admin', 'officer', 'approver', 'auditor', 'reader'] as const;
export type Role = (typeof roles)[number];

/**
 * What a route needs. Every /v1 route declares one; a route without one is refused to everybody.
 * - read: balances, funds, villages, households, payments, claims, the event feed;
 * - report: statements (JSON, CSV, PDF) and the fund's chain verification;
 * - record: income, dividends, households, payment requests, claims, manual vouchers (the maker's side);
 * - approve: approve, pay, fail and reject (the checker's side);
 * - admin: keys, funds and their charts, periods;
 * - audit: the audit log.
 */
export const permissions = ['read', 'report', 'record', 'approve', 'admin', 'audit'] as const;
export type Permission = (typeof permissions)[number];

// Makers and checkers are different roles, so no one key can both ask for money and release it.
// The admin can do everything (it can mint any key anyway); keep admin keys few and use them rarely.
const grants: Record<Role, readonly Permission[]> = {
  admin: ['read', 'report', 'record', 'approve', 'admin', 'audit'],
  officer: ['read', 'report', 'record'],
  approver: ['read', 'report', 'approve'],
  auditor: ['read', 'report', 'audit'],
  reader: ['read'],
};

export const allows = (role: Role, permission: Permission): boolean => grants[role].includes(permission);

/** Admin and auditor keys reach the whole ledger; the others reach what their scopes name. */
export const scopedRoles: readonly Role[] = ['officer', 'approver', 'reader'];

/** Roles that see household heads' names in full; the others see 张*明. */
export const seesNames = (role: Role) => role !== 'reader';

/**
 * What a key may reach. A fund is in reach when it is named or kept by a named township; a village
 * (with its households) when its township is named, is the township of a named fund, or a named fund
 * is a county fund (no township: it pays the whole county).
 */
export interface Reach {
  townships: string[];
  funds: string[];
}

export interface Principal {
  /** The API key's id, or "env-admin" for the bootstrap token from LEDGER_ADMIN_TOKEN. */
  id: string;
  name: string;
  role: Role;
  /** Null: the whole ledger. */
  reach: Reach | null;
}
