export const roles = ['admin', 'officer', 'auditor', 'reader'] as const;
export type Role = (typeof roles)[number];

/** What a route needs. Every /v1 route declares one; a route without one is refused to everybody. */
export type Permission = 'read' | 'write' | 'admin';

const grants: Record<Role, readonly Permission[]> = {
  admin: ['read', 'write', 'admin'],
  officer: ['read', 'write'],
  auditor: ['read'],
  reader: ['read'],
};

export const allows = (role: Role, permission: Permission): boolean => grants[role].includes(permission);

export interface Principal {
  /** The API key's id, or "env-admin" for the bootstrap token from LEDGER_ADMIN_TOKEN. */
  id: string;
  name: string;
  role: Role;
}
