import type { Readable } from 'node:stream';
import { buildReconciliation } from '../bank/reconciliation.js';
import { notFound } from '../errors.js';
import { voucherPdf } from '../vouchers/print.js';
import { buildVouchers, presentVoucher, type VoucherData } from '../vouchers/voucher.js';
import { statementPdf } from './pdf.js';
import { localMoment } from '../ledger/dates.js';
import type { Reach } from '../auth/roles.js';
import type { Db, Executor } from '../db/client.js';
import { resolvePeriod } from './common.js';
import { statementDigest } from './digest.js';
import type { Presentation, Provenance } from './document.js';
import { presentBankReconciliation } from './bank-reconciliation.js';
import { buildFundStatement, presentFundStatement } from './fund.js';
import { buildGeneralLedger, presentGeneralLedger } from './general-ledger.js';
import { buildHouseholdStatement, presentHouseholdStatement } from './household.js';
import { buildInsuranceStatement, presentInsuranceStatement } from './insurance.js';
import { buildLedgerStatement, presentLedgerStatement } from './ledger.js';
import { buildNoticeStatement, presentNotice } from './notice.js';
import { buildTrialBalanceStatement, presentTrialBalance } from './trial-balance.js';
import { buildVillageStatement, presentVillageStatement } from './village.js';

export const statementKinds = ['fund', 'ledger', 'trial-balance', 'household', 'village', 'notice', 'insurance', 'bank-reconciliation', 'general-ledger', 'voucher'] as const;
export type StatementKind = (typeof statementKinds)[number];

interface PeriodParams {
  from?: string;
  to?: string;
}

/** What each statement is asked for with: the GET's path and query parameters, `format` aside. */
export interface StatementParams {
  fund: { fundId: string } & PeriodParams;
  ledger: { accountId: string } & PeriodParams;
  'trial-balance': { fundId: string; asOf?: string };
  household: { householdId: string } & PeriodParams;
  village: { villageId: string } & PeriodParams;
  notice: { villageId: string } & PeriodParams;
  insurance: { policyId: string };
  'bank-reconciliation': { fundId: string; period: string; staleDays?: number };
  'general-ledger': { fundId: string; year: number };
  voucher: { transactionId: string };
}

/**
 * Each kind: one function that reads its data (a plain object of decimal strings, the same for JSON,
 * CSV and PDF) and one that lays it out for print. Missing period bounds are resolved here, so the
 * statement and its digest always carry the exact period.
 */
const kinds = {
  fund: {
    build: (tx: Executor, p: StatementParams['fund'], today: string) => buildFundStatement(tx, { fundId: p.fundId, ...resolvePeriod(p, today) }),
    present: presentFundStatement,
  },
  ledger: {
    build: (tx: Executor, p: StatementParams['ledger'], today: string) => buildLedgerStatement(tx, { accountId: p.accountId, ...resolvePeriod(p, today) }),
    present: presentLedgerStatement,
  },
  'trial-balance': {
    build: (tx: Executor, p: StatementParams['trial-balance'], today: string) => buildTrialBalanceStatement(tx, { fundId: p.fundId, asOf: p.asOf ?? today }),
    present: presentTrialBalance,
  },
  household: {
    build: (tx: Executor, p: StatementParams['household'], today: string, reach: Reach | null) =>
      buildHouseholdStatement(tx, { householdId: p.householdId, ...resolvePeriod(p, today) }, reach),
    present: presentHouseholdStatement,
  },
  village: {
    build: (tx: Executor, p: StatementParams['village'], today: string, reach: Reach | null) =>
      buildVillageStatement(tx, { villageId: p.villageId, ...resolvePeriod(p, today) }, reach),
    present: presentVillageStatement,
  },
  notice: {
    build: (tx: Executor, p: StatementParams['notice'], today: string, reach: Reach | null) =>
      buildNoticeStatement(tx, { villageId: p.villageId, ...resolvePeriod(p, today) }, reach),
    present: presentNotice,
  },
  insurance: {
    build: (tx: Executor, p: StatementParams['insurance']) => buildInsuranceStatement(tx, { policyId: p.policyId }),
    present: presentInsuranceStatement,
  },
  'bank-reconciliation': {
    build: (tx: Executor, p: StatementParams['bank-reconciliation'], today: string) => buildReconciliation(tx, p, today),
    present: presentBankReconciliation,
  },
  'general-ledger': {
    build: (tx: Executor, p: StatementParams['general-ledger']) => buildGeneralLedger(tx, p),
    present: presentGeneralLedger,
  },
  voucher: {
    build: async (tx: Executor, p: StatementParams['voucher']) => {
      const [found] = await buildVouchers(tx, [p.transactionId]);
      if (!found) throw notFound('Transaction', p.transactionId);
      return found;
    },
    present: presentVoucher,
    // The voucher form itself, two to a page as vouchers are bound (src/vouchers/print.ts).
    pdf: (data: VoucherData, meta: Provenance) => voucherPdf(data, { printedAt: meta.printedAt, printedBy: meta.generatedBy.name, digest: meta.digest }),
  },
};

