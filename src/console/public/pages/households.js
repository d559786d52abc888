// 农户: find a household by its code or its head's name, then see it whole — monitoring status and
// history, and every benefit it received (payments and insurance payouts) with totals by category.
// Officers may also include it in monitoring (纳入监测) or record that its risk was eliminated (风险消除),
// register a household by hand or import a roster (households-register.js).
// The search is the API's (GET /v1/households?q=): code or head's name, paged by the API's cursors.
import { api } from '../api.js';
import { addHouseholdSection, importSection } from './households-register.js';
import { formatMoney, sumMoney } from '../money.js';
import {
  clear, dateInput, errorBlock, field, fieldError, figures, h, label, LABELS, money, onSubmit, pager, section, select, showError, table, today, villageLabel,
} from '../ui.js';

const causes = (list) => list.map((c) => label('riskCause', c)).join('、');
const PAGE = 50;
const KIND = { disbursement: '支付', insurance_claim: '防贫保赔付' };

/** The period in force today, if any (eliminatedOn is the first day no longer monitored). */
const openPeriod = (household) => household.monitoring.find((m) => m.since <= today() && (!m.eliminatedOn || m.eliminatedOn > today()));

function status(household) {
  const period = openPeriod(household);
  if (household.monitoredToday && period) return `监测中（${label('monitoring', period.category)}，${period.since} 起）`;
  if (household.monitoredToday) return '监测中';
  const last = household.monitoring.at(-1);
  if (last?.eliminatedOn) return `未在监测（${last.eliminatedOn} 风险消除）`;
  return '未在监测';
}

const villageText = (villages, id) => villageLabel(villages.get(id));

export default {
  title: '农户',
  permission: 'read',
  async render(main, ctx) {
    const villages = new Map((await api.all('/v1/villages')).map((v) => [v.id, v]));
    if (ctx.params[0]) return showHousehold(main, ctx, ctx.params[0], villages);
    return showSearch(main, ctx, villages);
  },
};

function showSearch(main, ctx, villages) {
  const saved = ctx.state.householdSearch ?? {};
  const text = h('input', { name: 'q', type: 'search', autocomplete: 'off', placeholder: '如 H-0012 或 张三', value: saved.q ?? '' });
  const village = select('villageId', [{ value: '', text: '全部村' }, ...[...villages.values()].map((v) => ({ value: v.id, text: villageLabel(v) }))], saved.villageId ?? '');
  const category = select(
    'category',
    [{ value: '', text: '全部类别' }, ...Object.keys(LABELS.monitoring).map((k) => ({ value: k, text: label('monitoring', k) }))],
    saved.category ?? '',
  );
  const monitored = select('monitoredOn', [{ value: '', text: '全部农户' }, { value: 'today', text: '今日在监测' }], saved.monitoredOn ?? '');
  const results = h('div', {});
  const form = h(
    'form',
    { class: 'inline', role: 'search', onsubmit: (event) => { event.preventDefault(); search(); } },
    field('q', '户编号或户主姓名', text),
    field('villageId', '村', village),
    field('category', '监测类别', category),
    field('monitoredOn', '监测状态', monitored),
    h('button', { type: 'submit', class: 'primary' }, '查询'),
  );
  const canRecord = ctx.me.permissions.includes('record');
  clear(
    main,
    h('h1', {}, '农户'),
    section('农户查询', form, h('p', { class: 'hint' }, '按户编号或户主姓名查找（包含即可）；可先选村缩小范围。'), results),
    canRecord ? addHouseholdSection(villages, () => search()) : null,
    canRecord ? importSection(() => search()) : null,
  );

  function search() {
    showError(form, null);
    const q = text.value.trim();
    ctx.state.householdSearch = { q, villageId: village.value, category: category.value, monitoredOn: monitored.value };
    const query = { q, villageId: village.value, category: category.value, monitoredOn: monitored.value === 'today' ? today() : undefined };
    clear(
      results,
      pager(
        (cursor) => api.get('/v1/households', { ...query, limit: 20, cursor }),
        (items) =>
          table(
            [
              { title: '户编号', value: (x) => h('a', { href: `#/households/${encodeURIComponent(x.id)}` }, x.code) },
              { title: '户主', value: (x) => x.headName },
              { title: '村', value: (x) => villageText(villages, x.villageId) },
              { title: '人口', class: 'num', value: (x) => String(x.memberCount) },
              { title: '监测状态', value: (x) => status(x) },
            ],
            items,
            { empty: q ? `没有户编号或户主姓名包含“${q}”的农户` : '没有符合条件的农户' },
          ),
        { form },
      ),
    );
  }
  search();
}

