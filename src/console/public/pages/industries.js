// 产业: the assisted industries (资产收益项目) whose income the fund shares among villages, each with every
// version of its distribution rule; an officer registers one with rule version 1, adds a later version,
// and voids a dividend recorded wrong (作废分红: a linked reversal of its voucher, with the reason).
import { api } from '../api.js';
import { formatMoney } from '../money.js';
import {
  clear, dateInput, field, fieldError, h, onSubmit, pager, section, select, shortTime, table, today, villageLabel, who,
} from '../ui.js';

/** "40" or "40.5" (per cent, as officers say it) → "0.40" / "0.405", exactly; null when it is not one. */
export function percentToShare(text) {
  const m = /^(\d{1,3})(?:\.(\d{1,6}))?$/.exec(text.trim().replace(/[%％]$/, ''));
  if (!m) return null;
  const digits = (m[1] + (m[2] ?? '').padEnd(6, '0')).replace(/^0+(?=\d)/, ''); // millionths of a per cent
  if (BigInt(digits) > 100_000_000n) return null;
  const padded = digits.padStart(9, '0');
  return `${padded.slice(0, -8)}.${padded.slice(-8)}`.replace(/0+$/, '').replace(/\.$/, '.0');
}

/** "0.40000000" → "40%". */
export const shareText = (share) => {
  const [whole, frac = ''] = share.split('.');
  const f = frac.padEnd(8, '0');
  const percent = `${String(Number(whole) * 100 + Number(f.slice(0, 2)))}.${f.slice(2)}`.replace(/0+$/, '').replace(/\.$/, '');
  return `${percent}%`;
};

export default {
  title: '产业',
  permission: 'read',
  async render(main, ctx) {
    const canRecord = ctx.me.permissions.includes('record');
    const [industries, villageList, funds] = await Promise.all([api.all('/v1/industries'), api.all('/v1/villages'), ctx.funds()]);
    const villages = new Map(villageList.map((v) => [v.id, v]));
    const fundName = new Map(funds.map((f) => [f.id, f.name]));
    const chosen = industries.find((i) => i.id === ctx.params[0]);
    const reload = (id) => (id && id !== ctx.params[0] ? ctx.go(`#/industries/${id}`) : this.render(main, ctx));
    clear(
      main,
      h('div', { class: 'toolbar' }, h('h1', {}, '产业（资产收益项目）')),
      section(
        `产业（${industries.length} 个）`,
        table(
          [
            { title: '项目名称', value: (i) => h('a', { href: `#/industries/${encodeURIComponent(i.id)}` }, i.name) },
            { title: '基金', value: (i) => fundName.get(i.fundId) ?? '（管辖范围外的基金）' },
            { title: '项目所在村', value: (i) => villageLabel(villages.get(i.projectVillageId)) },
            { title: '现行规则', value: (i) => `第 ${i.rules.at(-1).version} 版（${i.rules.at(-1).effectiveFrom} 起）` },
            { title: '登记人', value: (i) => who(ctx, i.createdBy, i.createdByName) },
          ],
          industries,
          { empty: '还没有登记产业。' },
        ),
      ),
      chosen ? await industryDetail(ctx, chosen, villages, canRecord, reload) : null,
      canRecord && !chosen ? registerSection(funds, villages, (industry) => reload(industry.id)) : null,
    );
  },
};

