import { sql } from 'drizzle-orm';
import { rows } from '../../src/db/client.js';
import type { TestApp } from '../helpers/app.js';
import { createPreventionFund } from '../helpers/fixtures.js';

export type PreventionFund = Awaited<ReturnType<typeof createPreventionFund>>;

/** The payment date used throughout: households of the fixtures are monitored since 2025-01-01. */
export const PAY_DATE = '2025-06-15';

/** A prevention fund whose bank account holds `bank` (a donation received on 2025-01-05). */
export async function fundedPreventionFund(t: TestApp, bank = '10000.00', extra: Record<string, unknown> = {}) {
  const f = await createPreventionFund(t, extra);
  const r = await t.call('POST', `/v1/funds/${f.fundId}/income`, {
    body: { source: 'donation', payer: '某银行', date: '2025-01-05', amount: bank, reference: '银行捐赠' },
  });
  if (r.status !== 201) throw new Error(JSON.stringify(r.body));
  return f;
}

export const balanceOf = async (t: TestApp, accountId: string) => (await t.call('GET', `/v1/accounts/${accountId}`)).body.balance as string;

/** The balances a payment moves: available bank, reserved bank and the category's expense. */
export async function moneyOf(t: TestApp, f: PreventionFund, category = 'medical_subsidy') {
  return {
    bank: await balanceOf(t, f.byRole.bank!),
    reserved: await balanceOf(t, f.byRole.bank_reserved!),
    expense: await balanceOf(t, f.byRole[`expense:${category}`]!),
  };
}

/** How much has been written anywhere a disbursement operation writes; equal before and after means nothing was. */
export async function written(t: TestApp) {
  const [counts] = await rows<Record<string, string>>(
    t.database.db,
    sql`select (select count(*) from disbursements)::text as disbursements,
               (select count(*) from disbursement_batches)::text as batches,
               (select count(*) from transactions)::text as transactions,
               (select count(*) from events)::text as events,
               (select coalesce(sum(balance), 0) from accounts)::text as balances,
               (select string_agg(id::text || status, ',' order by id) from disbursements) as statuses`,
  );
  return counts!;
}

export const eventTypes = async (t: TestApp, subjectId: string) =>
  (await rows<{ type: string }>(t.database.db, sql`select type from events where subject_id = ${subjectId} order by id`)).map((e) => e.type);
