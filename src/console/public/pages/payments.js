// 支付: officers request a payment to a monitored household, or a monthly batch (生活补助); approvers see
// what OTHER keys requested (maker–checker: never their own), approve it (the money is reserved), then mark
// it paid with the bank's reference or failed with a reason; everyone sees the payment register.
// Every refusal is shown beside the field (or the row) it concerns.
import { api, ApiError } from '../api.js';
import { formatMoney, parseMoneyInput } from '../money.js';
import { clear, field, h, label, money, pager, plainMessage, section, select, shortTime, showError, table, today } from '../ui.js';

/** Where a refusal without a named field belongs on the request forms. */
const REQUEST_FIELDS = {
  insufficient_funds: 'amount',
  over_cap: 'amount',
  not_monitored: 'householdId',
  unknown_household: 'householdId',
  village_mismatch: 'villageId',
  unknown_village: 'villageId',
  category_not_allowed: 'category',
  date_in_future: 'date',
  period_closed: 'date',
};

/** The refusal, placed by its code when the API names no field, and its figures said in Chinese. */
function located(error, fields) {
  if (!(error instanceof ApiError)) return error;
  if (!error.field && fields[error.code]) error.field = fields[error.code];
  const p = error.problem;
  if (error.code === 'over_cap' && p.cap) {
    error.problem = {
      ...p,
      detail: `${p.year} 年本户${label('category', p.category)}最多 ${formatMoney(p.cap)} 元，已审批或支付 ${formatMoney(p.used)} 元，尚可申请 ${formatMoney(p.remaining)} 元，少于申请的 ${formatMoney(p.amount)} 元。`,
    };
  }
  if (error.code === 'insufficient_funds' && Array.isArray(p.accounts)) {
    const short = p.accounts.map((a) => `${/allocation/.test(a.name ?? '') ? '村分配资金' : '基金可用余额'}只有 ${formatMoney(a.balance)} 元，还差 ${formatMoney(a.shortfall)} 元`);
    if (!short.length && p.shortfall) short.push(`该村在本基金没有分配资金，还差 ${formatMoney(p.shortfall)} 元`);
    if (short.length) error.problem = { ...p, detail: `${short.join('；')}。` };
  }
  return error;
}

const fieldError = (name, detail) => new ApiError(400, { code: 'validation_failed', field: name, detail });
const badAmount = (typed) => fieldError('amount', `“${typed}”不是有效金额：请输入大于 0、最多两位小数的金额，如 3000 或 3,000.50。`);

/**
 * Sends a write with one idempotency key per attempt: a retry after a lost answer reuses it (nothing is
 * booked twice); any answer, accepted or refused, ends it.
 */
function writer() {
  let key = crypto.randomUUID();
  return async (send) => {
    try {
      const answer = await send(key);
      key = crypto.randomUUID();
      return answer;
    } catch (error) {
      if (error.code !== 'network_error') key = crypto.randomUUID();
      throw error;
    }
  };
}

export default {
  title: '支付',
  permission: 'read',
  async render(main, ctx) {
    const funds = await ctx.funds();
    if (!funds.length) return clear(main, section('支付', h('p', { class: 'empty' }, '本密钥管辖范围内还没有基金。')));
    const villageList = await api.all('/v1/villages');
    const villages = new Map(villageList.map((v) => [v.id, v]));
    const can = (permission) => ctx.me.permissions.includes(permission);
    const body = h('div', {});
    const picker = await ctx.fundPicker(() => show());
    clear(main, h('div', { class: 'toolbar' }, h('h1', {}, '支付'), picker), body);
    show();

    function show() {
      const fund = funds.find((f) => f.id === picker.value) ?? funds[0];
      const env = { ctx, fund, villages, villageList, refresh: () => parts.forEach((p) => p.refresh?.()) };
      const parts = [
        can('report') ? figures(env) : null,
        can('record') ? requestSection(env) : null,
        can('record') ? batchSection(env) : null,
        can('approve') ? queueSection(env) : null,
        registerSection(env),
      ].filter(Boolean);
      clear(body, parts.map((p) => p.node));
    }
  },
};

