// DOM helpers. Text always goes in as text nodes (never innerHTML), so nothing from the API can run.
import { ApiError } from './api.js';
import { categoryNames } from './categories.js';
import { formatMoney, parseMoneyInput } from './money.js';

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
  // Served by the service from its own list (src/funds/chart.ts), so the two never disagree.
  category: categoryNames,
  disbursementStatus: { requested: '待审批', approved: '已审批', paid: '已支付', failed: '已失败' },
  claimStatus: { filed: '已报案', approved: '已核定', paid: '已赔付', rejected: '已拒赔' },
  monitoring: { unstable: '脱贫不稳定户', marginal: '边缘易致贫户', sudden_hardship: '突发严重困难户' },
  claimCause: { illness: '因病', accident: '因意外', disaster: '因灾', schooling: '因学' },
  // The service's default risk causes (LEDGER_RISK_CAUSES); a county's own show as sent.
  riskCause: { illness: '因病', disability: '因残', accident: '因意外', disaster: '因灾', schooling: '因学', unemployment: '因失业', other: '其他' },
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
  period_not_ended: '该月尚未结束，不能结账',
  idempotency_conflict: '重复提交的内容不一致',
  rate_limited: '请求过于频繁，请稍后再试',
  database_unavailable: '数据库暂不可用，请稍后重试',
  database_timeout: '数据库超时，请稍后重试',
  network_error: '网络错误',
  too_many: '列表过长',
  already_monitored: '已在监测中',
  unknown_household: '未找到农户',
  unknown_village: '未找到村',
  not_reconciled: '银行对账不符',
  bank_account_missing: '基金未登记银行专户账号',
  import_failed: '文件未导入',
  approver_is_preparer: '审核人不能是制单人（须由另一人审核）',
  not_preparer: '只有制单人可以修改或撤回凭证',
  review_required: '本基金的手工凭证须先制单、再由他人审核后记账',
  voucher_changed: '凭证已被修改，请刷新后重新审核',
  attachment_type_not_allowed: '附件只能是 PDF、JPEG 或 PNG 文件',
  attachment_too_large: '附件过大',
};

