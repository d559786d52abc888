// DOM helpers. Text always goes in as text nodes (never innerHTML), so nothing from the API can run.
import { formatMoney } from './money.js';

/** h('p', { class: 'x', onclick }, 'text', child…) */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.className = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key in el && typeof value !== 'string') el[key] = value;
    else el.setAttribute(key, value === true ? '' : value);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export const clear = (el, ...children) => {
  el.replaceChildren();
  append(el, children);
  return el;
};

/** An amount as people read it, right-aligned in tables by its class. */
export const money = (value) => h('span', { class: 'money' }, formatMoney(value));

// The API's words, in the officers' words.
export const LABELS = {
  category: {
    medical_subsidy: '医疗补贴',
    living_allowance: '生活补助',
    temporary_relief: '临时救助',
    industry_support: '产业帮扶',
    employment_aid: '就业帮扶',
    education_aid: '教育资助',
    basic_guarantee: '兜底保障',
    facility_maintenance: '设施管护',
    insurance: '防贫保险赔付',
  },
  disbursementStatus: { requested: '待审批', approved: '已审批', paid: '已支付', failed: '已失败' },
  claimStatus: { filed: '已报案', approved: '已核定', paid: '已赔付', rejected: '已拒赔' },
  monitoring: { unstable: '脱贫不稳定户', marginal: '边缘易致贫户', sudden_hardship: '突发严重困难户' },
  claimCause: { illness: '因病', accident: '因意外', disaster: '因灾', schooling: '因学' },
  role: { admin: '管理员', officer: '经办员', approver: '审批员', auditor: '审计员', reader: '只读' },
  income: { dividends: '资产收益分红', donations: '社会捐赠', fiscalTransfers: '财政转移', insuranceRefunds: '保险退费', other: '其他' },
};

export const label = (kind, value) => LABELS[kind]?.[value] ?? value ?? '—';

// What each refusal means, said plainly; the API's own sentence follows it.
const PLAIN = {
  validation_failed: '填写有误',
  unauthorized: '密钥无效或已吊销，请重新登录',
  forbidden: '当前密钥无权执行此操作',
  not_found: '未找到（或不在本密钥的管辖范围内）',
  already_exists: '已存在',
  insufficient_funds: '余额不足',
  date_in_future: '记账日期不能晚于今天',
  fund_closed: '基金已关闭',
  not_monitored: '该户不在监测中',
  category_not_allowed: '该基金不允许此类支出',
  over_cap: '超过年度上限',
  village_mismatch: '农户不属于该村',
  approver_is_requester: '不能审批自己提交的申请（审批须由另一人完成）',
  not_approved: '尚未审批',
  already_paid: '已支付',
  invalid_state: '当前状态不允许此操作',
  period_closed: '该会计期间已结账',
  idempotency_conflict: '重复提交的内容不一致',
  rate_limited: '请求过于频繁，请稍后再试',
  database_unavailable: '数据库暂不可用，请稍后重试',
  database_timeout: '数据库超时，请稍后重试',
  network_error: '网络错误',
};

export const plainMessage = (error) => `${PLAIN[error.code] ?? '操作被拒绝'}：${error.problem?.detail ?? error.message}`;

/**
 * Shows a refusal beside the field it concerns (an element with data-field="name" inside `form`), or
 * at the top of the form when it names no field of it; clears earlier messages first.
 */
export function showError(form, error) {
  for (const old of form.querySelectorAll('.field-error, .form-error')) old.remove();
  for (const old of form.querySelectorAll('[aria-invalid]')) old.removeAttribute('aria-invalid');
  if (!error) return;
  const text = plainMessage(error);
  const field = error.field ? form.querySelector(`[data-field="${CSS.escape(error.field)}"]`) : null;
  if (field) {
    field.querySelector('input, select, textarea')?.setAttribute('aria-invalid', 'true');
    field.append(h('p', { class: 'field-error', role: 'alert' }, text));
  } else {
    form.prepend(h('p', { class: 'form-error', role: 'alert' }, text));
  }
}

/** A labelled field: field('amount', '金额（元）', input). */
export const field = (name, text, control, hint) =>
  h('label', { class: 'field', dataset: { field: name } }, h('span', { class: 'field-label' }, text), control, hint ? h('small', { class: 'hint' }, hint) : null);

/** A table: columns [{ title, value(row) → node|string, class? }]. */
export function table(columns, rows, { empty = '暂无记录' } = {}) {
  if (!rows.length) return h('p', { class: 'empty' }, empty);
  return h(
    'table',
    {},
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', { class: c.class }, c.title)))),
    h('tbody', {}, rows.map((row) => h('tr', {}, columns.map((c) => h('td', { class: c.class }, c.value(row)))))),
  );
}

/**
 * A list that pages with the API's cursors: load(cursor) → { items, nextCursor }; render(items) → node.
 * Keeps the cursors seen so that 上一页 goes back.
 */
export function pager(load, render) {
  const box = h('div', { class: 'pager' });
  const stack = [undefined];
  async function show(index) {
    clear(box, h('p', { class: 'loading' }, '正在加载…'));
    try {
      const page = await load(stack[index]);
      if (page.nextCursor) stack[index + 1] = page.nextCursor;
      clear(
        box,
        render(page.items),
        h(
          'nav',
          { class: 'pages' },
          h('button', { type: 'button', disabled: index === 0, onclick: () => show(index - 1) }, '上一页'),
          h('span', {}, `第 ${index + 1} 页`),
          h('button', { type: 'button', disabled: !page.nextCursor, onclick: () => show(index + 1) }, '下一页'),
        ),
      );
    } catch (error) {
      clear(box, h('p', { class: 'form-error', role: 'alert' }, plainMessage(error)));
    }
  }
  show(0);
  return box;
}

/** A page section with a heading. */
export const section = (title, ...children) => h('section', { class: 'card' }, h('h2', {}, title), ...children);

/** A <select> of options [{ value, text }]. */
export const select = (name, options, value) =>
  h('select', { name }, options.map((o) => h('option', { value: o.value, selected: o.value === value }, o.text)));

/** Today in the ledger's time zone (Asia/Shanghai), as YYYY-MM-DD. */
export const today = () => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());

const shanghai = new Intl.DateTimeFormat('sv-SE', {
  timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
});

/** A moment from the API (UTC, ISO 8601) in the ledger's time, Asia/Shanghai: "2026-03-20 09:15:02". */
export const localTime = (iso) => (iso ? shanghai.format(new Date(iso)) : '—');

/** The same to the minute. */
export const shortTime = (iso) => (iso ? localTime(iso).slice(0, 16) : '—');
