// 密钥 (admins): issue a key to a person with a role, the townships and funds it reaches and an expiry; its
// token is shown once, with a copy button and a plain warning; the keys with their last use; revoke one.
import { api } from '../api.js';
import { clear, dateInput, field, fieldError, h, label, localTime, onSubmit, pager, plainMessage, section, select, table } from '../ui.js';

const SCOPED = ['officer', 'approver', 'reader'];

export default {
  title: '密钥',
  permission: 'admin',
  async render(main, ctx) {
    const funds = await ctx.funds();
    const villages = await api.all('/v1/villages');
    const townships = [...new Set([...funds.map((f) => f.township), ...villages.map((v) => v.township)].filter(Boolean))].sort();
    const list = h('div', {});
    const showList = () =>
      clear(
        list,
        pager(
          (cursor) => api.get('/v1/api-keys', { limit: 20, cursor }),
          (items) => keyTable(items, funds, showList),
        ),
      );
    clear(main, h('div', { class: 'toolbar' }, h('h1', {}, '密钥')), issueForm(funds, townships, showList), section('密钥列表', list));
    showList();
  },
};

function issueForm(funds, townships, issued) {
  const name = h('input', { name: 'name', required: true, maxlength: 200, placeholder: '持有人，如 乡财政所 王会计' });
  const role = select('role', ['officer', 'approver', 'auditor', 'reader', 'admin'].map((r) => ({ value: r, text: label('role', r) })), 'officer');
  const all = h('input', { type: 'checkbox', name: 'all' });
  const townshipBoxes = townships.map((t) => ({ value: t, box: h('input', { type: 'checkbox', name: 'townships', value: t }) }));
  const fundBoxes = funds.map((f) => ({ value: f.id, box: h('input', { type: 'checkbox', name: 'funds', value: f.id }), text: `${f.code} ${f.name}` }));
  const expires = dateInput({ name: 'expiresAt' });
  const scope = h(
    'fieldset',
    { dataset: { field: 'scopes' } },
    h('legend', {}, '管辖范围（经办员、审批员、只读密钥）'),
    h('label', {}, all, ' 全部乡镇和基金'),
    townshipBoxes.length ? h('p', {}, '乡镇：', townshipBoxes.map((t) => h('label', { class: 'choice' }, t.box, ` ${t.value}`))) : null,
    fundBoxes.length ? h('p', {}, '基金：', fundBoxes.map((f) => h('label', { class: 'choice' }, f.box, ` ${f.text}`))) : null,
  );
  const showScope = () => (scope.hidden = !SCOPED.includes(role.value));
  role.addEventListener('change', showScope);
  showScope();
  const shown = h('div', {});
  const form = h(
    'form',
    {},
    field('name', '持有人', name),
    field('role', '角色', role),
    scope,
    field('expiresAt', '有效期至（含当天，不填则长期有效）', expires),
    h('button', { type: 'submit', class: 'primary' }, '发放密钥'),
  );
  form.addEventListener(
    'submit',
    onSubmit(form, async () => {
      clear(shown);
      const body = { name: name.value.trim(), role: role.value };
      if (SCOPED.includes(role.value)) {
        const chosen = { townships: townshipBoxes.filter((t) => t.box.checked).map((t) => t.value), funds: fundBoxes.filter((f) => f.box.checked).map((f) => f.value) };
        if (!all.checked && !chosen.townships.length && !chosen.funds.length) throw fieldError('scopes', '请选择该密钥管辖的乡镇或基金，或勾选“全部”。');
        body.scopes = all.checked ? { all: true } : chosen;
      }
      // Valid to the end of the day chosen, in the ledger's time zone.
      if (expires.value.trim()) body.expiresAt = `${expires.value.trim()}T23:59:59+08:00`;
      // No Idempotency-Key: the answer holds the token, which the service never keeps to answer again.
      const created = await api.post('/v1/api-keys', body, { idempotencyKey: false });
      form.reset();
      showScope();
      clear(shown, tokenOnce(created));
      issued();
    }),
  );
  return section('发放密钥', form, shown);
}

/** The token, once: the service keeps only its hash. */
function tokenOnce(created) {
  const token = h('code', { class: 'token' }, created.token);
  const copied = h('span', { role: 'status' });
  return h(
    'div',
    { class: 'card notice' },
    h('p', {}, `已为 ${created.name}（${label('role', created.role)}）发放密钥：`),
    h('p', {}, token, ' ', h('button', { type: 'button', onclick: async () => {
      try {
        await navigator.clipboard.writeText(created.token);
        copied.textContent = '已复制。';
      } catch {
        copied.textContent = '无法自动复制，请选中后手动复制。';
      }
    } }, '复制'), ' ', copied),
    h('p', { class: 'form-error' }, '这串密钥只显示这一次，服务只保存它的摘要。请现在复制，当面或经安全渠道交给持有人；关闭或离开本页后无法再查看，遗失只能吊销后重新发放。'),
  );
}

function keyTable(items, funds, refresh) {
  const fundName = (id) => funds.find((f) => f.id === id)?.name ?? '（范围外的基金）';
  const reach = (k) =>
    !k.scopes ? '全部' : k.scopes.all ? '全部' : [...(k.scopes.townships ?? []), ...(k.scopes.funds ?? []).map(fundName)].join('、') || '—';
  const state = (k) => (k.revokedAt ? `已吊销（${localTime(k.revokedAt)}）` : k.expiresAt && Date.parse(k.expiresAt) < Date.now() ? '已过期' : '有效');
  return table(
    [
      { title: '持有人', value: (k) => k.name },
      { title: '角色', value: (k) => label('role', k.role) },
      { title: '管辖范围', value: reach },
      { title: '发放人', value: (k) => k.createdByName ?? '—' },
      { title: '发放时间', value: (k) => localTime(k.createdAt) },
      { title: '最近使用', value: (k) => (k.lastUsedAt ? localTime(k.lastUsedAt) : '从未使用') },
      { title: '有效期至', value: (k) => (k.expiresAt ? localTime(k.expiresAt) : '长期') },
      { title: '状态', value: state },
      {
        title: '操作',
        value: (k) => {
          if (k.revokedAt) return '';
          const box = h('span', {});
          const confirm = h('button', { type: 'button', class: 'link', onclick: async () => {
            try {
              await api.delete(`/v1/api-keys/${encodeURIComponent(k.id)}`);
              refresh();
            } catch (error) {
              clear(box, h('span', { class: 'form-error', role: 'alert' }, plainMessage(error)));
            }
          } }, `确认吊销 ${k.name}`);
          return clear(box, h('button', { type: 'button', class: 'link', onclick: () => clear(box, confirm) }, '吊销'));
        },
      },
    ],
    items,
    { empty: '还没有密钥。' },
  );
}
