import type { BankItem, BookItem, Reconciliation } from '../bank/reconciliation.js';
import { fundLabel } from './common.js';
import type { Block, Presentation } from './document.js';

/** The 银行存款余额调节表 as printed: the two sides, each list of outstanding items, and why it does not agree. */
export function presentBankReconciliation(r: Reconciliation): Presentation {
  const money = { align: 'right' as const, money: true };
  const stale = (i: { stale: boolean; ageDays: number }) => `${i.ageDays}${i.stale ? ' 逾期 stale' : ''}`;
  const bankTable = (title: string, list: { items: BankItem[]; total: string }): Block[] => [
    { type: 'heading', text: title },
    {
      type: 'table',
      table: {
        columns: [
          { header: '日期 Date', width: 1.1 },
          { header: '流水号 Bank ref.', width: 1.6 },
          { header: '对方户名 Counterparty', width: 2 },
          { header: '摘要 Memo', width: 2.2 },
          { header: '天数 Days', width: 0.9, align: 'right' },
          { header: '金额 Amount', width: 1.4, ...money },
        ],
        rows: list.items.map((i) => [i.date, i.bankReference ?? '', i.counterpartyName ?? '', i.memo ?? '', stale(i), i.amount]),
        total: ['合计 Total', '', '', '', '', list.total],
        empty: '无 None',
      },
    },
  ];
  const bookTable = (title: string, list: { items: BookItem[]; total: string }): Block[] => [
    { type: 'heading', text: title },
    {
      type: 'table',
      table: {
        columns: [
          { header: '日期 Date', width: 1.1 },
          { header: '凭证号 Voucher', width: 0.9, align: 'right' },
          { header: '摘要 Description', width: 3.3 },
          { header: '参考号 Reference', width: 1.6 },
          { header: '天数 Days', width: 0.9, align: 'right' },
          { header: '金额 Amount', width: 1.4, ...money },
        ],
        rows: list.items.map((i) => [i.date, String(i.number), i.description, i.references.join(' '), stale(i), i.amount]),
        total: ['合计 Total', '', '', '', '', list.total],
        empty: '无 None',
      },
    },
  ];
  const account = [r.fund.bankName, r.fund.bankAccountNumber].filter(Boolean).join(' ');
  return {
    title: '银行存款余额调节表 Bank reconciliation',
    fund: fundLabel(r.fund),
    period: `${r.period}（截至 As of ${r.asOf}）`,
    subject: account ? `专户 Account：${account}` : undefined,
    fileName: `bank-reconciliation-${r.fund.code}-${r.period}`,
    blocks: [
      {
        type: 'table',
        table: {
          columns: [
            { header: '项目 Item', width: 3 },
            { header: '金额 Amount', width: 1.3, ...money },
            { header: '项目 Item', width: 3 },
            { header: '金额 Amount', width: 1.3, ...money },
          ],
          rows: [
            ['单位账面余额 Book balance', r.bookBalance, '银行对账单余额 Bank balance', r.bankBalance ?? ''],
            ['加：银行已收、单位未收 Add: in bank, not in books', r.bankInNotBooked.total, '加：单位已收、银行未收 Add: in books, not in bank', r.bookInNotBanked.total],
            ['减：银行已付、单位未付 Less: paid by bank, not in books', r.bankOutNotBooked.total, '减：单位已付、银行未付 Less: paid in books, not by bank', r.bookOutNotBanked.total],
          ],
          total: ['调节后余额 Adjusted balance', r.adjustedBookBalance, '调节后余额 Adjusted balance', r.adjustedBankBalance ?? ''],
        },
      },
      {
        type: 'text',
        text: r.agrees
          ? '调节相符 The adjusted balances agree.'
          : `调节不符 NOT reconciled: ${r.reasons.join('; ')}.`,
      },
      ...(r.staleItems ? [{ type: 'text' as const, text: `逾期未达 ${r.staleItems} 项：未达超过 ${r.staleDays} 天 (stale: outstanding over ${r.staleDays} days).` }] : []),
      ...bankTable('银行已收、单位未收 In bank, not in books', r.bankInNotBooked),
      ...bankTable('银行已付、单位未付 Paid by bank, not in books', r.bankOutNotBooked),
      ...bookTable('单位已收、银行未收 In books, not in bank', r.bookInNotBanked),
      ...bookTable('单位已付、银行未付 Paid in books, not by bank', r.bookOutNotBanked),
    ],
  };
}