const villageName = (villages, id) => (id ? (villages.get(id)?.name ?? id) : '');
const who = (ctx, keyId) => (keyId === ctx.me.id ? '本人' : `密钥 ${String(keyId).slice(0, 8)}`);

/** The fund's money today: what approvals may still reserve, and what is reserved awaiting the bank. */
function figures({ fund }) {
  const node = h('dl', { class: 'figures card', 'aria-label': '基金资金' });
  async function refresh() {
    try {
      const s = await api.get(`/v1/funds/${fund.id}/statement`, { from: today(), to: today(), format: 'json' });
      clear(
        node,
        [
          ['可用余额（可审批预留）', s.available],
          ['已预留待支付', s.reserved],
          ['银行存款合计', s.closingBalance],
        ].map(([k, v]) => h('div', {}, h('dt', {}, k), h('dd', {}, formatMoney(v), ' 元'))),
      );
    } catch (error) {
      clear(node, h('p', { class: 'form-error', role: 'alert' }, plainMessage(error)));
    }
  }
  refresh();
  return { node, refresh };
}

/** Households monitored on `date` (of the village, when one is chosen), as <option>s. */
async function householdOptions(picker, { date, villageId, villages, preselect }) {
  clear(picker, h('option', { value: '' }, '正在加载…'));
  let list = [];
  try {
    list = await api.all('/v1/households', { monitoredOn: date || undefined, villageId: villageId || undefined });
  } catch (error) {
    clear(picker, h('option', { value: '' }, plainMessage(error)));
    return;
  }
  const options = list.map((x) => h('option', { value: x.id, selected: x.id === preselect }, `${x.code} ${x.headName}（${villageName(villages, x.villageId)}）`));
  if (preselect && !list.some((x) => x.id === preselect)) {
    try {
      const x = await api.get(`/v1/households/${encodeURIComponent(preselect)}`);
      options.unshift(h('option', { value: x.id, selected: true }, `${x.code} ${x.headName}（该日不在监测）`));
    } catch {
      // gone or out of reach: not offered
    }
  }
  clear(picker, options.length ? [h('option', { value: '' }, `请选择（${list.length} 户在监测）`), options] : h('option', { value: '' }, '该日没有在监测的农户'));
  if (preselect) picker.value = preselect;
}

function categoryOptions(fund, preferred) {
  const allowed = fund.allowedCategories.filter((c) => c !== 'insurance');
  return select('category', allowed.map((c) => ({ value: c, text: label('category', c) })), allowed.includes(preferred) ? preferred : allowed[0]);
}

function villageSelect(villageList) {
  return select('villageId', [{ value: '', text: '基金统一支出（不动用村分配资金）' }, ...villageList.map((v) => ({ value: v.id, text: `${v.name}分配资金（${v.code}）` }))], '');
}

/** What the chosen village still has in this fund, under its select. */
async function villageHint(hint, fundId, villageId) {
  clear(hint);
  if (!villageId) return;
  try {
    const { funds } = await api.get(`/v1/villages/${villageId}/allocations`);
    const mine = funds.find((f) => f.fundId === fundId);
    clear(hint, mine ? `该村在本基金尚余 ${formatMoney(mine.remaining)} 元` : '该村在本基金没有分配资金');
  } catch {
    // only a hint
  }
}

