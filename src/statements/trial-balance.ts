import type { Executor } from '../db/client.js';
import { trialBalance, type TrialBalance } from '../ledger/queries.js';
import { type FundRef, fundLabel, fundRef } from './common.js';
import type { Presentation } from './document.js';

/** The trial balance (试算平衡表) of a fund at the end of a day, with the fund it is of. */
export interface TrialBalanceStatement extends TrialBalance {
  fund: FundRef;
}

export async function buildTrialBalanceStatement(tx: Executor, params: { fundId: string; asOf: string }): Promise<TrialBalanceStatement> {
  const fund = await fundRef(tx, params.fundId);
  return { ...(await trialBalance(tx, params.fundId, params.asOf)), fund };
}

const typeNames = { asset: '资产', liability: '负债', equity: '净资产', income: '收入', expense: '支出' } as const;

export function presentTrialBalance(s: TrialBalanceStatement): Presentation {
  const money = { align: 'right' as const, money: true };
  return {
    title: '试算平衡表 Trial balance',
    fund: fundLabel(s.fund),
    period: `截至 As of ${s.asOf}`,
    fileName: `trial-balance-${s.fund.code}-${s.asOf}`,
    blocks: [
      {
        type: 'table',
        table: {
          columns: [
            { header: '科目编码 Code', width: 80 },
            { header: '科目名称 Account', width: 140 },
            { header: '类型 Type', width: 34 },
            { header: '借方发生额 Debits', width: 75, ...money },
            { header: '贷方发生额 Credits', width: 75, ...money },
            { header: '借方余额 Dr balance', width: 75, ...money },
            { header: '贷方余额 Cr balance', width: 75, ...money },
          ],
          rows: s.accounts.map((a) => {
            // The balance printed on the side it stands on; the other side left blank.
            const onDebit = a.balanceSide === 'debit';
            const size = a.balance.startsWith('-') ? a.balance.slice(1) : a.balance;
            return [a.code, a.name, typeNames[a.type], a.debitTotal, a.creditTotal, onDebit ? size : '', onDebit ? '' : size];
          }),
          total: ['', '合计 Total', '', s.totals.debitTotal, s.totals.creditTotal, s.totals.debitBalances, s.totals.creditBalances],
          empty: '无科目 No accounts',
        },
      },
      { type: 'text', text: s.balanced ? '借贷平衡 Debits equal credits: balanced.' : '借贷不平衡 NOT balanced: debits differ from credits.' },
    ],
  };
}