/** Rule inputs shared by registration and a new version: the project share and the radiating villages' weights. */
function ruleFields(villages, { projectVillageId, rule } = {}) {
  const share = h('input', { name: 'projectVillageShare', required: true, size: 6, inputmode: 'decimal', value: rule ? shareText(rule.projectVillageShare).replace('%', '') : '40' });
  const weights = new Map((rule?.radiatingVillages ?? []).map((r) => [r.villageId, r.weight.replace(/\.?0+$/, '')]));
  const rows = [...villages.values()].map((v) => ({
    village: v,
    box: h('input', { type: 'checkbox', value: v.id, checked: weights.has(v.id), 'aria-label': `辐射村 ${v.name}` }),
    weight: h('input', { size: 5, inputmode: 'decimal', value: weights.get(v.id) ?? '1', 'aria-label': `${v.name}的权重` }),
  }));
  const radiating = h(
    'fieldset',
    { dataset: { field: 'radiatingVillages' } },
    h('legend', {}, '辐射村（分享其余部分，按权重分配；权重相同即平均分配）'),
    table(
      [
        { title: '辐射村', value: (r) => h('label', {}, r.box, ` ${villageLabel(r.village)}`) },
        { title: '权重', value: (r) => r.weight },
      ],
      rows,
      { empty: '还没有其他村：请先在“村”页登记。' },
    ),
  );
  /** The project village is never one of its own radiating villages: its row is left out. */
  const exclude = (id) => {
    for (const r of rows) {
      const tr = r.box.closest('tr');
      if (tr) tr.hidden = r.village.id === id;
      if (r.village.id === id) r.box.checked = false;
    }
  };
  exclude(projectVillageId);
  return {
    exclude,
    nodes: [field('projectVillageShare', '项目所在村分成比例（%）', share, '如 40 表示 40%，其余由辐射村分享'), radiating],
    read(projectId = projectVillageId) {
      const projectVillageShare = percentToShare(share.value);
      if (projectVillageShare === null) throw fieldError('projectVillageShare', '请填写 0 到 100 之间的百分数，最多六位小数，如 40。');
      const chosen = rows.filter((r) => r.box.checked);
      if (chosen.some((r) => r.village.id === projectId)) throw fieldError('radiatingVillages', '项目所在村不能同时是辐射村。');
      return {
        projectVillageShare,
        radiatingVillages: chosen.map((r) => ({ villageId: r.village.id, weight: r.weight.value.trim() || '1' })),
      };
    },
  };
}

function registerSection(funds, villages, registered) {
  const prevention = funds.filter((f) => f.template === 'prevention');
  if (!prevention.length) return section('登记产业', h('p', { class: 'empty' }, '产业的分红记入按防止返贫标准科目开设的基金：请先在', h('a', { href: '#/funds' }, '“基金”页'), '开设。'));
  if (!villages.size) return section('登记产业', h('p', { class: 'empty' }, '请先在', h('a', { href: '#/villages' }, '“村”页'), '登记项目所在村和辐射村。'));
  const fund = select('fundId', prevention.map((f) => ({ value: f.id, text: `${f.code} ${f.name}` })));
  const name = h('input', { name: 'name', required: true, maxlength: 200, placeholder: '某县肉牛养殖有限公司（东西部协作资金入股）' });
  const project = select('projectVillageId', [...villages.values()].map((v) => ({ value: v.id, text: villageLabel(v) })));
  const from = dateInput({ name: 'effectiveFrom', placeholder: 'YYYY-MM-DD（可不填）' });
  const rule = ruleFields(villages, { projectVillageId: project.value });
  project.addEventListener('change', () => rule.exclude(project.value));
  const form = h(
    'form',
    {},
    h('div', { class: 'toolbar' }, field('fundId', '基金', fund), field('name', '项目名称', name), field('projectVillageId', '项目所在村', project)),
    h('div', { class: 'toolbar' }, rule.nodes[0], field('effectiveFrom', '规则生效日期', from, '不填则适用于该项目的全部分红')),
    rule.nodes[1],
    h('button', { type: 'submit', class: 'primary' }, '登记产业'),
  );
  form.addEventListener(
    'submit',
    onSubmit(form, async (key) => {
      const body = { fundId: fund.value, name: name.value.trim(), projectVillageId: project.value, ...rule.read(project.value) };
      if (from.value.trim()) body.effectiveFrom = from.value.trim();
      registered(await api.post('/v1/industries', body, { idempotencyKey: key }));
    }),
  );
  return section('登记产业及分配规则（第 1 版）', form);
}

