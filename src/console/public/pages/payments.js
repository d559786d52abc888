// 支付: officers request a payment to a monitored household, or a monthly batch (生活补助); approvers see
// what OTHER keys requested (maker–checker: never their own), approve it (the money is reserved), then mark
// it paid with the bank's reference or failed with a reason; everyone sees the payment register.
// A batch is approved and paid whole: a line the API refuses is failed first (标记失败, line by line, from
// the batch's lines under its row), then the rest is approved or paid.
// Every refusal is shown beside the field (or the row) it concerns.
import { api, ApiError } from '../api.js';
import { formatMoney } from '../money.js';
import {
  clear, dateInput, errorBlock, field, fieldError, figures, h, label, money, noFunds, onSubmit, pager, plainMessage, readAmount, section, select, shortTime, showError, table, today, who,
} from '../ui.js';

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

/** The refusal, placed by its code when the API names no field. */
function located(error, fields) {
  if (error instanceof ApiError && !error.field && fields[error.code]) error.field = fields[error.code];
  return error;
}

/** One refused line of a batch ({index, code, message}) in plain words, its figures read from its sentence. */
function lineMessage(e) {
  const problem = { detail: e.message };
  const today = /not monitored today \((\d{4}-\d\d-\d\d)\).*benefit is for (\d{4}-\d\d-\d\d)/.exec(e.message ?? '');
  const on = /not monitored on (\d{4}-\d\d-\d\d)/.exec(e.message ?? '');
  if (e.code === 'not_monitored' && today) Object.assign(problem, { date: today[1], benefitDate: today[2] });
  else if (e.code === 'not_monitored' && on) problem.date = on[1];
  const cap = /at most ([\d.,]+) of (.+) from this fund in (\d{4}); ([\d.,]+) is already approved or paid, so ([\d.,]+) remains, less than the ([\d.,]+) asked/.exec(e.message ?? '');
  if (e.code === 'over_cap' && cap) {
    const plain = (x) => x.replace(/,/g, '');
    Object.assign(problem, { cap: plain(cap[1]), year: cap[3], used: plain(cap[4]), remaining: plain(cap[5]), amount: plain(cap[6]), category: cap[2] });
  }
  return plainMessage({ code: e.code ?? 'validation_failed', problem, message: e.message });
}