function requestSection({ ctx, fund, villages, villageList, refresh }) {
  if (!fund.allowedCategories.some((c) => c !== 'insurance')) {
    return { node: section('申请支付', h('p', { class: 'empty' }, '本基金没有可直接支付的类别（防贫保赔付请在“保险”中办理）。')) };
  }
  const village = villageSelect(villageList);
  const hint = h('small', { class: 'hint' });
  const date = h('input', { name: 'date', type: 'date', value: today(), max: today(), required: true });
  const household = h('select', { name: 'householdId' });
  const category = categoryOptions(fund, 'medical_subsidy');
  const amount = h('input', { name: 'amount', inputmode: 'decimal', autocomplete: 'off', placeholder: '例如 3,000.00' });
  const submit = h('button', { type: 'submit', class: 'primary' }, '提交申请');
  const result = h('div', { role: 'status' });
  const send = writer();
  let preselect = ctx.params[0];
  const reload = () => householdOptions(household, { date: date.value, villageId: village.value, villages, preselect: household.value || preselect }).then(() => (preselect = undefined));
  village.addEventListener('change', () => { villageHint(hint, fund.id, village.value); reload(); });
  date.addEventListener('change', reload);

  const form = h(
    'form',
    { onsubmit: (event) => { event.preventDefault(); request(); } },
    h('div', { class: 'toolbar' }, field('villageId', '支出来源', village, hint), field('date', '受益日期', date)),
    h('div', { class: 'toolbar' }, field('householdId', '农户（受益日在监测）', household), field('category', '类别', category), field('amount', '金额（元）', amount), submit),
    result,
  );
  reload();

  async function request() {
    showError(form, null);
    clear(result);
    if (!household.value) return showError(form, fieldError('householdId', '请选择农户。'));
    const value = parseMoneyInput(amount.value);
    if (value === null) return showError(form, badAmount(amount.value));
    submit.disabled = true;
    try {
      const body = { fundId: fund.id, householdId: household.value, category: category.value, amount: value, date: date.value, villageId: village.value || undefined };
      const d = await send((key) => api.post('/v1/disbursements', body, { idempotencyKey: key }));
      amount.value = '';
      clear(
        result,
        h('p', { class: 'notice' }, `已提交：为农户 ${d.householdCode} 申请${label('category', d.category)} ${formatMoney(d.amount)} 元，状态：${label('disbursementStatus', d.status)}。须由另一位审批员审批后方可支付。`),
        created([d], villages),
      );
      refresh();
    } catch (error) {
      showError(form, located(error, REQUEST_FIELDS));
    } finally {
      submit.disabled = false;
    }
  }
  return { node: section('申请支付', form) };
}

/** A small table of what was just created. */
const created = (items, villages) =>
  table(
    [
      { title: '编号', value: (d) => d.id.slice(0, 8) },
      { title: '农户', value: (d) => d.householdCode },
      { title: '类别', value: (d) => label('category', d.category) },
      { title: '受益日期', value: (d) => d.date },
      { title: '来源', value: (d) => (d.villageId ? `${villageName(villages, d.villageId)}分配资金` : '基金') },
      { title: '状态', value: (d) => label('disbursementStatus', d.status) },
      { title: '金额（元）', class: 'num', value: (d) => money(d.amount) },
    ],
    items,
  );

