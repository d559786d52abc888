import type { FastifyInstance } from 'fastify';
import { seesNames } from '../auth/roles.js';
import { maskName } from '../households/names.js';

/** Fields that hold a person's name, wherever they appear in an answer. */
const nameFields = new Set(['headName']);

function masked(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(masked);
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([field, v]) => [field, nameFields.has(field) && typeof v === 'string' ? maskName(v) : masked(v)]),
  );
}

/**
 * Household heads' names go out in full only to roles that work with them (see seesNames); every
 * other key gets 张*明, in every JSON answer, whichever route built it. ID numbers are never stored,
 * so no answer can hold one (only its masked copy).
 */
export function registerNameMasking(app: FastifyInstance): void {
  app.addHook('preSerialization', async (request, _reply, payload) => {
    const principal = request.principal;
    return principal && !seesNames(principal.role) ? masked(payload) : payload;
  });
}
