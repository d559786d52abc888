// 基金概览: a fund's money at a glance — bank balance, reserved, available; the year's income by source
// and payments by category; money in and out month by month; each village's allocation against spending.
import { api } from '../api.js';
import { monthlyChart, villageChart } from '../charts.js';
import { clear, errorBlock, figures, h, label, money, noFunds, section, table, today, villageLabel } from '../ui.js';

const lastDay = (year, month) => new Date(Date.UTC(year, month, 0)).getUTCDate();
const pad = (n) => String(n).padStart(2, '0');

/** Runs `work` over `items`, at most `width` at a time, keeping their order. */
async function inBatches(items, width, work) {
  const results = [];
  for (let i = 0; i < items.length; i += width) results.push(...(await Promise.all(items.slice(i, i + width).map(work))));
  return results;
}

/** Each village's allocated, spent and remaining money in the fund, at the end of `asOf`. */
async function villagesOf(fundId, asOf) {
  const villages = await api.all('/v1/villages');
  const rows = await inBatches(villages, 6, async (v) => {
    const { funds } = await api.get(`/v1/villages/${v.id}/allocations`, { asOf });
    const mine = funds.find((f) => f.fundId === fundId);
    return mine && { village: v, ...mine };
  });
  return rows.filter(Boolean);
}

export default {
  title: '基金概览',
  permission: 'report',
  async render(main, ctx) {
    const funds = await ctx.funds();
    if (!funds.length) return noFunds(main, '基金概览');
    const now = today();
    const thisYear = Number(now.slice(0, 4));
    const year = h('select', { name: 'year', 'aria-label': '年度' }, [0, 1, 2, 3, 4].map((d) => h('option', { value: thisYear - d }, `${thisYear - d} 年`)));
    const body = h('div', {});
    const picker = await ctx.fundPicker(() => show());
    year.addEventListener('change', () => show());
    clear(main, h('div', { class: 'toolbar' }, h('h1', {}, '基金概览'), picker, year), body);

    async function show() {
      const fundId = picker.value;
      const y = Number(year.value);
      const to = y === thisYear ? now : `${y}-12-31`;
      clear(body, h('p', { class: 'loading' }, '正在汇总…'));
      try {
        const months = Array.from({ length: y === thisYear ? Number(now.slice(5, 7)) : 12 }, (_, i) => i + 1);
        const [year_, monthly, villages] = await Promise.all([
          api.get(`/v1/funds/${fundId}/statement`, { from: `${y}-01-01`, to, format: 'json' }),
          inBatches(months, 4, (m) =>
            api.get(`/v1/funds/${fundId}/statement`, {
              from: `${y}-${pad(m)}-01`,
              to: y === thisYear && m === months.length ? now : `${y}-${pad(m)}-${pad(lastDay(y, m))}`,
              format: 'json',
            }),
          ),
          villagesOf(fundId, to),
        ]);
        clear(body, ...content(year_, monthly, villages, y));
      } catch (error) {
        clear(body, errorBlock(error));
      }
    }
    await show();
  },
};

function content(statement, monthly, villages, year) {
  const totals = figures([
    ['银行存款', statement.closingBalance],
    ['已审批待支付（冻结）', statement.reserved],
    ['可用余额', statement.available],
    [`${year} 年收入`, statement.income.total],
    [`${year} 年支出`, statement.outgoings.total],
  ]);
  const income = table(
    [
      { title: '来源', value: (r) => r.name },
      { title: '金额（元）', class: 'num', value: (r) => money(r.amount) },
    ],
    ['dividends', 'donations', 'fiscalTransfers', 'insuranceRefunds', 'other'].map((k) => ({ name: label('income', k), amount: statement.income[k] })),
  );
  const outgoings = table(
    [
      { title: '类别', value: (r) => r.name },
      { title: '金额（元）', class: 'num', value: (r) => money(r.amount) },
    ],
    [
      ...statement.outgoings.byCategory.map((c) => ({ name: c.name || label('category', c.category), amount: c.amount })),
      { name: '防贫保保费', amount: statement.outgoings.insurancePremiums },
      { name: '其他', amount: statement.outgoings.other },
    ],
  );
  const months = monthly.map((m, i) => ({ label: `${i + 1}月`, in: m.income.total, out: m.outgoings.total }));
  const monthTable = table(
    [
      { title: '月份', value: (r) => r.label },
      { title: '收入（元）', class: 'num', value: (r) => money(r.in) },
      { title: '支出（元）', class: 'num', value: (r) => money(r.out) },
    ],
    months,
  );
  const villageTable = table(
    [
      { title: '村', value: (r) => villageLabel(r.village) },
      { title: '已分配（元）', class: 'num', value: (r) => money(r.allocated) },
      { title: '已支出（元）', class: 'num', value: (r) => money(r.spent) },
      { title: '结余（元）', class: 'num', value: (r) => money(r.remaining) },
    ],
    villages,
    { empty: '本基金还没有分配到村的收益。' },
  );
  return [
    section(`${statement.fund.code} ${statement.fund.name}`, totals, statement.reconciles ? null : h('p', { class: 'form-error' }, '注意：本期收支与银行余额不能勾稽，请核查。')),
    h('div', { class: 'grid' }, section(`${year} 年收入（按来源）`, income), section(`${year} 年支出（按类别）`, outgoings)),
    section(
      '逐月收支',
      h('p', { class: 'legend' }, h('span', {}, h('i', { class: 'swatch in' }), '收入'), h('span', {}, h('i', { class: 'swatch out' }), '支出')),
      h('div', { class: 'grid' }, h('div', { class: 'chart' }, monthlyChart(months, { title: `${year} 年逐月收支` })), monthTable),
    ),
    section(
      '各村收益分配与使用',
      h('p', { class: 'legend' }, h('span', {}, h('i', { class: 'swatch allocated' }), '已分配'), h('span', {}, h('i', { class: 'swatch spent' }), '已支出')),
      villages.length ? h('div', { class: 'grid' }, h('div', { class: 'chart' }, villageChart(villages.map((v) => ({ ...v, name: v.village.name })), { title: '各村已分配与已支出' })), villageTable) : villageTable,
    ),
  ];
}
