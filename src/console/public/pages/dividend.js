// 登记分红: an industry's dividend, split among villages by the rule in force on its date. The split is
// previewed to the fen (by the API, with the same rule and arithmetic as the posting) before anything is
// booked; after posting, the voucher is shown line by line.
import { api } from '../api.js';
import { formatMoney, sumMoney } from '../money.js';
import {
  clear, dateInput, field, h, money, readAmount, section, showError, table, today,
} from '../ui.js';

const ROLE = { project: '项目所在村', radiating: '辐射村' };

export default {
  title: '登记分红',
  permission: 'record',
  async render(main, ctx) {
    const industries = await api.all('/v1/industries');
    if (!industries.length) {
      return clear(
        main,
        h('h1', {}, '登记分红'),
        section('登记分红', h('p', { class: 'empty' }, '本密钥管辖范围内还没有登记资产收益项目：请先在', h('a', { href: '#/industries' }, '“产业”页'), '登记项目及其分配规则。')),
      );
    }
    const funds = new Map((await ctx.funds()).map((f) => [f.id, f]));
    const industry = h(
      'select',
      { name: 'industryId' },
      industries.map((i) => h('option', { value: i.id }, `${i.name}${funds.get(i.fundId) ? `（${funds.get(i.fundId).name}）` : ''}`)),
    );
    const date = dateInput({ name: 'date', value: today(), required: true });
    const amount = h('input', { name: 'amount', inputmode: 'decimal', autocomplete: 'off', placeholder: '例如 132,000.00', required: true });
    const reference = h('input', { name: 'reference', maxlength: 200, placeholder: '企业付款凭证或银行回单号' });
    const preview = h('div', { class: 'preview' });
    const result = h('div', {});
    const post = h('button', { type: 'submit', class: 'primary', disabled: true }, '确认入账');
    // The split shown, and the key its posting will carry: one preview, at most one dividend booked.
    let shown = null;

    const form = h(
      'form',
      { onsubmit: (event) => { event.preventDefault(); book(); } },
      h('div', { class: 'toolbar' },
        field('industryId', '资产收益项目', industry),
        field('date', '到账日期', date),
        field('amount', '分红金额（元）', amount),
        field('reference', '凭证号', reference)),
      h('div', { class: 'toolbar' }, h('button', { type: 'button', onclick: () => showPreview() }, '预览分配'), post),
      preview,
    );
    for (const input of [industry, date, amount]) input.addEventListener('change', () => showPreview());
    const history = h('a', { href: `#/industries/${encodeURIComponent(industry.value)}` }, '该项目的分红记录（作废录错的分红）');
    industry.addEventListener('change', () => history.setAttribute('href', `#/industries/${encodeURIComponent(industry.value)}`));
    clear(main, h('div', { class: 'toolbar' }, h('h1', {}, '登记分红'), history), section('登记分红（资产收益）', form), result);

    /** The inputs the split depends on, as the API takes them, or a field error shown and null. */
    function inputs() {
      try {
        return { industryId: industry.value, date: date.value, amount: readAmount(amount, 'amount') };
      } catch (error) {
        showError(form, error);
        return null;
      }
    }

    async function showPreview() {
      showError(form, null);
      post.disabled = true;
      shown = null;
      clear(preview);
      if (!amount.value.trim()) return;
      const input = inputs();
      if (!input) return;
      try {
        const split = await api.get(`/v1/industries/${input.industryId}/dividends/preview`, { date: input.date, amount: input.amount });
        shown = { input, key: crypto.randomUUID() };
        const total = sumMoney(split.allocations.map((a) => a.amount));
        clear(
          preview,
          h('h3', {}, `按分配规则第 ${split.ruleVersion} 版分配 ${formatMoney(split.amount)} 元`),
          table(
            [
              { title: '村', value: (a) => `${a.villageName}（${a.villageCode}）` },
              { title: '类别', value: (a) => ROLE[a.role] ?? a.role },
              { title: '分得金额（元）', class: 'num', value: (a) => money(a.amount) },
            ],
            split.allocations,
          ),
          h('p', { class: 'notice' }, `合计 ${formatMoney(total)} 元，与分红金额${total === split.amount ? '一致，分毫不差' : '不一致！请勿入账'}。`),
        );
        post.disabled = total !== split.amount;
      } catch (error) {
        showError(form, error);
      }
    }

    async function book() {
      showError(form, null);
      if (!shown) return showPreview();
      const { input, key } = shown;
      post.disabled = true;
      try {
        const { industryId, ...split } = input;
        // The reference as it stands now: typing it after the preview does not change the split. Should
        // it change after an attempt whose answer was lost, the key refuses the second body rather than book twice.
        const body = { ...split, reference: reference.value.trim() || undefined };
        const dividend = await api.post(`/v1/industries/${industryId}/dividends`, body, { idempotencyKey: key });
        const [voucher, accounts] = await Promise.all([
          api.get(`/v1/transactions/${dividend.transactionId}`),
          api.all(`/v1/funds/${dividend.fundId}/accounts`),
        ]);
        shown = null;
        clear(preview);
        amount.value = '';
        reference.value = '';
        showVoucher(voucher, new Map(accounts.map((a) => [a.id, a])));
      } catch (error) {
        post.disabled = false;
        showError(form, error);
      }
    }

    function showVoucher(voucher, accounts) {
      const debit = sumMoney(voucher.lines.filter((l) => l.direction === 'debit').map((l) => l.amount));
      const credit = sumMoney(voucher.lines.filter((l) => l.direction === 'credit').map((l) => l.amount));
      clear(
        result,
        section(
          `已入账：记账凭证第 ${voucher.number} 号`,
          h('p', { class: 'notice', role: 'status' }, `${voucher.date} ${voucher.description}${voucher.reference ? `，凭证号 ${voucher.reference}` : ''}`),
          table(
            [
              { title: '行', value: (l) => l.lineNo },
              { title: '科目', value: (l) => (accounts.get(l.accountId) ? `${accounts.get(l.accountId).code} ${accounts.get(l.accountId).name}` : l.accountId) },
              { title: '摘要', value: (l) => l.memo ?? '' },
              { title: '借方（元）', class: 'num', value: (l) => (l.direction === 'debit' ? money(l.amount) : '') },
              { title: '贷方（元）', class: 'num', value: (l) => (l.direction === 'credit' ? money(l.amount) : '') },
            ],
            voucher.lines,
          ),
          h('p', {}, `借方合计 ${formatMoney(debit)} 元，贷方合计 ${formatMoney(credit)} 元。`),
        ),
      );
    }
  },
};
