import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { ADMIN_TOKEN, expectLedgerIntact, ID_HASH_KEY, startApp, type TestApp } from '../helpers/app.js';
import { backends, realPostgres } from '../helpers/database.js';
import { createFund, type FundFixture, transfer } from '../helpers/fixtures.js';

// 制单 → 审核 → 记账: a voucher drafted by one key is posted only when another key approves it.
describe.each(backends)('voucher review on $name', (backend) => {
  let t: TestApp;
  let f: FundFixture;
  let officer: string;
  let otherOfficer: string;
  let approver: string;
  let secondApprover: string;
  const as = (token: string) => ({ token });

  /** What the books say of the fund: anything a draft must leave as it is. */
  const books = async (fundId: string) => {
    const accounts = await t.call('GET', `/v1/funds/${fundId}/accounts`);
    const journal = await t.call('GET', `/v1/transactions?fundId=${fundId}`);
    const trial = await t.call('GET', `/v1/funds/${fundId}/trial-balance`);
    const chain = await t.call('GET', `/v1/funds/${fundId}/verify`);
    return {
      balances: accounts.body.items.map((a: { code: string; balance: string }) => `${a.code}=${a.balance}`),
      journal: journal.body.items.length,
      trial: trial.body.accounts,
      chain: [chain.body.status, chain.body.transactions, chain.body.headHash],
    };
  };

  beforeAll(async () => {
    t = await startApp(backend);
    f = await createFund(t);
    [officer, otherOfficer, approver, secondApprover] = await Promise.all([
      t.keyFor('officer'),
      t.keyFor('officer'),
      t.keyFor('approver'),
      t.keyFor('approver'),
    ]);
    expect((await t.call('POST', '/v1/transactions', { body: transfer('2026-01-05', f.accounts.bank!, f.accounts.income!, '1000.00', '县财政拨款') })).status).toBe(201);
  });
  afterAll(async () => {
    await expectLedgerIntact(t);
    await t.close();
  });

  const draft = (body: object, token = officer) => t.call('POST', '/v1/vouchers', { body, ...as(token) });

  it('keeps a draft out of the books until another key approves it, then posts it with its month number', async () => {
    const before = await books(f.fundId);
    const drafted = await draft({ ...transfer('2026-01-20', f.accounts.expense!, f.accounts.bank!, '300.00', '临时救助 王𪚥'), attachments: 2 });
    expect(drafted.status, JSON.stringify(drafted.body)).toBe(201);
    expect(drafted.body).toMatchObject({ status: 'draft', version: 1, attachments: 2, fundIds: [f.fundId], transactionId: null, voucherNumbers: [], preparedByName: 'officer for tests' });
    expect(await books(f.fundId)).toEqual(before);

    const queue = await t.call('GET', `/v1/vouchers?status=draft&fundId=${f.fundId}`, as(approver));
    expect(queue.body.items.map((d: { id: string }) => d.id)).toContain(drafted.body.id);

    // The preparer can never be the reviewer: not even an admin's own draft.
    const own = await draft(transfer('2026-01-20', f.accounts.expense!, f.accounts.bank!, '1.00'), ADMIN_TOKEN);
    const self = await t.call('POST', `/v1/vouchers/${own.body.id}/approve`, { body: {} });
    expect(self.status).toBe(409);
    expect(self.body.code).toBe('approver_is_preparer');
    expect(await books(f.fundId)).toEqual(before);

    const approved = await t.call('POST', `/v1/vouchers/${drafted.body.id}/approve`, { body: { version: 1 }, ...as(approver) });
    expect(approved.status, JSON.stringify(approved.body)).toBe(200);
    expect(approved.body).toMatchObject({ status: 'posted', reviewedByName: 'approver for tests', preparedByName: 'officer for tests' });
    expect(approved.body.voucherNumbers).toEqual([{ fundId: f.fundId, period: '2026-01', number: 2, label: '记-2026-01-0002' }]);
    const posted = await t.call('GET', `/v1/transactions/${approved.body.transactionId}`);
    expect(posted.body).toMatchObject({ description: '临时救助 王𪚥', date: '2026-01-20', voucherNumbers: approved.body.voucherNumbers });
    const bank = await t.call('GET', `/v1/accounts/${f.accounts.bank}`);
    expect(bank.body.balance).toBe('700.00');
  });

  it('lets only the preparer correct or withdraw a draft, and refuses an approval of a version the reviewer did not read', async () => {
    const drafted = await draft(transfer('2026-01-21', f.accounts.expense!, f.accounts.bank!, '10.00', '医疗救助'));
    const body = transfer('2026-01-21', f.accounts.expense!, f.accounts.bank!, '12.00', '医疗救助（更正金额）');
    const stranger = await t.call('PUT', `/v1/vouchers/${drafted.body.id}`, { body, ...as(otherOfficer) });
    expect(stranger.status).toBe(403);
    expect(stranger.body.code).toBe('not_preparer');
    const corrected = await t.call('PUT', `/v1/vouchers/${drafted.body.id}`, { body, ...as(officer) });
    expect(corrected.status).toBe(200);
    expect(corrected.body).toMatchObject({ version: 2, description: '医疗救助（更正金额）', lines: [{ amount: '12.00' }, { amount: '12.00' }] });

    const stale = await t.call('POST', `/v1/vouchers/${drafted.body.id}/approve`, { body: { version: 1 }, ...as(approver) });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ code: 'voucher_changed', version: 2 });

    expect((await t.call('POST', `/v1/vouchers/${drafted.body.id}/withdrawal`, { body: { reason: '重复录入' }, ...as(otherOfficer) })).status).toBe(403);
    const withdrawn = await t.call('POST', `/v1/vouchers/${drafted.body.id}/withdrawal`, { body: { reason: '重复录入' }, ...as(officer) });
    expect(withdrawn.body).toMatchObject({ status: 'withdrawn', reason: '重复录入' });
    const late = await t.call('POST', `/v1/vouchers/${drafted.body.id}/approve`, as(approver));
    expect(late.status).toBe(409);
    expect(late.body).toMatchObject({ code: 'invalid_state', currentStatus: 'withdrawn' });
  });

  it('sends a rejected draft back to its preparer with the reason; corrected, it is reviewed again', async () => {
    const drafted = await draft(transfer('2026-01-22', f.accounts.expense!, f.accounts.bank!, '20.00', '生活补助'));
    const rejected = await t.call('POST', `/v1/vouchers/${drafted.body.id}/reject`, { body: { reason: '缺少审批表' }, ...as(approver) });
    expect(rejected.body).toMatchObject({ status: 'rejected', reason: '缺少审批表', reviewedByName: 'approver for tests' });
    expect((await t.call('POST', `/v1/vouchers/${drafted.body.id}/approve`, as(secondApprover))).status).toBe(409);
    const again = await t.call('PUT', `/v1/vouchers/${drafted.body.id}`, {
      body: { ...transfer('2026-01-22', f.accounts.expense!, f.accounts.bank!, '20.00', '生活补助'), attachments: 1 },
      ...as(officer),
    });
    expect(again.body).toMatchObject({ status: 'draft', reason: null, reviewedBy: null, version: 2 });
    expect((await t.call('POST', `/v1/vouchers/${drafted.body.id}/approve`, as(secondApprover))).body.status).toBe('posted');
  });

  it('refuses at drafting what could never post, and stores nothing', async () => {
    const unbalanced = await draft({ ...transfer('2026-01-23', f.accounts.expense!, f.accounts.bank!, '5.00'), lines: [
      { accountId: f.accounts.expense, direction: 'debit', amount: '5.00' },
      { accountId: f.accounts.bank, direction: 'credit', amount: '4.00' },
    ] });
    expect(unbalanced.status).toBe(422);
    expect(unbalanced.body.code).toBe('unbalanced_transaction');
    const unknown = await draft(transfer('2026-01-23', '00000000-0000-7000-8000-000000000000', f.accounts.bank!, '5.00'));
    expect(unknown.status).toBe(422);
    expect(unknown.body.code).toBe('unknown_account');
    const all = await t.call('GET', `/v1/vouchers?fundId=${f.fundId}&limit=500`);
    expect(all.body.items.some((d: { lines: { amount: string }[] }) => d.lines[1]?.amount === '4.00')).toBe(false);
  });

  it('checks the money available when it approves, not when it drafts', async () => {
    const fund = await createFund(t);
    await t.call('POST', '/v1/transactions', { body: transfer('2026-02-01', fund.accounts.bank!, fund.accounts.income!, '100.00') });
    const drafted = await draft(transfer('2026-02-02', fund.accounts.expense!, fund.accounts.bank!, '150.00', '超支'));
    expect(drafted.status).toBe(201);
    const before = await books(fund.fundId);
    const refused = await t.call('POST', `/v1/vouchers/${drafted.body.id}/approve`, as(approver));
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe('insufficient_funds');
    expect(await books(fund.fundId)).toEqual(before);
    expect((await t.call('GET', `/v1/vouchers/${drafted.body.id}`)).body).toMatchObject({ status: 'draft', transactionId: null });

    // Money comes in; the same draft now posts.
    await t.call('POST', '/v1/transactions', { body: transfer('2026-02-03', fund.accounts.bank!, fund.accounts.income!, '100.00') });
    expect((await t.call('POST', `/v1/vouchers/${drafted.body.id}/approve`, as(approver))).body.status).toBe('posted');
  });

  it('checks the period when it approves: a draft of a month closed meanwhile is refused', async () => {
    const fund = await createFund(t);
    await t.call('POST', '/v1/transactions', { body: transfer('2025-10-01', fund.accounts.bank!, fund.accounts.income!, '100.00') });
    const drafted = await draft(transfer('2025-10-15', fund.accounts.expense!, fund.accounts.bank!, '10.00'));
    expect(drafted.status).toBe(201);
    const closed = await t.call('POST', `/v1/funds/${fund.fundId}/periods/2025-10/close`, { body: { reason: '未导入银行对账单' } });
    expect(closed.status, JSON.stringify(closed.body)).toBe(200);
    const refused = await t.call('POST', `/v1/vouchers/${drafted.body.id}/approve`, as(approver));
    expect(refused.status).toBe(422);
    expect(refused.body.code).toBe('period_closed');
    expect((await t.call('GET', `/v1/vouchers/${drafted.body.id}`)).body.status).toBe('draft');
    // The preparer redates it into the open month, and it posts there.
    const redated = await t.call('PUT', `/v1/vouchers/${drafted.body.id}`, { body: transfer('2025-11-03', fund.accounts.expense!, fund.accounts.bank!, '10.00'), ...as(officer) });
    expect(redated.status).toBe(200);
    const posted = await t.call('POST', `/v1/vouchers/${drafted.body.id}/approve`, as(approver));
    expect(posted.body.voucherNumbers[0].label).toBe('记-2025-11-0001');
  });

  it('posts a draft once when two reviewers approve it at the same moment', async () => {
    const fund = await createFund(t);
    await t.call('POST', '/v1/transactions', { body: transfer('2026-03-01', fund.accounts.bank!, fund.accounts.income!, '100.00') });
    for (let round = 0; round < 3; round++) {
      const drafted = await draft(transfer('2026-03-02', fund.accounts.expense!, fund.accounts.bank!, '1.00'));
      const answers = await Promise.all([approver, secondApprover, approver].map((token) => t.call('POST', `/v1/vouchers/${drafted.body.id}/approve`, as(token))));
      expect(answers.map((a) => a.status).sort()).toEqual([200, 409, 409]);
    }
    const bank = await t.call('GET', `/v1/accounts/${fund.accounts.bank}`);
    expect(bank.body.balance).toBe('97.00');
    const journal = await t.call('GET', `/v1/transactions?fundId=${fund.fundId}`);
    expect(journal.body.items.map((x: { voucherNumbers: { label: string }[] }) => x.voucherNumbers[0]!.label)).toEqual([
      '记-2026-03-0001',
      '记-2026-03-0002',
      '记-2026-03-0003',
      '记-2026-03-0004',
    ]);
  });

  it('refuses hand-posting into a fund that requires review, pointing to /v1/vouchers', async () => {
    const fund = await createFund(t);
    const set = await t.call('PATCH', `/v1/funds/${fund.fundId}`, { body: { manualVouchersNeedReview: true } });
    expect(set.body.manualVouchersNeedReview).toBe(true);
    const direct = await t.call('POST', '/v1/transactions', { body: transfer('2026-03-01', fund.accounts.bank!, fund.accounts.income!, '50.00') });
    expect(direct.status).toBe(409);
    expect(direct.body).toMatchObject({ code: 'review_required', fundIds: [fund.fundId], draftAt: '/v1/vouchers' });
    expect(direct.body.detail).toContain('POST /v1/vouchers');
    const drafted = await draft(transfer('2026-03-01', fund.accounts.bank!, fund.accounts.income!, '50.00'));
    const posted = await t.call('POST', `/v1/vouchers/${drafted.body.id}/approve`, as(approver));
    expect(posted.body.status).toBe('posted');

    // A reversal is a hand voucher too: drafted, reviewed, then posted linked to the voucher.
    const reversedDirectly = await t.call('POST', `/v1/transactions/${posted.body.transactionId}/reversal`, { body: { reason: '金额错误' }, ...as(officer) });
    expect(reversedDirectly.status).toBe(409);
    expect(reversedDirectly.body).toMatchObject({ code: 'review_required', draftAt: '/v1/vouchers/reversals' });
    const reversal = await t.call('POST', '/v1/vouchers/reversals', { body: { transactionId: posted.body.transactionId, reason: '金额错误', date: '2026-03-02' }, ...as(officer) });
    expect(reversal.status, JSON.stringify(reversal.body)).toBe(201);
    expect(reversal.body).toMatchObject({
      status: 'draft',
      date: '2026-03-02',
      reverses: { transactionId: posted.body.transactionId, reason: '金额错误' },
      lines: [
        { accountId: fund.accounts.bank, direction: 'credit', amount: '50.00' },
        { accountId: fund.accounts.income, direction: 'debit', amount: '50.00' },
      ],
    });
    expect((await t.call('GET', `/v1/accounts/${fund.accounts.bank}`)).body.balance).toBe('50.00');
    const changed = await t.call('PUT', `/v1/vouchers/${reversal.body.id}`, { body: transfer('2026-03-02', fund.accounts.bank!, fund.accounts.income!, '1.00'), ...as(officer) });
    expect(changed.body.code).toBe('invalid_state');
    expect((await t.call('POST', `/v1/vouchers/${reversal.body.id}/approve`, as(officer))).status).toBe(403);
    const reversed = await t.call('POST', `/v1/vouchers/${reversal.body.id}/approve`, as(approver));
    expect(reversed.body.status).toBe('posted');
    expect((await t.call('GET', `/v1/transactions/${reversed.body.transactionId}`)).body).toMatchObject({ reversesTransactionId: posted.body.transactionId, reversalReason: '金额错误' });
    expect((await t.call('GET', `/v1/accounts/${fund.accounts.bank}`)).body.balance).toBe('0.00');
    const print = await t.call('GET', `/v1/transactions/${reversed.body.transactionId}/voucher`);
    expect(print.body).toMatchObject({ reversal: { transactionId: posted.body.transactionId }, preparedByName: 'officer for tests', reviewedByName: 'approver for tests' });
    const again = await t.call('POST', '/v1/vouchers/reversals', { body: { transactionId: posted.body.transactionId, reason: '再次' }, ...as(officer) });
    expect(again.body.code).toBe('already_reversed');
  });
});