async function showHousehold(main, ctx, id, villages) {
  clear(main, h('p', { class: 'loading' }, '正在加载…'));
  let household;
  let benefits;
  let funds;
  try {
    [household, benefits, funds] = await Promise.all([
      api.get(`/v1/households/${encodeURIComponent(id)}`),
      api.get(`/v1/households/${encodeURIComponent(id)}/benefits`),
      ctx.funds(),
    ]);
  } catch (error) {
    // Shown in place of the page (also when the reload after a monitoring write fails), never left loading.
    clear(main, h('div', { class: 'toolbar' }, h('a', { href: '#/households' }, '← 返回农户查询')), errorBlock(error));
    return;
  }
  const fundNames = new Map(funds.map((f) => [f.id, f.name]));
  const canRecord = ctx.me.permissions.includes('record');
  const period = openPeriod(household);

  // Text, not amounts: each in a node, as figures() formats a string as money.
  const facts = figures(
    [
      ['户编号', household.code],
      ['户主', household.headName],
      ['身份证号', household.idNumberMasked],
      ['村', villageText(villages, household.villageId)],
      ['家庭人口', `${household.memberCount} 人`],
      ['监测状态', status(household)],
    ].map(([k, v]) => [k, h('span', {}, v)]),
  );

  const history = table(
    [
      { title: '监测类别', value: (m) => label('monitoring', m.category) },
      { title: '风险类型', value: (m) => causes(m.riskCauses) },
      { title: '纳入监测', value: (m) => m.since },
      { title: '风险消除', value: (m) => m.eliminatedOn ?? '—' },
      { title: '消除原因', value: (m) => m.eliminationReason ?? '' },
    ],
    household.monitoring,
    { empty: '从未纳入监测' },
  );

  const totals = benefits.totalsByCategory;
  const received = h(
    'div',
    {},
    h('h3', {}, '按类别合计'),
    table(
      [
        { title: '类别', value: (t) => label('category', t.category) },
        { title: '笔数', class: 'num', value: (t) => String(t.count) },
        { title: '金额（元）', class: 'num', value: (t) => money(t.amount) },
      ],
      totals,
      { empty: '尚未享受任何帮扶' },
    ),
    totals.length ? h('p', { class: 'total' }, `合计 ${formatMoney(benefits.total)} 元（${benefits.items.length} 笔）`) : null,
    benefits.items.length ? h('h3', {}, '逐笔明细') : null,
    benefits.items.length
      ? // The API answers every benefit at once: shown here in pages of PAGE.
        pager(
          async (cursor) => {
            const at = Number(cursor ?? 0);
            return { items: benefits.items.slice(at, at + PAGE), nextCursor: at + PAGE < benefits.items.length ? String(at + PAGE) : null };
          },
          (items) =>
            table(
              [
                { title: '支付日期', value: (b) => b.date },
                { title: '类别', value: (b) => label('category', b.category) },
                { title: '方式', value: (b) => KIND[b.kind] ?? b.kind },
                { title: '基金', value: (b) => fundNames.get(b.fundId) ?? b.fundId },
                { title: '银行或保险参考号', value: (b) => b.reference ?? '' },
                { title: '金额（元）', class: 'num', value: (b) => money(b.amount) },
              ],
              items,
            ),
        )
      : null,
  );
  // The API's total and the sum of its lines agree; said so, as on a statement.
  if (benefits.items.length && sumMoney(benefits.items.map((b) => b.amount)) !== benefits.total) {
    received.append(h('p', { class: 'form-error', role: 'alert' }, '明细之和与合计不一致，请联系管理员核查。'));
  }

  clear(
    main,
    h(
      'div',
      { class: 'toolbar' },
      h('a', { href: '#/households' }, '← 返回农户查询'),
      canRecord && household.monitoredToday ? h('a', { href: `#/payments/${encodeURIComponent(household.id)}` }, '为该户申请支付') : null,
    ),
    h('h1', {}, `农户 ${household.code} ${household.headName}`),
    section('基本情况', facts),
    section('监测记录', history, canRecord ? monitoringForm() : null),
    section(benefits.coverage === 'all_funds' ? '享受帮扶（全部基金）' : '享受帮扶（仅本密钥管辖的基金）', received),
  );

  /** 纳入监测 when not in monitoring, 风险消除 when in it: both through the API, then the page again. */
  function monitoringForm() {
    const done = () => showHousehold(main, ctx, id, villages);
    if (period) {
      const date = dateInput({ name: 'date', value: today(), required: true });
      const reason = h('input', { name: 'reason', maxlength: 500, required: true, placeholder: '如 收入稳定超过监测线' });
      const form = h(
        'form',
        { class: 'inline toolbar', 'aria-label': '风险消除' },
        field('date', '风险消除日期', date, '不再监测的第一天'),
        field('reason', '消除原因', reason),
        h('button', { type: 'submit' }, '登记风险消除（销号）'),
      );
      form.addEventListener(
        'submit',
        onSubmit(form, async (key) => {
          const text = reason.value.trim();
          if (!text) throw fieldError('reason', '请填写消除原因。');
          await api.post(`/v1/households/${encodeURIComponent(id)}/monitoring/eliminate`, { date: date.value, reason: text }, { idempotencyKey: key });
          done();
        }),
      );
      return form;
    }
    const kind = select('category', Object.keys(LABELS.monitoring).map((k) => ({ value: k, text: label('monitoring', k) })));
    const since = dateInput({ name: 'since', value: today(), required: true });
    const boxes = Object.entries(LABELS.riskCause).map(([value, text]) => h('label', {}, h('input', { type: 'checkbox', name: 'riskCauses', value }), ` ${text}`));
    const form = h(
      'form',
      { class: 'inline toolbar', 'aria-label': '纳入监测' },
      field('category', '监测类别', kind),
      // A group of boxes: not one <label> around them all, but the same data-field for refusals.
      h('div', { class: 'field', dataset: { field: 'riskCauses' } }, h('span', { class: 'field-label' }, '风险类型'), h('span', {}, boxes)),
      field('since', '纳入监测日期', since),
      h('button', { type: 'submit' }, '纳入监测'),
    );
    form.addEventListener(
      'submit',
      onSubmit(form, async (key) => {
        const chosen = boxes.map((b) => b.querySelector('input')).filter((i) => i.checked).map((i) => i.value);
        if (!chosen.length) throw fieldError('riskCauses', '请至少选择一项风险类型。');
        await api.post(`/v1/households/${encodeURIComponent(id)}/monitoring`, { category: kind.value, riskCauses: chosen, since: since.value }, { idempotencyKey: key });
        done();
      }),
    );
    return form;
  }
}
