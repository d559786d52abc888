import { sql } from 'drizzle-orm';
import { withKeyNames } from '../auth/key-names.js';
import { fundInReach } from '../auth/reach.js';
import type { Reach } from '../auth/roles.js';
import { type Executor, rows, type Tx } from '../db/client.js';
import type { DraftLine } from '../db/voucher-schema.js';
import { DomainError, notFound } from '../errors.js';
import { assertPostingsOpen, type ClosedThroughRow, closedThroughMap, closedThroughQuery } from '../ledger/periods.js';
import { accountsOf, accountsQuery, decidePosting, holdAccounts, type LockedAccount, type PostingInput, postTransaction } from '../ledger/posting.js';
import { planReversal, reverseTransaction } from '../ledger/reversal.js';

/**
 * Vouchers drafted by one key and posted when another approves them (制单 → 审核 → 记账): the
 * 会计基础工作规范 wants preparer and reviewer to be different people. A draft is not in the books — no
 * balance, statement or chain reads voucher_drafts — and is checked twice: as it would post when drafted
 * (so the preparer learns of a wrong account at once; the money available aside), and under the ledger
 * core's locks when approved, where every rule applies as to any posting.
 *
 * States: draft → posted (approved) | rejected (with a reason; the preparer may correct it, which makes
 * it a draft again) | withdrawn (by its preparer; final).
 */

export interface DraftInput extends PostingInput {
  lines: DraftLine[];
  attachments?: number;
}

export type DraftStatus = 'draft' | 'posted' | 'rejected' | 'withdrawn';

interface DraftRow {
  id: string;
  fund_ids: string[];
  status: DraftStatus;
  date: string;
  description: string;
  reference: string | null;
  lines: DraftLine[];
  attachments: number;
  version: number;
  prepared_by: string;
  prepared_at: string;
  updated_at: string;
  reviewed_by: string | null;
  reviewed_at: string | null;
  reason: string | null;
  transaction_id: string | null;
  reverses_transaction_id: string | null;
  reversal_reason: string | null;
}

const iso = (column: string, digits = 'MS') => sql.raw(`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.${digits}"Z"')`);
const columns = sql`d.id, d.fund_ids, d.status, d.date::text as date, d.description, d.reference, d.lines, d.attachments, d.version,
  d.prepared_by, ${iso('d.prepared_at')} as prepared_at, ${iso('d.updated_at')} as updated_at, d.reviewed_by,
  ${iso('d.reviewed_at')} as reviewed_at, d.reason, d.transaction_id, d.reverses_transaction_id, d.reversal_reason`;

const toDraft = (d: DraftRow) => ({
  id: d.id,
  status: d.status,
  fundIds: d.fund_ids,
  date: d.date,
  description: d.description,
  reference: d.reference,
  lines: d.lines.map((l) => ({ accountId: l.accountId, direction: l.direction, amount: l.amount, memo: l.memo ?? null })),
  attachments: d.attachments,
  version: d.version,
  preparedBy: d.prepared_by,
  preparedAt: d.prepared_at,
  updatedAt: d.updated_at,
  reviewedBy: d.reviewed_by,
  reviewedAt: d.reviewed_at,
  reason: d.reason,
  transactionId: d.transaction_id,
  reverses: d.reverses_transaction_id ? { transactionId: d.reverses_transaction_id, reason: d.reversal_reason ?? '' } : null,
});

export type VoucherDraft = ReturnType<typeof toDraft>;

const named = async (executor: Executor, drafts: VoucherDraft[]) => withKeyNames(executor, drafts, ['preparedBy', 'reviewedBy'] as const);

export interface DraftFilter {
  status?: DraftStatus;
  fundId?: string;
  /** The position of the last draft of the page before (listed as `position`). */
  after?: string;
  limit: number;
  /** Only drafts wholly within these funds (a key's reach); null for all. */
  reach: Reach | null;
}

