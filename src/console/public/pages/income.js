// 收入: money a fund receives that is not a dividend — a donation (社会捐赠) or a fiscal transfer (财政转移) —
// recorded with its payer and bank slip, booked at once as one voucher; the fund's receipts listed.
import { api } from '../api.js';
import { formatMoney } from '../money.js';
import { clear, dateInput, field, fieldError, h, noFunds, onSubmit, pager, readAmount, section, select, table, today, who } from '../ui.js';

const SOURCES = { donation: '社会捐赠', fiscal_transfer: '财政转移' };

export default {
  title: '收入',
  permission: 'read',
  async render(main, ctx) {
    const funds = await ctx.funds();
    if (!funds.length) return noFunds(main, '收入');
    const canRecord = ctx.me.permissions.includes('record');
    const body = h('div', {});
    const picker = await ctx.fundPicker(() => show());
    clear(main, h('div', { class: 'toolbar' }, h('h1', {}, '收入'), picker), body);

    function show() {
      const fundId = ctx.state.fundId;
      const list = h('div', {});
      const showList = () =>
        clear(
          list,
          pager(
            (cursor) => api.get(`/v1/funds/${encodeURIComponent(fundId)}/income`, { limit: 20, cursor }),
            (items) =>
              table(
                [
                  { title: '到账日期', value: (r) => r.date },
                  { title: '来源', value: (r) => SOURCES[r.source] ?? r.source },
                  { title: '付款单位', value: (r) => r.payer },
                  { title: '金额（元）', class: 'num', value: (r) => formatMoney(r.amount) },
                  { title: '银行回单号', value: (r) => r.reference ?? '' },
                  { title: '记账凭证', class: 'num', value: (r) => `第 ${r.transactionNumber} 号` },
                  { title: '登记人', value: (r) => who(ctx, r.createdBy, r.createdByName) },
                ],
                items,
                { empty: '还没有登记收入。' },
              ),
          ),
        );
      clear(body, canRecord ? section('登记收入', incomeForm(fundId, showList)) : null, section('收入记录', list));
      showList();
    }
    show();
  },
};

function incomeForm(fundId, recorded) {
  const source = select('source', Object.entries(SOURCES).map(([value, text]) => ({ value, text })), 'donation');
  const payer = h('input', { name: 'payer', required: true, maxlength: 200, placeholder: '如 某银行某县支行' });
  const date = dateInput({ name: 'date', required: true, value: today() });
  const amount = h('input', { name: 'amount', required: true, inputmode: 'decimal', autocomplete: 'off', placeholder: '例如 100,000.00' });
  const reference = h('input', { name: 'reference', maxlength: 200, placeholder: '银行回单或拨款文号' });
  const done = h('div', { role: 'status' });
  const form = h(
    'form',
    { class: 'inline', 'aria-label': '登记收入' },
    field('source', '来源', source),
    field('payer', '付款单位', payer),
    field('date', '到账日期', date),
    field('amount', '金额（元）', amount),
    field('reference', '回单号', reference),
    h('button', { type: 'submit', class: 'primary' }, '登记入账'),
  );
  form.addEventListener(
    'submit',
    onSubmit(form, async (key) => {
      clear(done);
      if (!payer.value.trim()) throw fieldError('payer', '请填写付款单位。');
      const body = { source: source.value, payer: payer.value.trim(), date: date.value.trim(), amount: readAmount(amount, 'amount') };
      if (reference.value.trim()) body.reference = reference.value.trim();
      const receipt = await api.post(`/v1/funds/${encodeURIComponent(fundId)}/income`, body, { idempotencyKey: key });
      amount.value = '';
      reference.value = '';
      clear(done, h('p', { class: 'notice' }, `已入账：${receipt.date} ${SOURCES[receipt.source]} ${formatMoney(receipt.amount)} 元，记账凭证第 ${receipt.transactionNumber} 号。`));
      recorded();
    }),
  );
  return h('div', {}, form, done);
}
