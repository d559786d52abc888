// 批次: the fund's disbursement batches (monthly living allowances …) by date, with their totals, who
// requested, approved and paid them, and each batch's lines on demand. Requesting, approving and paying
// a batch are on 支付.
import { api } from '../api.js';
import {
  clear, dateInput, field, h, label, money, noFunds, pager, section, select, shortTime, showError, table, who,
} from '../ui.js';

const STATUSES = ['requested', 'approved', 'paid', 'failed'];
const countOf = (b) => Object.values(b.byStatus).reduce((n, s) => n + s.count, 0);

export default {
  title: '批次',
  permission: 'read',
  async render(main, ctx) {
    const funds = await ctx.funds();
    if (!funds.length) return noFunds(main, '批次');
    const body = h('div', {});
    const picker = await ctx.fundPicker(() => show());
    clear(main, h('div', { class: 'toolbar' }, h('h1', {}, '批量支付批次'), picker), body);
    show();

    function show() {
      const fund = funds.find((f) => f.id === picker.value) ?? funds[0];
      const status = select('status', [{ value: '', text: '全部状态' }, ...STATUSES.map((s) => ({ value: s, text: label('disbursementStatus', s) }))], '');
      const from = dateInput({ name: 'from' });
      const to = dateInput({ name: 'to' });
      const list = h('div', {});
      const lines = h('div', {});
      const form = h(
        'form',
        { class: 'inline toolbar', onsubmit: (event) => { event.preventDefault(); refresh(); } },
        field('status', '状态', status),
        field('from', '批次日期从', from),
        field('to', '至', to),
        h('button', { type: 'submit' }, '查询'),
      );

      function showLines(batch) {
        clear(
          lines,
          section(
            `批次明细：${batch.description}（${batch.date}）`,
            pager(
              (cursor) => api.get(`/v1/disbursement-batches/${batch.id}`, { limit: 50, cursor }).then((b) => ({ items: b.items, nextCursor: b.nextCursor })),
              (items) =>
                table(
                  [
                    { title: '农户', value: (d) => h('a', { href: `#/households/${encodeURIComponent(d.householdId)}` }, d.householdCode) },
                    { title: '状态', value: (d) => label('disbursementStatus', d.status) },
                    { title: '金额（元）', class: 'num', value: (d) => money(d.amount) },
                    { title: '失败原因', value: (d) => d.failureReason ?? '' },
                  ],
                  items,
                ),
            ),
          ),
        );
        lines.scrollIntoView?.({ block: 'start' });
      }

      function refresh() {
        showError(form, null);
        clear(lines);
        clear(
          list,
          pager(
            (cursor) => api.get('/v1/disbursement-batches', { fundId: fund.id, status: status.value, from: from.value, to: to.value, limit: 20, cursor }),
            (items) =>
              table(
                [
                  { title: '日期', value: (b) => b.date },
                  { title: '说明', value: (b) => b.description },
                  { title: '类别', value: (b) => label('category', b.category) },
                  { title: '状态', value: (b) => label('disbursementStatus', b.status) },
                  { title: '户数', class: 'num', value: (b) => String(countOf(b)) },
                  { title: '合计（元）', class: 'num', value: (b) => money(b.total) },
                  { title: '申请人', value: (b) => who(ctx, b.requestedBy, b.requestedByName) },
                  { title: '审批人', value: (b) => who(ctx, b.approvedBy, b.approvedByName) },
                  { title: '支付', value: (b) => (b.paidAt ? `${shortTime(b.paidAt)} ${who(ctx, b.paidBy, b.paidByName)} 回单 ${b.bankReference}` : '') },
                  { title: '明细', value: (b) => h('button', { type: 'button', class: 'link', onclick: () => showLines(b) }, '各户明细') },
                ],
                items,
                { empty: '没有符合条件的批次' },
              ),
            { form },
          ),
        );
      }
      clear(body, section('批次一览', form, list), lines);
      refresh();
    }
  },
};