export function createDraftService(deps: {
  today(): string;
  assertManualAccounts(accounts: readonly LockedAccount[]): void;
  /** Refuses a reversal of a voucher an operation posted (it is corrected through its operation). */
  assertNotOperationVoucher(tx: Tx, transactionId: string): Promise<void>;
}) {
  const context = (actor: string) => ({ actor, today: deps.today() });

  /**
   * The draft checked as it would post now, except for the money available (the approval checks that, under
   * lock). A reversal's lines are those of a posted voucher: the accounts only operations move are not asked of it.
   */
  async function check(tx: Tx, input: PostingInput, actor: string, manual = true): Promise<string[]> {
    const ctx = context(actor);
    const held = holdAccounts(await rows<LockedAccount>(tx, accountsQuery(accountsOf(input, ctx))));
    try {
      decidePosting(input, ctx, held, manual ? { checkAccounts: deps.assertManualAccounts } : {});
    } catch (error) {
      if (!(error instanceof DomainError && error.code === 'insufficient_funds')) throw error;
    }
    const fundIds = [...new Set([...held.values()].map((a) => a.row.fund_id))].sort();
    const through = closedThroughMap(await rows<ClosedThroughRow>(tx, closedThroughQuery(fundIds)));
    assertPostingsOpen(through, [{ date: input.date, lines: fundIds.map((fundId) => ({ fundId })) }]);
    return fundIds;
  }

  async function lockDraft(tx: Tx, id: string): Promise<DraftRow> {
    const [found] = await rows<DraftRow>(tx, sql`select ${columns} from voucher_drafts d where d.id = ${id} for update`);
    if (!found) throw notFound('Voucher draft', id);
    return found;
  }

  /**
   * The reviewer's reach, checked again on the locked row: the scope guard read the draft before its lock,
   * and a preparer who reaches more may have moved it to another fund meanwhile.
   */
  async function assertInReach(tx: Tx, draft: DraftRow, reach: Reach | null) {
    if (!reach) return;
    const [found] = await rows<{ ok: boolean }>(
      tx,
      sql`select coalesce(bool_and(${fundInReach(reach, sql`f.id`)}), false) as ok from unnest(${sql.param(draft.fund_ids)}::uuid[]) f(id)`,
    );
    if (!found?.ok) throw notFound('Voucher draft', draft.id);
  }

  function assertState(draft: DraftRow, allowed: DraftStatus[], act: string) {
    if (allowed.includes(draft.status)) return;
    const where = draft.status === 'posted' ? ` (posted as transaction ${draft.transaction_id})` : '';
    throw new DomainError('invalid_state', `Voucher draft ${draft.id} is ${draft.status}${where}: it cannot be ${act}.`, { currentStatus: draft.status });
  }

  function assertPreparer(draft: DraftRow, actor: string, act: string) {
    if (draft.prepared_by !== actor) {
      throw new DomainError('not_preparer', `Only the key that prepared voucher draft ${draft.id} may ${act} it; a reviewer approves or rejects it.`);
    }
  }


  async function get(executor: Executor, id: string) {
    const [found] = await rows<DraftRow>(executor, sql`select ${columns} from voucher_drafts d where d.id = ${id}`);
    if (!found) throw notFound('Voucher draft', id);
    return (await named(executor, [toDraft(found)]))[0]!;
  }

  const stored = (input: PostingInput) => JSON.stringify(input.lines.map((l) => ({ accountId: l.accountId.toLowerCase(), direction: l.direction, amount: l.amount, memo: l.memo ?? null })));

  return {
    async create(tx: Tx, input: DraftInput, actor: string) {
      const fundIds = await check(tx, input, actor);
      const [created] = await rows<{ id: string }>(
        tx,
        sql`insert into voucher_drafts (fund_ids, date, description, reference, lines, attachments, prepared_by)
            values (${sql.param(fundIds)}::uuid[], ${input.date}, ${input.description}, ${input.reference ?? null}, ${stored(input)}::jsonb,
                    ${input.attachments ?? 0}, ${actor})
            returning id`,
      );
      return get(tx, created!.id);
    },

    /**
     * A reversal (红字冲销) for review: the mirror of a posted voucher, checked as a reversal is when it posts
     * (not itself a reversal, not reversed yet, not an operation's voucher, dated on or after it) and as any
     * draft (its month open). Approved, it posts as a reversal linked to the voucher.
     */
    async createReversal(tx: Tx, input: { transactionId: string; reason: string; date?: string }, actor: string) {
      await deps.assertNotOperationVoucher(tx, input.transactionId);
      const plan = await planReversal(tx, input.transactionId, input, context(actor));
      const fundIds = await check(tx, plan, actor, false);
      const [created] = await rows<{ id: string }>(
        tx,
        sql`insert into voucher_drafts (fund_ids, date, description, reference, lines, attachments, prepared_by, reverses_transaction_id, reversal_reason)
            values (${sql.param(fundIds)}::uuid[], ${plan.date}, ${plan.description}, ${plan.reference ?? null}, ${stored(plan)}::jsonb, 0, ${actor},
                    ${input.transactionId}, ${input.reason})
            returning id`,
      );
      return get(tx, created!.id);
    },

    /** The preparer's correction of a draft, or of a rejected one (which goes back to review). */
    async update(tx: Tx, id: string, input: DraftInput, actor: string) {
      const draft = await lockDraft(tx, id);
      assertPreparer(draft, actor, 'change');
      assertState(draft, ['draft', 'rejected'], 'changed');
      if (draft.reverses_transaction_id) {
        throw new DomainError('invalid_state', `Voucher draft ${id} is a reversal: its lines are the reversed voucher's. Withdraw it and draft the reversal again.`, {
          currentStatus: draft.status,
        });
      }
      const fundIds = await check(tx, input, actor);
      await tx.execute(sql`
        update voucher_drafts set fund_ids = ${sql.param(fundIds)}::uuid[], date = ${input.date}, description = ${input.description},
               reference = ${input.reference ?? null}, lines = ${stored(input)}::jsonb, attachments = ${input.attachments ?? 0},
               version = version + 1, status = 'draft', reason = null, reviewed_by = null, reviewed_at = null, updated_at = now()
         where id = ${id}`);
      return get(tx, id);
    },

    async withdraw(tx: Tx, id: string, reason: string, actor: string) {
      const draft = await lockDraft(tx, id);
      assertPreparer(draft, actor, 'withdraw');
      assertState(draft, ['draft', 'rejected'], 'withdrawn');
      await tx.execute(sql`update voucher_drafts set status = 'withdrawn', reason = ${reason}, updated_at = now() where id = ${id}`);
      return get(tx, id);
    },

    /**
     * Review and posting in one database transaction: the draft's row lock makes a second approval (in
     * this process or another) wait and then find it posted, so a draft is posted once; the posting goes
     * through the ledger core with every check as of now (accounts, closed funds, overdraft, period).
     */
    async approve(tx: Tx, id: string, version: number | undefined, actor: string, reach: Reach | null) {
      const draft = await lockDraft(tx, id);
      await assertInReach(tx, draft, reach);
      assertState(draft, ['draft'], 'approved');
      if (version !== undefined && version !== draft.version) {
        throw new DomainError('voucher_changed', `Voucher draft ${id} is at version ${draft.version}, not ${version}: read it again before approving.`, {
          version: draft.version,
        });
      }
      if (draft.prepared_by === actor) {
        throw new DomainError('approver_is_preparer', `Voucher draft ${id} was prepared with this key; another key with the approver role must review it (会计基础工作规范: 制单与审核不得为同一人).`, {
          preparedBy: draft.prepared_by,
        });
      }
      const posted = draft.reverses_transaction_id
        ? await reverseTransaction(tx, draft.reverses_transaction_id, { reason: draft.reversal_reason ?? '', date: draft.date }, context(actor))
        : await postTransaction(
            tx,
            { date: draft.date, description: draft.description, reference: draft.reference, lines: draft.lines },
            context(actor),
            { checkAccounts: deps.assertManualAccounts },
          );
      await tx.execute(sql`
        update voucher_drafts set status = 'posted', transaction_id = ${posted.id}, reviewed_by = ${actor}, reviewed_at = now(), updated_at = now()
         where id = ${id}`);
      return get(tx, id);
    },

    async reject(tx: Tx, id: string, reason: string, actor: string, reach: Reach | null) {
      const draft = await lockDraft(tx, id);
      await assertInReach(tx, draft, reach);
      assertState(draft, ['draft'], 'rejected');
      if (draft.prepared_by === actor) {
        throw new DomainError('approver_is_preparer', `Voucher draft ${id} was prepared with this key; another key reviews it.`, { preparedBy: draft.prepared_by });
      }
      await tx.execute(sql`
        update voucher_drafts set status = 'rejected', reason = ${reason}, reviewed_by = ${actor}, reviewed_at = now(), updated_at = now()
         where id = ${id}`);
      return get(tx, id);
    },

    get,


    /** Oldest first: the queue a reviewer works through. */
    async list(executor: Executor, filter: DraftFilter) {
      const conditions = [sql`true`];
      if (filter.status) conditions.push(sql`d.status = ${filter.status}`);
      if (filter.fundId) conditions.push(sql`${filter.fundId}::uuid = any(d.fund_ids)`);
      if (filter.after) {
        const [at, id] = filter.after.split('|');
        conditions.push(sql`(d.prepared_at, d.id) > (${at}::timestamptz, ${id}::uuid)`);
      }
      if (filter.reach) conditions.push(sql`not exists (select 1 from unnest(d.fund_ids) f(id) where not ${fundInReach(filter.reach, sql`f.id`)})`);
      const found = await rows<DraftRow & { position: string }>(
        executor,
        sql`select ${columns}, ${iso('d.prepared_at', 'US')} || '|' || d.id as position
              from voucher_drafts d where ${sql.join(conditions, sql` and `)} order by d.prepared_at, d.id limit ${filter.limit}`,
      );
      const drafts = await named(executor, found.map(toDraft));
      return drafts.map((d, i) => ({ draft: d, position: found[i]!.position }));
    },
  };
}

export type DraftService = ReturnType<typeof createDraftService>;