function batchSection({ fund, villages, villageList, refresh }) {
  if (!fund.allowedCategories.some((c) => c !== 'insurance')) return { node: h('div', {}) };
  const category = categoryOptions(fund, 'living_allowance');
  const date = h('input', { name: 'date', type: 'date', value: today(), max: today(), required: true });
  const village = villageSelect(villageList);
  const hint = h('small', { class: 'hint' });
  const description = h('input', { name: 'description', maxlength: 400, size: 24 });
  const each = h('input', { name: 'each', inputmode: 'decimal', autocomplete: 'off', placeholder: '例如 300.00', size: 12 });
  const lines = h('div', { class: 'field', dataset: { field: 'items' } });
  const submit = h('button', { type: 'submit', class: 'primary', disabled: true }, '提交批量申请');
  const result = h('div', { role: 'status' });
  const send = writer();
  let rows = [];

  const describe = () => {
    const [y, m] = date.value.split('-');
    description.value = y && m ? `${y}年${Number(m)}月${label('category', category.value)}` : '';
  };
  describe();
  category.addEventListener('change', describe);
  date.addEventListener('change', describe);
  village.addEventListener('change', () => villageHint(hint, fund.id, village.value));

  const form = h(
    'form',
    { onsubmit: (event) => { event.preventDefault(); request(); } },
    h(
      'div',
      { class: 'toolbar' },
      field('category', '类别', category),
      field('date', '受益日期', date),
      field('villageId', '支出来源', village, hint),
      field('description', '说明', description),
      field('each', '每户金额（元）', each),
      h('button', { type: 'button', onclick: () => list() }, '列出在监测农户'),
    ),
    lines,
    h('div', { class: 'toolbar' }, submit),
    result,
  );

  async function list() {
    showError(form, null);
    clear(result);
    const value = each.value.trim() ? parseMoneyInput(each.value) : '';
    if (value === null) return showError(form, fieldError('each', `“${each.value}”不是有效金额。`));
    clear(lines, h('p', { class: 'loading' }, '正在加载…'));
    try {
      const households = await api.all('/v1/households', { monitoredOn: date.value, villageId: village.value || undefined });
      rows = households.map((x) => ({
        household: x,
        include: h('input', { type: 'checkbox', checked: true, 'aria-label': `纳入 ${x.code}` }),
        amount: h('input', { inputmode: 'decimal', autocomplete: 'off', value: value ? formatMoney(value) : '', size: 12, 'aria-label': `${x.code} 金额` }),
        error: h('span', {}),
      }));
      clear(
        lines,
        rows.length
          ? table(
              [
                { title: '纳入', value: (r) => r.include },
                { title: '户编号', value: (r) => r.household.code },
                { title: '户主', value: (r) => r.household.headName },
                { title: '村', value: (r) => villageName(villages, r.household.villageId) },
                { title: '金额（元）', class: 'num', value: (r) => [r.amount, r.error] },
              ],
              rows,
            )
          : h('p', { class: 'empty' }, '该日没有在监测的农户。'),
      );
      submit.disabled = !rows.length;
    } catch (error) {
      clear(lines);
      showError(form, error);
    }
  }

  async function request() {
    showError(form, null);
    clear(result);
    rows.forEach((r) => { clear(r.error); r.amount.removeAttribute('aria-invalid'); });
    const chosen = rows.filter((r) => r.include.checked);
    if (!chosen.length) return showError(form, fieldError('items', '请至少纳入一户。'));
    const items = chosen.map((r) => ({ householdId: r.household.id, amount: parseMoneyInput(r.amount.value) }));
    const bad = chosen.filter((r, i) => items[i].amount === null);
    if (bad.length) {
      // The whole refusal first (it clears earlier messages), then each bad line in its row.
      showError(form, fieldError('items', '有农户的金额填写有误，见下表。'));
      return bad.forEach((r) => mark(r, `“${r.amount.value}”不是有效金额`));
    }
    submit.disabled = true;
    try {
      const body = { fundId: fund.id, category: category.value, date: date.value, villageId: village.value || undefined, description: description.value.trim() || undefined, items };
      const batch = await send((key) => api.post('/v1/disbursement-batches', body, { idempotencyKey: key }));
      clear(lines);
      rows = [];
      clear(
        result,
        h(
          'p',
          { class: 'notice' },
          `已提交批量申请“${batch.description}”：${batch.items.length} 户，合计 ${formatMoney(batch.total)} 元，状态：${label('disbursementStatus', batch.status)}（批次号 ${batch.id.slice(0, 8)}）。须由另一位审批员整批审批。`,
        ),
        created(batch.items, villages),
      );
      refresh();
    } catch (error) {
      // A refused batch names each bad line: the whole refusal above the table, each line in its row.
      if (error.field && error.field !== 'items' && !form.querySelector(`[data-field="${error.field}"]`)) error.field = 'items';
      showError(form, located(error, REQUEST_FIELDS));
      for (const e of error.problem?.errors ?? []) {
        const index = e.index ?? Number(/^\/items\/(\d+)/.exec(e.path ?? '')?.[1]);
        if (Number.isInteger(index) && chosen[index]) mark(chosen[index], plainMessage({ code: e.code ?? 'validation_failed', problem: { detail: e.message } }));
      }
    } finally {
      submit.disabled = !rows.length;
    }
  }

  function mark(row, text) {
    row.amount.setAttribute('aria-invalid', 'true');
    clear(row.error, h('p', { class: 'field-error', role: 'alert' }, text));
  }
  return { node: section('申请月度批量支付', form) };
}