describe.each(backends)('voucher numbers within fund and month on $name', (backend) => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(backend);
  });
  afterAll(async () => {
    await expectLedgerIntact(t);
    await t.close();
  });

  it('numbers each fund’s month 1, 2, 3… without gaps, a refused posting taking no number', async () => {
    const a = await createFund(t);
    const b = await createFund(t);
    const post = (fund: FundFixture, date: string, amount: string, from = 'income', to = 'bank') =>
      t.call('POST', '/v1/transactions', { body: transfer(date, fund.accounts[to]!, fund.accounts[from]!, amount) });
    const labels: string[] = [];
    const label = (r: { body: { voucherNumbers: { label: string }[] } }) => labels.push(r.body.voucherNumbers.map((n) => n.label).join(','));
    label(await post(a, '2026-04-01', '10.00'));
    label(await post(b, '2026-04-02', '10.00'));
    label(await post(a, '2026-05-01', '10.00'));
    // Refused for overdraft: a posting that rolls back leaves no gap.
    expect((await post(a, '2026-04-03', '999.00', 'bank', 'expense')).status).toBe(422);
    label(await post(a, '2026-04-03', '5.00', 'bank', 'expense'));
    // Many at once, in one posting group.
    const burst = await Promise.all(Array.from({ length: 6 }, () => post(a, '2026-05-02', '1.00')));
    expect(labels).toEqual(['记-2026-04-0001', '记-2026-04-0001', '记-2026-05-0001', '记-2026-04-0002']);
    expect(burst.map((r) => r.body.voucherNumbers[0].number).sort((x: number, y: number) => x - y)).toEqual([2, 3, 4, 5, 6, 7]);
    // A reversal is numbered in its own month as any voucher, and says so in its answer.
    const first = (await t.call('GET', `/v1/transactions?fundId=${a.fundId}`)).body.items[0];
    const reversal = await t.call('POST', `/v1/transactions/${first.id}/reversal`, { body: { reason: '金额错误', date: '2026-05-03' } });
    expect(reversal.status, JSON.stringify(reversal.body)).toBe(201);
    expect(reversal.body.voucherNumbers).toEqual([{ fundId: a.fundId, period: '2026-05', number: 8, label: '记-2026-05-0008' }]);

    // The fund's verification counts them: intact, then a number lost behind the triggers' back is found.
    const intact = await t.call('GET', `/v1/funds/${a.fundId}/verify`);
    expect(intact.body.status, JSON.stringify(intact.body.checks)).toBe('intact');
    await t.database.db.transaction(async (tx) => {
      await tx.execute(sql`set local session_replication_role = replica`);
      await tx.execute(sql`delete from voucher_numbers where fund_id = ${a.fundId} and period = '2026-05' and number = 3`);
    });
    const broken = await t.call('GET', `/v1/funds/${a.fundId}/verify`);
    const numbers = broken.body.checks.find((c: { name: string }) => c.name === 'voucher_numbers');
    expect(numbers.findings.map((f: { problem: string; message: string }) => [f.problem, f.message])).toEqual([
      ['month_numbers_missing', 'Voucher 记-2026-05-0003 of the fund is missing.'],
      ['month_number_wrong', expect.stringMatching(/has lines in the fund but no number within the fund's month/)],
    ]);
  });
});