export default {
  title: '支付',
  permission: 'read',
  async render(main, ctx) {
    const funds = await ctx.funds();
    if (!funds.length) return noFunds(main, '支付');
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
        can('report') ? fundFigures(env) : null,
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
/** A batch as people know it: its description and date. */
const batchLabel = (b) => (b ? `${b.description}（${b.date}）` : '');

/** The fund's money today: what approvals may still reserve, and what is reserved awaiting the bank. */
function fundFigures({ fund }) {
  const node = h('div', { class: 'card', 'aria-label': '基金资金' });
  async function refresh() {
    try {
      const s = await api.get(`/v1/funds/${fund.id}/statement`, { from: today(), to: today(), format: 'json' });
      clear(node, figures([['可用余额（可审批预留，元）', s.available], ['已预留待支付（元）', s.reserved], ['银行存款合计（元）', s.closingBalance]]));
    } catch (error) {
      clear(node, errorBlock(error));
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
  const date = dateInput({ name: 'date', value: today(), required: true });
  const household = h('select', { name: 'householdId' });
  const category = categoryOptions(fund, 'medical_subsidy');
  const amount = h('input', { name: 'amount', inputmode: 'decimal', autocomplete: 'off', placeholder: '例如 3,000.00' });
  const submit = h('button', { type: 'submit', class: 'primary' }, '提交申请');
  const result = h('div', { role: 'status' });
  let preselect = ctx.params[0];
  const reload = () => householdOptions(household, { date: date.value, villageId: village.value, villages, preselect: household.value || preselect }).then(() => (preselect = undefined));
  village.addEventListener('change', () => { villageHint(hint, fund.id, village.value); reload(); });
  date.addEventListener('change', reload);

  const form = h(
    'form',
    {},
    h('div', { class: 'toolbar' }, field('villageId', '支出来源', village, hint), field('date', '受益日期', date)),
    h('div', { class: 'toolbar' }, field('householdId', '农户（受益日在监测）', household), field('category', '类别', category), field('amount', '金额（元）', amount), submit),
    result,
  );
  reload();

  form.addEventListener(
    'submit',
    onSubmit(form, async (key) => {
      clear(result);
      if (!household.value) throw fieldError('householdId', '请选择农户。');
      const value = readAmount(amount, 'amount');
      const body = { fundId: fund.id, householdId: household.value, category: category.value, amount: value, date: date.value, villageId: village.value || undefined };
      let d;
      try {
        d = await api.post('/v1/disbursements', body, { idempotencyKey: key });
      } catch (error) {
        throw located(error, REQUEST_FIELDS);
      }
      amount.value = '';
      clear(
        result,
        h('p', { class: 'notice' }, `已提交：为农户 ${d.householdCode} 申请${label('category', d.category)} ${formatMoney(d.amount)} 元，状态：${label('disbursementStatus', d.status)}。须由另一位审批员审批后方可支付。`),
        created([d], villages),
      );
      refresh();
    }),
  );
  return { node: section('申请支付', form) };
}

/** A small table of what was just created. */
const created = (items, villages) =>
  table(
    [
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
  const date = dateInput({ name: 'date', value: today(), required: true });
  const village = villageSelect(villageList);
  const hint = h('small', { class: 'hint' });
  const description = h('input', { name: 'description', maxlength: 400, size: 24 });
  const each = h('input', { name: 'each', inputmode: 'decimal', autocomplete: 'off', placeholder: '例如 300.00', size: 12 });
  const lines = h('div', { class: 'field', dataset: { field: 'items' } });
  const submit = h('button', { type: 'submit', class: 'primary', disabled: true }, '提交批量申请');
  const result = h('div', { role: 'status' });
  let rows = [];
  // Lines to mark in their rows once the form has shown the whole refusal (which clears earlier marks).
  let marks = [];

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
    {},
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
    clear(lines, h('p', { class: 'loading' }, '正在加载…'));
    try {
      const value = each.value.trim() ? readAmount(each, 'each') : '';
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

  const submitBatch = onSubmit(form, async (key) => {
    clear(result);
    marks = [];
    rows.forEach((r) => { clear(r.error); r.amount.removeAttribute('aria-invalid'); });
    const chosen = rows.filter((r) => r.include.checked);
    if (!chosen.length) throw fieldError('items', '请至少纳入一户。');
    const items = chosen.map((r) => {
      try {
        return { householdId: r.household.id, amount: readAmount(r.amount, 'items') };
      } catch (error) {
        marks.push([r, `“${r.amount.value}”不是有效金额`]);
        return null;
      }
    });
    if (marks.length) throw fieldError('items', '有农户的金额填写有误，见下表。');
    const body = { fundId: fund.id, category: category.value, date: date.value, villageId: village.value || undefined, description: description.value.trim() || undefined, items };
    let batch;
    try {
      batch = await api.post('/v1/disbursement-batches', body, { idempotencyKey: key });
    } catch (error) {
      // A refused batch names each bad line: the whole refusal above the table, each line in its row.
      if (error.field && error.field !== 'items' && !form.querySelector(`[data-field="${CSS.escape(error.field)}"]`)) error.field = 'items';
      for (const e of error.problem?.errors ?? []) {
        const index = e.index ?? Number(/^\/items\/(\d+)/.exec(e.path ?? '')?.[1]);
        if (Number.isInteger(index) && chosen[index]) marks.push([chosen[index], e.code ? lineMessage(e) : plainMessage({ code: 'validation_failed', problem: { detail: e.message } })]);
      }
      throw located(error, REQUEST_FIELDS);
    }
    clear(lines);
    rows = [];
    submit.disabled = true;
    clear(
      result,
      h(
        'p',
        { class: 'notice' },
        `已提交批量申请“${batch.description}”：${batch.items.length} 户，合计 ${formatMoney(batch.total)} 元，状态：${label('disbursementStatus', batch.status)}（${batch.date}）。须由另一位审批员整批审批。`,
      ),
      created(batch.items, villages),
    );
    refresh();
  });
  form.addEventListener('submit', async (event) => {
    await submitBatch(event);
    for (const [row, text] of marks) mark(row, text);
    marks = [];
    if (!rows.length) submit.disabled = true;
  });

  function mark(row, text) {
    row.amount.setAttribute('aria-invalid', 'true');
    clear(row.error, h('p', { class: 'field-error', role: 'alert' }, text));
  }
  return { node: section('申请月度批量支付', form) };
}

/**
 * The approval queue: requested and approved payments of this fund that OTHER keys requested. A batch's
 * lines are approved and paid together, so they show as one row per batch; its lines, under its row (各户明细),
 * may be failed one by one — which a batch with a refused line needs before the rest can go on.
 */
function queueSection({ ctx, fund, villages, refresh }) {
  const requested = h('div', {});
  const approved = h('div', {});
  const node = section(
    '审批队列',
    h('p', { class: 'hint' }, '只列出其他人提交的申请：自己提交的须由另一位审批员审批和支付。批次整批审批、整批支付；有户不能办理时，先在“各户明细”中将其标记失败，再办理其余各户。'),
    h('h3', {}, '待审批'),
    requested,
    h('h3', {}, '已审批，待支付'),
    approved,
  );
  // Kept across the queue's refreshes: which batches show their lines, and each batch's refused lines.
  const open = new Set();
  const refusedLines = new Map();

  /**
   * One page of the queue: scans the register by status, leaving out this key's own requests. A batch
   * shows on the queue page where its first line was met, never again on a later page.
   */
  const load = (status) => {
    const batchPage = new Map();
    return async (cursor) => {
      const here = cursor ?? '';
      const rows = [];
      let next = cursor;
      let scanned = 0;
      do {
        const page = await api.get('/v1/disbursements', { fundId: fund.id, status, limit: 100, cursor: next });
        for (const d of page.items) {
          if (d.requestedBy === ctx.me.id) continue;
          if (!d.batchId) rows.push({ d });
          else if (!batchPage.has(d.batchId)) {
            batchPage.set(d.batchId, here);
            rows.push({ batchId: d.batchId });
          } else if (batchPage.get(d.batchId) === here && !rows.some((r) => r.batchId === d.batchId)) {
            rows.push({ batchId: d.batchId }); // this page shown again (上一页)
          }
        }
        scanned += page.items.length;
        next = page.nextCursor;
      } while (next && rows.length < 20 && scanned < 2000);
      await Promise.all(rows.filter((r) => r.batchId).map(async (r) => (r.b = await api.get(`/v1/disbursement-batches/${r.batchId}`, { limit: 1 }))));
      return { items: rows, nextCursor: next };
    };
  };

  const columns = (actions) => [
    { title: '受益日期', value: (r) => (r.d ?? r.b).date },
    { title: '农户或批次', value: (r) => (r.d ? r.d.householdCode : `批次：${r.b.description}（${countOf(r.b)} 户${r.b.byStatus.failed.count ? `，其中 ${r.b.byStatus.failed.count} 户已失败` : ''}）`) },
    { title: '类别', value: (r) => label('category', (r.d ?? r.b).category) },
    { title: '来源', value: (r) => ((r.d ?? r.b).villageId ? `${villageName(villages, (r.d ?? r.b).villageId)}分配资金` : '基金') },
    { title: '申请人', value: (r) => who(ctx, (r.d ?? r.b).requestedBy, (r.d ?? r.b).requestedByName) },
    { title: '金额（元）', class: 'num', value: (r) => money(r.d ? r.d.amount : r.b.byStatus[r.b.status]?.amount ?? r.b.total) },
    { title: '操作', value: actions },
  ];

  /** The queue's table, with a row of its lines under each batch's row (shown with 各户明细). */
  function queueTable(rows, actions, empty) {
    const details = new Map();
    const node = table(columns((r) => actions(r, details)), rows, { empty });
    if (node.tagName !== 'TABLE') return node;
    const trs = [...node.tBodies[0].rows];
    rows.forEach((r, i) => {
      if (!r.b) return;
      const cell = h('td', { colSpan: 7 });
      const tr = h('tr', { class: 'batch-lines', hidden: !open.has(r.b.id) }, cell);
      const detail = { tr, cell, show: () => showLines(r.b, cell) };
      details.set(r.b.id, detail);
      trs[i].after(tr);
      if (open.has(r.b.id)) detail.show();
    });
    return node;
  }

  function toggle(b, details) {
    return h('button', {
      type: 'button',
      class: 'link',
      'aria-expanded': String(open.has(b.id)),
      onclick: (event) => {
        const detail = details.get(b.id);
        const opening = detail.tr.hidden;
        detail.tr.hidden = !opening;
        event.currentTarget.setAttribute('aria-expanded', String(opening));
        if (opening) {
          open.add(b.id);
          detail.show();
        } else open.delete(b.id);
      },
    }, `各户明细（${countOf(b)} 户）`);
  }

  /** A batch's refused lines (each with 标记失败), then all its lines page by page. */
  function showLines(b, cell) {
    const refused = refusedLines.get(b.id) ?? [];
    const marked = new Map(refused.map((e) => [e.disbursementId, e]));
    clear(
      cell,
      refused.length
        ? h(
            'div',
            {},
            h('p', { class: 'form-error', role: 'alert' }, `以下 ${refused.length} 户不能办理，整批都没有办理：请将其标记失败（注明原因），再办理其余各户。`),
            table(
              [
                { title: '行', class: 'num', value: (e) => String(e.index + 1) },
                { title: '农户', value: (e) => /Household (\S+)/.exec(e.message ?? '')?.[1] ?? String(e.householdId).slice(0, 8) },
                { title: '原因', value: (e) => lineMessage(e) },
                { title: '操作', value: (e) => failForm({ id: e.disbursementId, batchId: b.id }) },
              ],
              refused,
            ),
          )
        : null,
      h('h4', {}, `批次“${b.description}”各户明细`),
      pager(
        (cursor) => api.get(`/v1/disbursement-batches/${b.id}`, { limit: 20, cursor }),
        (items) =>
          table(
            [
              { title: '户编号', value: (d) => h('a', { href: `#/households/${encodeURIComponent(d.householdId)}` }, d.householdCode) },
              { title: '状态', value: (d) => label('disbursementStatus', d.status) },
              {
                title: '说明',
                value: (d) =>
                  d.status === 'failed'
                    ? `失败原因：${d.failureReason ?? ''}`
                    : marked.has(d.id)
                      ? h('span', { class: 'field-error', role: 'alert' }, `不能办理：${lineMessage(marked.get(d.id))}`)
                      : '',
              },
              { title: '金额（元）', class: 'num', value: (d) => money(d.amount) },
              { title: '操作', value: (d) => (d.status === 'requested' || d.status === 'approved' ? failForm(d) : '') },
            ],
            items,
            { empty: '该批次没有明细' },
          ),
      ),
    );
  }

  function refreshQueue() {
    clear(requested, pager(load('requested'), (rows) => queueTable(rows, requestedActions, '没有待您审批的申请')));
    clear(approved, pager(load('approved'), (rows) => queueTable(rows, approvedActions, '没有待支付的款项')));
  }

  /** Runs a batch's approval or payment; a refusal naming lines opens the batch's lines with them marked. */
  const batchWrite = (b, details, send) => async (key) => {
    try {
      await send(key);
      refusedLines.delete(b.id);
      open.delete(b.id);
    } catch (error) {
      const lines = (error.problem?.errors ?? []).filter((e) => e.disbursementId);
      if (lines.length) {
        refusedLines.set(b.id, lines);
        open.add(b.id);
        const detail = details.get(b.id);
        if (detail) {
          detail.tr.hidden = false;
          detail.show();
        }
      }
      throw error;
    }
  };

  function requestedActions(r, details) {
    if (r.d) {
      return h('div', { class: 'toolbar' }, action('审批', [], (key) => api.post(`/v1/disbursements/${r.d.id}/approve`, undefined, { idempotencyKey: key })), failForm(r.d));
    }
    const approve = action('整批审批', [], batchWrite(r.b, details, (key) => api.post(`/v1/disbursement-batches/${r.b.id}/approve`, undefined, { idempotencyKey: key })));
    return h('div', { class: 'toolbar' }, approve, toggle(r.b, details));
  }

  function approvedActions(r, details) {
    const reference = h('input', { name: 'bankReference', maxlength: 200, size: 16, autocomplete: 'off', placeholder: '一卡通批次号或回单号' });
    const bankReference = () => {
      const text = reference.value.trim();
      if (!text) throw fieldError('bankReference', '请填写银行回单号或一卡通批次号。');
      return text;
    };
    const fields = [field('bankReference', '银行回单号', reference)];
    if (r.d) {
      return h(
        'div',
        { class: 'toolbar' },
        action('标记已支付', fields, (key) => api.post(`/v1/disbursements/${r.d.id}/pay`, { bankReference: bankReference() }, { idempotencyKey: key })),
        failForm(r.d),
      );
    }
    const pay = action('整批标记已支付', fields, batchWrite(r.b, details, (key) => api.post(`/v1/disbursement-batches/${r.b.id}/pay`, { bankReference: bankReference() }, { idempotencyKey: key })));
    return h('div', { class: 'toolbar' }, pay, toggle(r.b, details));
  }

  /** 标记失败 with a reason: a single payment, or one line of a batch. */
  function failForm(d) {
    const reason = h('input', { name: 'reason', maxlength: 500, size: 16, autocomplete: 'off', placeholder: '如 一卡通账户已销户', 'aria-label': '失败原因' });
    return action(
      '标记失败',
      [field('reason', '失败原因', reason)],
      async (key) => {
        const text = reason.value.trim();
        if (!text) throw fieldError('reason', '请填写失败原因。');
        await api.post(`/v1/disbursements/${d.id}/fail`, { reason: text }, { idempotencyKey: key });
        const left = (refusedLines.get(d.batchId) ?? []).filter((e) => e.disbursementId !== d.id);
        if (d.batchId) {
          if (left.length) refusedLines.set(d.batchId, left);
          else refusedLines.delete(d.batchId);
        }
      },
      false,
    );
  }

  /** A small form in a row: its fields, its button; its refusal shown in it; the page refreshed after success. */
  function action(text, fields, run, primary = true) {
    const form = h('form', { class: 'inline' }, fields, h('button', { type: 'submit', class: primary ? 'primary' : undefined }, text));
    form.addEventListener(
      'submit',
      onSubmit(form, async (key) => {
        await run(key);
        refresh();
      }),
    );
    return form;
  }

  refreshQueue();
  return { node, refresh: refreshQueue };
}

const countOf = (b) => Object.values(b.byStatus).reduce((n, s) => n + s.count, 0);

function registerSection({ ctx, fund, villages }) {
  const batches = new Map();
  const status = select('status', [{ value: '', text: '全部状态' }, ...['requested', 'approved', 'paid', 'failed'].map((s) => ({ value: s, text: label('disbursementStatus', s) }))], '');
  const from = dateInput({ name: 'from' });
  const to = dateInput({ name: 'to' });
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
        async (cursor) => {
          const page = await api.get('/v1/disbursements', { fundId: fund.id, status: status.value, from: from.value, to: to.value, limit: 20, cursor });
          const unknown = [...new Set(page.items.map((d) => d.batchId).filter((id) => id && !batches.has(id)))];
          await Promise.all(unknown.map(async (id) => batches.set(id, await api.get(`/v1/disbursement-batches/${id}`, { limit: 1 }))));
          return page;
        },
        (items) =>
          table(
            [
              { title: '受益日期', value: (d) => d.date },
              { title: '农户', value: (d) => h('a', { href: `#/households/${encodeURIComponent(d.householdId)}` }, d.householdCode) },
              { title: '类别', value: (d) => label('category', d.category) },
              { title: '来源', value: (d) => (d.villageId ? `${villageName(villages, d.villageId)}分配资金` : '基金') },
              { title: '状态', value: (d) => label('disbursementStatus', d.status) },
              { title: '申请 / 审批', value: (d) => `${who(ctx, d.requestedBy, d.requestedByName)} / ${who(ctx, d.approvedBy, d.approvedByName)}` },
              {
                title: '支付或失败',
                value: (d) =>
                  d.status === 'paid'
                    ? `${shortTime(d.paidAt)} ${who(ctx, d.paidBy, d.paidByName)} 回单 ${d.bankReference}`
                    : d.status === 'failed'
                      ? `${shortTime(d.failedAt)} ${d.failedBy ? who(ctx, d.failedBy, d.failedByName) : ''} ${d.failureReason ?? ''}`
                      : '',
              },
              { title: '批次', value: (d) => batchLabel(batches.get(d.batchId)) },
              { title: '金额（元）', class: 'num', value: (d) => money(d.amount) },
            ],
            items,
            { empty: '没有符合条件的支付记录' },
          ),
        { form },
      ),
    );
  }
  refresh();
  return { node: section('支付登记簿', form, list), refresh };
}
