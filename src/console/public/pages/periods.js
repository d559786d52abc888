// 会计期间: a fund's months, closed (结账) or open, with who closed or reopened them; an admin closes an
// ended month (its balances snapshotted, postings dated in it refused from then on) or reopens the latest
// closed one with a reason. Refusals (a month not ended, one that is not the latest closed) show in its row;
// a month whose bank reconciliation does not agree is closed only with a reason, asked for in the row.
import { api } from '../api.js';
import { clear, h, localTime, noFunds, pager, plainMessage, section, table } from '../ui.js';

export default {
  title: '会计期间',
  permission: 'read',
  async render(main, ctx) {
    const funds = await ctx.funds();
    if (!funds.length) return noFunds(main, '会计期间');
    const isAdmin = ctx.me.permissions.includes('admin');
    const body = h('div', {});
    const picker = await ctx.fundPicker(() => show());
    clear(main, h('div', { class: 'toolbar' }, h('h1', {}, '会计期间'), picker), body);
    show();

    function show() {
      const fundId = picker.value;
      const list = pager(
        (cursor) => api.get(`/v1/funds/${encodeURIComponent(fundId)}/periods`, { limit: 24, cursor }),
        (items) =>
          table(
            [
              { title: '月份', value: (p) => p.period },
              { title: '状态', value: (p) => (p.status === 'closed' ? '已结账' : '未结账') },
              { title: '本月有凭证', value: (p) => (p.hasPostings ? '有' : '无') },
              { title: '结账', value: (p) => (p.closedAt ? `${localTime(p.closedAt)} ${p.closedByName ?? ''}${p.closeReason ? `（对账不符，原因：${p.closeReason}）` : ''}` : '—') },
              { title: '反结账', value: (p) => (p.reopenedAt ? `${localTime(p.reopenedAt)} ${p.reopenedByName ?? ''}：${p.reopenReason ?? ''}` : '—') },
              isAdmin ? { title: '操作', value: (p) => actions(fundId, p, show) } : null,
            ].filter(Boolean),
            items,
            { empty: '本基金还没有会计期间（第一笔凭证所在的月份起算）。' },
          ),
      );
      clear(body, section('各月结账情况', list));
    }
  },
};

/** Close an open month, or reopen a closed one with a reason: each a write of its own, refusals in the row. */
function actions(fundId, p, refresh) {
  const box = h('span', {});
  const path = `/v1/funds/${encodeURIComponent(fundId)}/periods/${p.period}`;
  const fail = (error) => box.append(h('p', { class: 'form-error', role: 'alert' }, plainMessage(error)));
  if (p.status === 'open') {
    // A month whose bank reconciliation does not agree closes only with a reason: asked for once refused.
    const closeWithReason = (error) => {
      fail(error);
      if (error.code !== 'not_reconciled') return;
      const why = h('input', { name: 'closeReason', maxlength: 500, size: 16, placeholder: '结账原因', 'aria-label': `${p.period} 对账不符仍结账的原因` });
      const send = () => {
        if (!why.value.trim()) return fail({ code: 'validation_failed', problem: { detail: '请填写原因。' } });
        return api.post(`${path}/close`, { reason: why.value.trim() }).then(refresh, fail);
      };
      box.append(why, ' ', h('button', { type: 'button', onclick: send }, `说明原因后结账 ${p.period}`));
    };
    return clear(box, h('button', { type: 'button', onclick: () => api.post(`${path}/close`).then(refresh, closeWithReason) }, `结账 ${p.period}`));
  }
  const reason = h('input', { name: 'reason', maxlength: 500, size: 16, placeholder: '反结账原因', 'aria-label': `${p.period} 反结账原因` });
  const reopen = () => {
    if (!reason.value.trim()) return fail({ code: 'validation_failed', problem: { detail: '请填写反结账原因。' } });
    return api.post(`${path}/reopen`, { reason: reason.value.trim() }).then(refresh, fail);
  };
  return clear(box, reason, ' ', h('button', { type: 'button', onclick: reopen }, `反结账 ${p.period}`));
}