// Two service instances on one database run their own posting groups: only the draft's row lock keeps
// two approvals of one draft, one sent to each, from posting it twice.
describe.runIf(realPostgres)('one draft approved through two service instances at once (PostgreSQL)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp(realPostgres!);
  });
  afterAll(async () => {
    await expectLedgerIntact(t);
    await t.close();
  });

  it('posts it once', async () => {
    const config = loadConfig({ LEDGER_ADMIN_TOKEN: ADMIN_TOKEN, LOG_LEVEL: 'silent', LEDGER_RATE_LIMIT: '0' });
    const instances = [
      await buildApp({ config, database: t.database, idHashKey: ID_HASH_KEY }),
      await buildApp({ config, database: t.database, idHashKey: ID_HASH_KEY }),
    ];
    try {
      const f = await createFund(t);
      await t.call('POST', '/v1/transactions', { body: transfer('2026-06-01', f.accounts.bank!, f.accounts.income!, '100.00') });
      const [officer, first, second] = await Promise.all([t.keyFor('officer'), t.keyFor('approver'), t.keyFor('approver')]);
      for (let round = 0; round < 5; round++) {
        const drafted = await t.call('POST', '/v1/vouchers', { body: transfer('2026-06-02', f.accounts.expense!, f.accounts.bank!, '10.00'), token: officer });
        const replies = await Promise.all(
          [first, second, first, second].map((token, i) =>
            instances[i % 2]!.inject({ method: 'POST', url: `/v1/vouchers/${drafted.body.id}/approve`, headers: { authorization: `Bearer ${token}` } }),
          ),
        );
        expect(replies.map((r) => r.statusCode).sort()).toEqual([200, 409, 409, 409]);
      }
      expect((await t.call('GET', `/v1/accounts/${f.accounts.bank}`)).body.balance).toBe('50.00');
    } finally {
      for (const instance of instances) await instance.close();
    }
  });
});