/**
 * The approval queue: requested and approved payments of this fund that OTHER keys requested. A batch's
 * lines are approved and paid together, so they show as one row per batch.
 */
function queueSection({ ctx, fund, villages, refresh }) {
  const requested = h('div', {});
  const approved = h('div', {});
  const node = section(
    '审批队列',
    h('p', { class: 'hint' }, '只列出其他人提交的申请：自己提交的须由另一位审批员审批和支付。'),
    h('h3', {}, '待审批'),
    requested,
    h('h3', {}, '已审批，待支付'),
    approved,
  );

  /** One page of the queue: scans the register by status, leaving out this key's own requests. */
  const load = (status) => async (cursor) => {
    const rows = [];
    const batches = new Set();
    let next = cursor;
    let scanned = 0;
    do {
      const page = await api.get('/v1/disbursements', { fundId: fund.id, status, limit: 100, cursor: next });
      for (const d of page.items) {
        if (d.requestedBy === ctx.me.id) continue;
        if (!d.batchId) rows.push({ d });
        else if (!batches.has(d.batchId)) {
          batches.add(d.batchId);
          rows.push({ batchId: d.batchId });
        }
      }
      scanned += page.items.length;
      next = page.nextCursor;
    } while (next && rows.length < 20 && scanned < 2000);
    await Promise.all(rows.filter((r) => r.batchId).map(async (r) => (r.b = await api.get(`/v1/disbursement-batches/${r.batchId}`, { limit: 1 }))));
    return { items: rows, nextCursor: next };
  };

  const columns = (actions) => [
    { title: '受益日期', value: (r) => (r.d ?? r.b).date },
    { title: '农户或批次', value: (r) => (r.d ? r.d.householdCode : `批次：${r.b.description}（${countOf(r.b)} 户）`) },
    { title: '类别', value: (r) => label('category', (r.d ?? r.b).category) },
    { title: '来源', value: (r) => ((r.d ?? r.b).villageId ? `${villageName(villages, (r.d ?? r.b).villageId)}分配资金` : '基金') },
    { title: '申请人', value: (r) => who(ctx, (r.d ?? r.b).requestedBy) },
    { title: '金额（元）', class: 'num', value: (r) => money(r.d ? r.d.amount : r.b.byStatus[r.b.status]?.amount ?? r.b.total) },
    { title: '操作', value: actions },
  ];

  const done = () => refresh();

  function refreshQueue() {
    clear(requested, pager(load('requested'), (rows) => table(columns(requestedActions), rows, { empty: '没有待您审批的申请' })));
    clear(approved, pager(load('approved'), (rows) => table(columns(approvedActions), rows, { empty: '没有待支付的款项' })));
  }

  function requestedActions(r) {
    const approve = action(
      r.d ? `审批` : '整批审批',
      [],
      () => (r.d ? api.post(`/v1/disbursements/${r.d.id}/approve`) : api.post(`/v1/disbursement-batches/${r.b.id}/approve`)),
    );
    return h('div', { class: 'toolbar' }, approve, r.d ? failForm(r.d) : null);
  }

  function approvedActions(r) {
    const reference = h('input', { name: 'bankReference', maxlength: 200, size: 16, autocomplete: 'off', placeholder: '一卡通批次号或回单号' });
    const pay = action(
      r.d ? '标记已支付' : '整批标记已支付',
      [field('bankReference', '银行回单号', reference)],
      () => {
        const bankReference = reference.value.trim();
        if (!bankReference) throw fieldError('bankReference', '请填写银行回单号或一卡通批次号。');
        return r.d ? api.post(`/v1/disbursements/${r.d.id}/pay`, { bankReference }) : api.post(`/v1/disbursement-batches/${r.b.id}/pay`, { bankReference });
      },
    );
    return h('div', { class: 'toolbar' }, pay, r.d ? failForm(r.d) : null);
  }

  function failForm(d) {
    const reason = h('input', { name: 'reason', maxlength: 500, size: 16, autocomplete: 'off', placeholder: '如 一卡通账户已销户' });
    return action('标记失败', [field('reason', '失败原因', reason)], () => {
      const text = reason.value.trim();
      if (!text) throw fieldError('reason', '请填写失败原因。');
      return api.post(`/v1/disbursements/${d.id}/fail`, { reason: text });
    });
  }

  /** A small form in a row: its fields, its button, its refusal shown in it. */
  function action(text, fields, run) {
    const button = h('button', { type: 'submit', class: text === '标记失败' ? '' : 'primary' }, text);
    const form = h(
      'form',
      {
        class: 'inline',
        onsubmit: async (event) => {
          event.preventDefault();
          showError(form, null);
          button.disabled = true;
          try {
            await run();
            done();
          } catch (error) {
            showError(form, located(error, {}));
            button.disabled = false;
          }
        },
      },
      fields,
      button,
    );
    return form;
  }

  refreshQueue();
  return { node, refresh: refreshQueue };
}