async function industryDetail(ctx, industry, villages, canRecord, reload) {
  const versions = table(
    [
      { title: '版本', class: 'num', value: (r) => `第 ${r.version} 版` },
      { title: '生效日期', value: (r) => r.effectiveFrom },
      { title: '项目所在村', class: 'num', value: (r) => shareText(r.projectVillageShare) },
      { title: '辐射村合计', class: 'num', value: (r) => shareText(r.radiatingShare) },
      { title: '辐射村及权重', value: (r) => r.radiatingVillages.map((x) => `${villages.get(x.villageId)?.name ?? '（管辖范围外的村）'} ${x.weight.replace(/\.?0+$/, '')}`).join('、') || '—' },
      { title: '制定人', value: (r) => who(ctx, r.createdBy, r.createdByName) },
    ],
    [...industry.rules].reverse(),
  );
  const parts = [h('p', {}, `项目所在村：${villageLabel(villages.get(industry.projectVillageId))}`), h('h3', {}, '分配规则各版本'), versions];
  if (canRecord) parts.push(h('h3', {}, '新增规则版本'), newVersionForm(industry, villages, reload));
  return h(
    'div',
    {},
    section(`产业：${industry.name}`, ...parts),
    section('分红记录', h('p', { class: 'hint' }, '金额或日期录错的分红可以作废：冲销其凭证和各村分配，再按正确数字重新登记（', h('a', { href: '#/dividend' }, '登记分红'), '）。'), dividends(ctx, industry, canRecord, reload)),
  );
}

function newVersionForm(industry, villages, reload) {
  const from = dateInput({ name: 'effectiveFrom', required: true, value: today() });
  const rule = ruleFields(villages, { projectVillageId: industry.projectVillageId, rule: industry.rules.at(-1) });
  const form = h('form', {}, h('div', { class: 'toolbar' }, field('effectiveFrom', '生效日期', from, '晚于上一版和最后一笔分红的日期'), rule.nodes[0]), rule.nodes[1], h('button', { type: 'submit' }, '保存新版本'));
  form.addEventListener(
    'submit',
    onSubmit(form, async (key) => {
      await api.post(`/v1/industries/${encodeURIComponent(industry.id)}/rules`, { effectiveFrom: from.value.trim(), ...rule.read() }, { idempotencyKey: key });
      reload();
    }),
  );
  return form;
}

function dividends(ctx, industry, canRecord, reload) {
  const path = `/v1/industries/${encodeURIComponent(industry.id)}/dividends`;
  return pager(
    (cursor) => api.get(path, { limit: 20, cursor }),
    (items) =>
      table(
        [
          { title: '到账日期', value: (d) => d.date },
          { title: '金额（元）', class: 'num', value: (d) => formatMoney(d.amount) },
          { title: '规则', value: (d) => `第 ${d.ruleVersion} 版` },
          { title: '凭证号', value: (d) => d.reference ?? '' },
          { title: '登记人', value: (d) => `${who(ctx, d.createdBy, d.createdByName)} ${shortTime(d.createdAt)}` },
          {
            title: '状态',
            value: (d) =>
              d.status === 'voided'
                ? `已作废：${who(ctx, d.voidedBy, d.voidedByName)} ${shortTime(d.voidedAt)}，原因：${d.voidReason}`
                : canRecord
                  ? voidForm(d)
                  : '有效',
          },
        ],
        items,
        { empty: '还没有分红。' },
      ),
  );

  function voidForm(dividend) {
    const reason = h('input', { name: 'reason', maxlength: 400, placeholder: '作废原因', 'aria-label': `作废 ${dividend.date} 分红的原因` });
    const form = h('form', { class: 'inline' }, h('span', { class: 'field', dataset: { field: 'reason' } }, reason), h('button', { type: 'submit' }, '作废'));
    form.addEventListener(
      'submit',
      onSubmit(form, async (key) => {
        const text = reason.value.trim();
        if (!text) throw fieldError('reason', '请填写作废原因（将记入冲销凭证）。');
        if (!confirm(`作废 ${dividend.date} 的分红 ${formatMoney(dividend.amount)} 元？将冲销其凭证和各村分配，不能撤销。`)) return;
        await api.post(`${path}/${encodeURIComponent(dividend.dividendId)}/void`, { reason: text }, { idempotencyKey: key });
        reload();
      }),
    );
    return form;
  }
}