export type StatementData<K extends StatementKind> = Awaited<ReturnType<(typeof kinds)[K]['build']>>;
export type Statement<K extends StatementKind> = { kind: K } & StatementData<K> & Omit<Provenance, 'printedAt'>;

interface Spec<K extends StatementKind> {
  build(tx: Executor, params: StatementParams[K], today: string, reach: Reach | null): Promise<StatementData<K>>;
  present(data: StatementData<K>): Presentation;
  /** A PDF of its own form; the statement layout (pdf.ts) when absent. */
  pdf?(data: StatementData<K>, meta: Provenance): Readable;
}
const specOf = <K extends StatementKind>(kind: K) => kinds[kind] as unknown as Spec<K>;

export function createStatementService(db: Db, deps: { today(): string; timeZone: string }) {
  /**
   * All of a statement's reads in one read-only snapshot: a posting committed halfway through cannot
   * show in one figure and not in another, so a fund statement always reconciles. Household and village
   * statements span funds: they show the funds the caller reaches (see src/auth/reach.ts).
   */
  function read<K extends StatementKind>(kind: K, params: StatementParams[K], reach: Reach | null): Promise<StatementData<K>> {
    const today = deps.today();
    return db.transaction((tx) => specOf(kind).build(tx, params, today, reach), { isolationLevel: 'repeatable read', accessMode: 'read only' });
  }

  return {
    async generate<K extends StatementKind>(
      kind: K,
      params: StatementParams[K],
      by: { id: string; name: string; reach: Reach | null },
    ): Promise<Statement<K>> {
      const data = await read(kind, params, by.reach);
      return { kind, ...data, digest: statementDigest(kind, data), generatedAt: new Date().toISOString(), generatedBy: { id: by.id, name: by.name } };
    },

    /** Whether the ledger still yields `digest` for these parameters: false for an edited or an outdated printout. */
    async verify<K extends StatementKind>(kind: K, params: StatementParams[K], digest: string, reach: Reach | null) {
      const current = statementDigest(kind, await read(kind, params, reach));
      return { kind, valid: current === digest.toLowerCase(), digest: current };
    },

    present<K extends StatementKind>(statement: Statement<K>): Presentation {
      return specOf(statement.kind).present(statement);
    },

    /** The statement as a PDF stream: its kind's own form, or its presentation laid out as a statement. */
    pdf<K extends StatementKind>(statement: Statement<K>, meta: Provenance): Readable {
      const spec = specOf(statement.kind);
      return spec.pdf ? spec.pdf(statement, meta) : statementPdf(spec.present(statement), meta);
    },

    /** When it was generated, as the ledger's time zone reads it (printed; the JSON keeps UTC). */
    printedAt: (statement: Statement<StatementKind>) => localMoment(statement.generatedAt, deps.timeZone),
  };
}

export type StatementService = ReturnType<typeof createStatementService>;