const countOf = (b) => Object.values(b.byStatus).reduce((n, s) => n + s.count, 0);

function registerSection({ ctx, fund, villages }) {
  const status = select('status', [{ value: '', text: '全部状态' }, ...['requested', 'approved', 'paid', 'failed'].map((s) => ({ value: s, text: label('disbursementStatus', s) }))], '');
  const from = h('input', { name: 'from', type: 'date' });
  const to = h('input', { name: 'to', type: 'date' });
  const list = h('div', {});
  const form = h(
    'form',
    { class: 'inline toolbar', onsubmit: (event) => { event.preventDefault(); refresh(); } },
    field('status', '状态', status),
    field('from', '受益日期从', from),
    field('to', '至', to),
    h('button', { type: 'submit' }, '查询'),
  );

  function refresh() {
    showError(form, null);
    clear(
      list,
      pager(
        (cursor) => api.get('/v1/disbursements', { fundId: fund.id, status: status.value, from: from.value, to: to.value, limit: 20, cursor }),
        (items) =>
          table(
            [
              { title: '受益日期', value: (d) => d.date },
              { title: '农户', value: (d) => h('a', { href: `#/households/${encodeURIComponent(d.householdId)}` }, d.householdCode) },
              { title: '类别', value: (d) => label('category', d.category) },
              { title: '来源', value: (d) => (d.villageId ? `${villageName(villages, d.villageId)}分配资金` : '基金') },
              { title: '状态', value: (d) => label('disbursementStatus', d.status) },
              { title: '申请 / 审批', value: (d) => `${who(ctx, d.requestedBy)} / ${d.approvedBy ? who(ctx, d.approvedBy) : '—'}` },
              { title: '支付或失败', value: (d) => (d.status === 'paid' ? `${shortTime(d.paidAt)} 回单 ${d.bankReference}` : d.status === 'failed' ? `${shortTime(d.failedAt)} ${d.failureReason ?? ''}` : '') },
              { title: '批次', value: (d) => (d.batchId ? d.batchId.slice(0, 8) : '') },
              { title: '金额（元）', class: 'num', value: (d) => money(d.amount) },
            ],
            items,
            { empty: '没有符合条件的支付记录' },
          ),
      ),
    );
  }
  refresh();
  return { node: section('支付登记簿', form, list), refresh };
}