/** Why a month's bank reconciliation does not agree (the API's `reasons`), in Chinese. */
export function reconciliationReason(reason) {
  const yuanText = (v) => yuan(v);
  let m;
  if (reason === 'no bank statement has been imported for the fund') return '本基金尚未导入银行对账单';
  if ((m = /^no imported bank statement covers (\S+)$/.exec(reason))) return `没有覆盖 ${m[1]} 的银行对账单`;
  if ((m = /^the adjusted balances differ by (\S+): book (\S+), bank (\S+)$/.exec(reason))) {
    return `调节后余额相差 ${yuanText(m[1])}（单位 ${yuanText(m[2])}，银行 ${yuanText(m[3])}）`;
  }
  if ((m = /^when the statements begin \((\S+)\) the books held (\S+) in the bank, the bank's opening balance was (\S+)$/.exec(reason))) {
    return `对账单起始日 ${m[1]} 前账面银行存款 ${yuanText(m[2])}，而银行期初余额为 ${yuanText(m[3])}`;
  }
  return reason;
}

// Where the API's own sentence is English, the same refusal said in Chinese from the problem's fields.
const yuan = (value) => {
  try {
    return `${formatMoney(value)} 元`;
  } catch {
    return `${value} 元`;
  }
};
const statusWord = (s) => LABELS.disbursementStatus[s] ?? LABELS.claimStatus[s] ?? s;
const REWRITE = {
  over_cap: (p) =>
    p.cap ? `${p.year} 年本户${label('category', p.category)}最多 ${yuan(p.cap)}，已审批或支付 ${yuan(p.used)}，尚可申请 ${yuan(p.remaining)}，少于申请的 ${yuan(p.amount)}。` : null,
  insufficient_funds: (p) => {
    if (p.poolBalance !== undefined) return `保单的保费资金池只有 ${yuan(p.poolBalance)}，还差 ${yuan(p.shortfall)}。`;
    if (Array.isArray(p.accounts) && p.accounts.length) {
      const where = (a) => (/allocation/.test(a.name ?? '') ? '村分配资金' : a.name ? '基金可用余额' : '账户余额');
      return `${p.accounts.map((a) => `${where(a)}只有 ${yuan(a.balance)}，还差 ${yuan(a.shortfall)}`).join('；')}。`;
    }
    if (p.villageId && p.shortfall) return `该村在本基金没有分配资金，还差 ${yuan(p.shortfall)}。`;
    return null;
  },
  not_monitored: (p) =>
    p.benefitDate
      ? `今天（${p.date}）已离开监测，离开监测的农户不再支付（受益日期为 ${p.benefitDate}）。`
      : p.date
        ? `${p.date} 不在监测期内。`
        : null,
  village_mismatch: () => '该户不住在所选的村：村分配资金只能支付本村农户。',
  category_not_allowed: (p) =>
    p.category === 'insurance'
      ? '防贫保赔付不作为支付办理，请在“防贫保”中按理赔登记。'
      : p.category
        ? `本基金不允许${label('category', p.category)}支出${p.allowedCategories?.length ? `；允许的类别：${p.allowedCategories.map((c) => label('category', c)).join('、')}` : ''}。`
        : null,
  date_in_future: (p) => (p.date ? `日期 ${p.date} 晚于今天（${p.today}）。` : null),
  period_closed: (p) => {
    const f = p.funds?.[0];
    return f ? `基金已结账至 ${f.closedThrough}，不能记入 ${p.date}；请在 ${f.openFrom} 或以后的开放期间记账，并注明原凭证。` : null;
  },
  invalid_state: (p) => {
    const s = p.currentStatus ?? p.claimStatus;
    return s ? `当前状态为“${statusWord(s)}”，不能执行此操作。` : null;
  },
  already_paid: () => '已经支付过，不能重复支付。',
  not_approved: () => '尚未审批，须先审批才能登记支付。',
  approver_is_requester: () => '这笔申请是用本密钥提交的，须由另一位审批员用自己的密钥办理。',
  already_monitored: (p) => (p.since ? `该户自 ${p.since} 起已在监测中，须先登记风险消除。` : null),
  unknown_household: () => '没有这个农户（或不在本密钥的管辖范围内）。',
  unknown_village: () => '没有这个村（或不在本密钥的管辖范围内）。',
  fund_closed: () => '基金已关闭，不再支付或记账。',
  not_reconciled: (p) => (p.reasons?.length ? `${p.period} ${p.reasons.map(reconciliationReason).join('；')}。如确需结账，请填写原因。` : null),
  bank_account_missing: () => '本基金还没有登记银行专户账号：请管理员在“基金”中填写后再导入对账单。',
  import_failed: (p) => (p.errorCount ? `整份文件未导入：发现 ${p.errorCount} 处问题。` : null),
  validation_failed: (p) => {
    const lines = p.errors?.filter((e) => e.disbursementId);
    if (lines?.length) return `有 ${lines.length} 户不能办理：请先将这些户标记失败，再办理其余各户。`;
    if (p.amountClaimed) return `核定金额不能超过申请金额 ${yuan(p.amountClaimed)}。`;
    if (p.coverFrom) return `日期不在保单保障期（${p.coverFrom} 至 ${p.coverTo}）内。`;
    const since = /^since: a new inclusion starts on or after the last elimination \((.+)\)/.exec(p.detail ?? '');
    if (since) return `重新纳入监测的日期不能早于上次风险消除的日期（${since[1]}）。`;
    const began = /^date: the risk cannot be eliminated before monitoring began \((.+)\)/.exec(p.detail ?? '');
    if (began) return `风险消除日期不能早于纳入监测的日期（${began[1]}）。`;
    return null;
  },
};

export function plainMessage(error) {
  // One sentence says it all; the API's English detail adds nothing a signed-out person can act on.
  if (error.code === 'unauthorized') return '密钥无效、已过期或已吊销，请重新登录。';
  const p = error.problem ?? {};
  let said = null;
  try {
    said = REWRITE[error.code]?.(p) ?? null;
  } catch {
    said = null;
  }
  // A batch refused for some of its lines is not a typing mistake.
  const what = error.code === 'validation_failed' && p.errors?.some((e) => e.disbursementId) ? '整批未办理' : PLAIN[error.code] ?? '操作被拒绝';
  return `${what}：${said ?? p.detail ?? error.message}`;
}

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

/** A refusal of the page's own, before anything is sent, shown like the API's beside the field `name`. */
export const fieldError = (name, detail) => new ApiError(400, { code: 'validation_failed', field: name, detail });

/** The amount typed in `input` as the API takes it ("1234.50"), or throws a field error for `name`. */
export function readAmount(input, name = input.name) {
  const value = parseMoneyInput(input.value);
  if (value === null) {
    throw fieldError(name, `“${input.value}”不是有效金额：请输入大于 0、最多两位小数的金额，如 30000 或 30,000.50。`);
  }
  return value;
}

/**
 * A form's submit handler: clears old refusals, disables its submit buttons while `run(key)` works, and
 * shows a refusal beside its field. `key` is the write's Idempotency-Key, kept until a write succeeds, so a
 * double click or a retry after a lost answer books once (a refused write stores nothing and may be retried).
 */
export function onSubmit(form, run) {
  let key = crypto.randomUUID();
  let busy = false;
  return async (event) => {
    event?.preventDefault();
    if (busy) return;
    busy = true;
    showError(form, null);
    const buttons = [...form.querySelectorAll('button[type=submit]')];
    for (const b of buttons) b.disabled = true;
    try {
      await run(key);
      key = crypto.randomUUID();
    } catch (error) {
      showError(form, error);
    } finally {
      busy = false;
      for (const b of buttons) if (b.isConnected) b.disabled = false;
    }
  };
}

/** Key figures in a row of boxes: figures([['银行存款', '1234.50'], ['户数', h(…)]]); strings are amounts. */
export const figures = (pairs) =>
  h('dl', { class: 'figures' }, pairs.map(([name, value]) => h('div', {}, h('dt', {}, name), h('dd', {}, typeof value === 'string' ? money(value) : value))));

/** 青山村（V-0012） */
export const villageLabel = (village) => (village ? `${village.name}（${village.code}）` : '—');

/** A refusal or failure shown in place of content. */
export const errorBlock = (error) => h('p', { class: 'form-error', role: 'alert' }, error instanceof ApiError ? plainMessage(error) : `出错：${error.message}`);

/** What a page shows when the key reaches no fund. */
export const noFunds = (main, title) =>
  clear(main, section(title, h('p', { class: 'empty' }, '本密钥管辖范围内还没有基金。', h('a', { href: '#/funds' }, '前往“基金”页开始使用'), '。')));

/** Who acted, by the name of their key (the API answers it beside the id), marked when it is the signed-in key. */
export const who = (ctx, keyId, name) => (keyId ? `${name ?? '（未知密钥）'}${keyId === ctx.me.id ? '（本人）' : ''}` : '—');

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
 * Keeps the cursors seen so that 上一页 goes back. With `form` (the filters the list was asked with), a
 * refusal is shown beside the filter it names, in that form; otherwise in place of the list.
 */
export function pager(load, render, { form } = {}) {
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
          // A group, not a <nav>: a page may hold several lists, and landmarks must be told apart.
          'div',
          { class: 'pages', role: 'group', 'aria-label': '翻页' },
          h('button', { type: 'button', disabled: index === 0, onclick: () => show(index - 1) }, '上一页'),
          h('span', {}, `第 ${index + 1} 页`),
          h('button', { type: 'button', disabled: !page.nextCursor, onclick: () => show(index + 1) }, '下一页'),
        ),
      );
    } catch (error) {
      if (form) {
        clear(box);
        showError(form, error);
      } else {
        clear(box, errorBlock(error));
      }
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

/**
 * A day, typed and shown as YYYY-MM-DD whatever the browser's language: a date picker shows mm/dd/yyyy in
 * an English browser. The API checks the day itself (a day that does not exist, one in the future) and
 * its refusal is shown beside the field.
 */
export const dateInput = (props) =>
  h('input', {
    type: 'text',
    inputmode: 'numeric',
    autocomplete: 'off',
    placeholder: 'YYYY-MM-DD',
    pattern: '\\d{4}-\\d{2}-\\d{2}',
    maxlength: '10',
    size: '10',
    title: '日期，格式 YYYY-MM-DD，例如 2026-11-30',
    ...props,
  });

/** Today in the ledger's time zone (Asia/Shanghai), as YYYY-MM-DD. */
export const today = () => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());

const shanghai = new Intl.DateTimeFormat('sv-SE', {
  timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
});

/** A moment from the API (UTC, ISO 8601) in the ledger's time, Asia/Shanghai: "2026-03-20 09:15:02". */
export const localTime = (iso) => (iso ? shanghai.format(new Date(iso)) : '—');

/** The same to the minute. */
export const shortTime = (iso) => (iso ? localTime(iso).slice(0, 16) : '—');
