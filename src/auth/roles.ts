export const roles = ['admin', 'officer', 'auditor', 'reader'] as const;
export type Role = (typeof roles)[number];

/** What a route needs. Every /v1 route declares one; a route without one is refused to everybody. */
export type Permission = 'read' | 'write' | 'admin' | 'audit';

// 'audit' is what only those who check others may read: the audit log.
const grants: Record<Role, readonly Permission[]> = {
  admin: ['read', 'write', 'admin', 'audit'],
  officer: ['read', 'write'],
  auditor: ['read', 'audit'],
  reader: ['read'],
};

export const allows = (role: Role, permission: Permission): boolean => grants[role].includes(permission);

export interface Principal {
  /** The API key's id, or "env-admin" for the bootstrap token from LEDGER_ADMIN_TOKEN. */
  id: string;
  name: string;
  role: Role;
}
