/**
 * The one error hierarchy. Services and the ledger core throw DomainError with a stable machine code;
 * src/http/errors.ts maps each code to an HTTP status in one place.
 */
export const errorCodes = {
  validation_failed: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  already_exists: 409,
  idempotency_conflict: 409,
  already_reversed: 409,
  reversal_not_reversible: 409,
  concurrency_conflict: 409,
  unknown_account: 422,
  unbalanced_transaction: 422,
  insufficient_funds: 422,
  date_in_future: 422,
  fund_closed: 422,
  // Field operations.
  unknown_village: 422,
  unknown_household: 422,
  not_monitored: 422,
  already_monitored: 409,
  category_not_allowed: 422,
  over_cap: 422,
  village_mismatch: 422,
  invalid_rule: 422,
  chart_account_missing: 422,
  approver_is_requester: 403,
  not_approved: 409,
  already_paid: 409,
  invalid_state: 409,
  import_failed: 422,
  reserved_for_operations: 422,
  rate_limited: 429,
  // Access control.
  last_admin: 409,
  // Accounting periods.
  period_closed: 422,
  period_not_ended: 422,
  not_reconciled: 409,
  // Bank reconciliation.
  bank_account_missing: 422,
  // Vouchers: review (制单 → 审核) and source documents.
  approver_is_preparer: 409,
  not_preparer: 403,
  review_required: 409,
  voucher_changed: 409,
  attachment_type_not_allowed: 415,
  attachment_too_large: 413,
  database_unavailable: 503,
  database_timeout: 503,
} as const;

export type ErrorCode = keyof typeof errorCodes;

export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const notFound = (what: string, id: string) => new DomainError('not_found', `${what} ${id} does not exist.`);
