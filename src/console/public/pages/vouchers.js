// 凭证: hand-entered vouchers the way the office keeps them — an officer fills one in (制单), another key
// reviews it (审核) and it is posted (记账) at that moment; rejected ones go back to their preparer with the
// reason. Source documents (原始凭证) are attached to a draft before review. Posted vouchers print as the
// 记账凭证 form; a month prints for binding, with its cover.
import { api } from '../api.js';
import { formatMoney, sumMoney } from '../money.js';
import { clear, dateInput, errorBlock, field, fieldError, h, noFunds, onSubmit, pager, readAmount, section, table, today, who } from '../ui.js';

const STATUS = { draft: '待审核', posted: '已记账', rejected: '已退回', withdrawn: '已撤回' };
const FILE_TYPES = '.pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png';

export default {
  title: '凭证',
  permission: 'read',
  async render(main, ctx) {
    const funds = await ctx.funds();
    if (!funds.length) return noFunds(main, '凭证');
    const can = (permission) => ctx.me.permissions.includes(permission);
    const body = h('div', {});
    const picker = await ctx.fundPicker(() => show());
    clear(main, h('div', { class: 'toolbar' }, h('h1', {}, '凭证'), picker), body);

    async function show() {
      const fundId = ctx.state.fundId;
      const fund = funds.find((f) => f.id === fundId);
      // Hand vouchers move the bank account and the fund's own accounts; the others only their operations.
      const accounts = (await api.all(`/v1/funds/${encodeURIComponent(fundId)}/accounts`)).filter((a) => a.role === null || a.role === 'bank');
      const byId = new Map(accounts.map((a) => [a.id, a]));
      // A write refreshes the lists only: the form keeps what it just said.
      const lists = h('div', {});
      const env = { ctx, fundId, accounts, byId, refresh: () => showLists() };
      const showLists = () =>
        clear(
          lists,
          section('待审核凭证', h('p', { class: 'hint' }, '审核通过即记账；制单人不能审核自己填制的凭证。'), drafts(env, 'draft')),
          section('已退回凭证', drafts(env, 'rejected')),
          can('report') ? section('已记账凭证', posted(env)) : null,
        );
      clear(
        body,
        fund?.manualVouchersNeedReview ? h('p', { class: 'notice' }, '本基金的手工凭证须经他人审核后记账（制单 → 审核 → 记账）。') : null,
        can('record') ? section('填制凭证', draftForm(env)) : null,
        lists,
        can('report') ? section('凭证装订打印', bindingForm(fundId)) : null,
      );
      showLists();
    }
    show();
  },
};

/** The voucher form: its lines added one by one, debits and credits totalled as they are typed. `draft` to correct one. */
function draftForm(env, draft) {
  const date = dateInput({ name: 'date', required: true, value: draft?.date ?? today() });
  const description = h('input', { name: 'description', required: true, maxlength: 500, value: draft?.description ?? '', placeholder: '如 支付临时救助' });
  const reference = h('input', { name: 'reference', maxlength: 200, value: draft?.reference ?? '', placeholder: '银行回单号等' });
  const attachments = h('input', { name: 'attachments', inputmode: 'numeric', size: 3, value: String(draft?.attachments ?? 0) });
  const lines = h('tbody', {});
  const totals = h('p', { class: 'hint', 'aria-live': 'polite' });
  const done = h('div', { role: 'status' });

  const accountOptions = (selected) =>
    env.accounts.map((a) => h('option', { value: a.id, selected: a.id === selected }, `${a.code} ${a.name}`));
  function addLine(line = {}) {
    const account = h('select', { name: 'accountId', 'aria-label': '会计科目' }, accountOptions(line.accountId));
    const side = h('select', { name: 'direction', 'aria-label': '借贷方向' }, [
      h('option', { value: 'debit', selected: line.direction !== 'credit' }, '借'),
      h('option', { value: 'credit', selected: line.direction === 'credit' }, '贷'),
    ]);
    const amount = h('input', { name: 'amount', inputmode: 'decimal', autocomplete: 'off', size: 12, 'aria-label': '金额（元）', value: line.amount ? formatMoney(line.amount) : '' });
    const memo = h('input', { name: 'memo', maxlength: 500, 'aria-label': '摘要（本行）', value: line.memo ?? '', placeholder: '本行摘要，可空' });
    const row = h(
      'tr',
      {},
      h('td', {}, memo),
      h('td', {}, account),
      h('td', {}, side),
      h('td', {}, amount),
      h('td', {}, h('button', { type: 'button', onclick: () => { row.remove(); sum(); } }, '删除')),
    );
    row.read = () => ({ accountId: account.value, direction: side.value, amount: readAmount(amount, 'amount'), memo: memo.value.trim() || undefined });
    amount.addEventListener('input', sum);
    side.addEventListener('change', sum);
    lines.append(row);
  }
  function sum() {
    const read = [...lines.children].map((row) => {
      try {
        return row.read();
      } catch {
        return null;
      }
    });
    const total = (direction) => sumMoney(read.filter((l) => l && l.direction === direction).map((l) => l.amount));
    const [debit, credit] = [total('debit'), total('credit')];
    totals.textContent = `借方合计 ${formatMoney(debit)}，贷方合计 ${formatMoney(credit)}${debit === credit ? '' : '（不平衡）'}`;
  }
  for (const line of draft?.lines ?? [{}, { direction: 'credit' }]) addLine(line);
  sum();

  const form = h(
    'form',
    { 'aria-label': draft ? '修改凭证' : '填制凭证' },
    h('div', { class: 'toolbar' }, field('date', '日期', date), field('description', '摘要', description), field('reference', '参考号', reference), field('attachments', '附件（张）', attachments)),
    h('table', {}, h('thead', {}, h('tr', {}, ['摘要', '会计科目', '方向', '金额（元）', ''].map((t) => h('th', {}, t)))), lines),
    totals,
    h('div', { class: 'toolbar' }, h('button', { type: 'button', onclick: () => addLine({}) }, '增加一行'), h('button', { type: 'submit', class: 'primary' }, draft ? '保存并重新提交审核' : '提交审核')),
  );
  form.addEventListener(
    'submit',
    onSubmit(form, async (key) => {
      clear(done);
      if (!description.value.trim()) throw fieldError('description', '请填写摘要。');
      if (!/^\d{1,3}$/.test(attachments.value.trim())) throw fieldError('attachments', '附件张数为 0 至 999 的整数。');
      const body = {
        date: date.value.trim(),
        description: description.value.trim(),
        attachments: Number(attachments.value.trim()),
        lines: [...lines.children].map((row) => row.read()),
      };
      if (reference.value.trim()) body.reference = reference.value.trim();
      const saved = draft
        ? await api.put(`/v1/vouchers/${draft.id}`, body, { idempotencyKey: key })
        : await api.post('/v1/vouchers', body, { idempotencyKey: key });
      clear(done, h('p', { class: 'notice' }, `已提交审核：${saved.date} ${saved.description}（第 ${saved.version} 版）。可在下方待审核凭证中上传原始凭证。`));
      env.refresh();
    }),
  );
  return h('div', {}, form, done);
}

const total = (d) => sumMoney(d.lines.filter((l) => l.direction === 'debit').map((l) => l.amount));

/** Drafts of the fund in one status, oldest first, each with what this key may do to it. */
function drafts(env, status) {
  const { ctx } = env;
  const mine = (d) => d.preparedBy === ctx.me.id;
  return pager(
    (cursor) => api.get('/v1/vouchers', { status, fundId: env.fundId, limit: 20, cursor }),
    (items) =>
      table(
        [
          { title: '日期', value: (d) => d.date },
          { title: '摘要', value: (d) => `${d.reverses ? '【红字冲销】' : ''}${d.description}${d.reverses ? `（${d.reverses.reason}）` : ''}` },
          { title: '分录', value: (d) => h('ul', { class: 'plain' }, d.lines.map((l) => h('li', {}, `${l.direction === 'debit' ? '借' : '贷'} ${env.byId.get(l.accountId)?.code ?? ''} ${env.byId.get(l.accountId)?.name ?? l.accountId} ${formatMoney(l.amount)}`))) },
          { title: '金额（元）', class: 'num', value: (d) => formatMoney(total(d)) },
          // What the reviewer checks the voucher against, before approving it.
          ...(ctx.me.permissions.includes('report') ? [{ title: '原始凭证', value: (d) => attachmentList(`/v1/vouchers/${d.id}/attachments`, d.attachments) }] : []),
          { title: '制单', value: (d) => who(ctx, d.preparedBy, d.preparedByName) },
          { title: status === 'rejected' ? '退回原因' : '状态', value: (d) => (status === 'rejected' ? `${d.reason}（${who(ctx, d.reviewedBy, d.reviewedByName)}）` : STATUS[d.status]) },
          { title: '操作', value: (d) => actions(env, d, mine(d)) },
        ],
        items,
        { empty: status === 'draft' ? '没有待审核的凭证。' : '没有退回的凭证。' },
      ),
  );
}

function actions(env, d, mine) {
  const can = (permission) => env.ctx.me.permissions.includes(permission);
  const out = h('div', { class: 'stack' });
  const small = (text, fields, run, primary) => {
    const form = h('form', { class: 'inline' }, fields, h('button', { type: 'submit', class: primary ? 'primary' : undefined }, text));
    form.addEventListener('submit', onSubmit(form, async (key) => { await run(key); env.refresh(); }));
    return form;
  };
  if (d.status === 'draft' && can('approve') && !mine) {
    out.append(small('审核通过并记账', [], (key) => api.post(`/v1/vouchers/${d.id}/approve`, { version: d.version }, { idempotencyKey: key }), true));
    const reason = h('input', { name: 'reason', maxlength: 500, placeholder: '退回原因', 'aria-label': '退回原因' });
    out.append(small('退回', [reason], (key) => {
      if (!reason.value.trim()) throw fieldError('reason', '请填写退回原因。');
      return api.post(`/v1/vouchers/${d.id}/reject`, { reason: reason.value.trim() }, { idempotencyKey: key });
    }));
  }
  if (mine && can('record')) {
    if (d.status === 'rejected' && !d.reverses) {
      const holder = h('div', {});
      out.append(h('button', { type: 'button', onclick: () => clear(holder, draftForm(env, d)) }, '修改'), holder);
    }
    const reason = h('input', { name: 'reason', maxlength: 500, placeholder: '撤回原因', 'aria-label': '撤回原因' });
    out.append(small('撤回', [reason], (key) => {
      if (!reason.value.trim()) throw fieldError('reason', '请填写撤回原因。');
      return api.post(`/v1/vouchers/${d.id}/withdrawal`, { reason: reason.value.trim() }, { idempotencyKey: key });
    }));
  }
  if (can('record')) out.append(attachForm(`/v1/vouchers/${d.id}/attachments`, env.refresh));
  return out;
}

/** The documents attached, each downloadable as it was added; a withdrawn one struck through with its reason. */
function attachmentList(path, declared) {
  const box = h('div', {}, h('span', { class: 'hint' }, '…'));
  api
    .get(path)
    .then(({ items }) =>
      clear(
        box,
        items.length
          ? h(
              'ul',
              { class: 'plain' },
              items.map((a) =>
                h(
                  'li',
                  {},
                  a.withdrawn
                    ? h('s', { title: `已撤回：${a.withdrawalReason}` }, a.fileName)
                    : h('button', { type: 'button', class: 'link', onclick: () => api.download(`/v1/attachments/${a.id}/content`, {}, a.fileName).catch((e) => clear(box, errorBlock(e))) }, a.fileName),
                ),
              ),
            )
          : h('span', { class: 'hint' }, declared ? `未上传（申报 ${declared} 张）` : '无'),
      ),
    )
    .catch((e) => clear(box, errorBlock(e)));
  return box;
}

/** One source document sent as it is (its bytes decide its type), with the upload's progress. */
function attachForm(path, attached) {
  const file = h('input', { name: 'file', type: 'file', accept: FILE_TYPES, class: 'file-input', 'aria-label': '原始凭证文件' });
  const chosen = h('span', { class: 'hint' }, '');
  file.addEventListener('change', () => (chosen.textContent = file.files?.[0]?.name ?? ''));
  const progress = h('span', { 'aria-live': 'polite' });
  const form = h('form', { class: 'inline', 'aria-label': '上传原始凭证' }, h('label', { class: 'file-pick' }, file, '选择原始凭证…'), chosen, h('button', { type: 'submit' }, '上传'), progress);
  form.addEventListener(
    'submit',
    onSubmit(form, async (key) => {
      const picked = file.files?.[0];
      if (!picked) throw fieldError('file', '请选择 PDF、JPEG 或 PNG 文件。');
      await api.upload(`${path}?name=${encodeURIComponent(picked.name)}`, picked, {
        contentType: picked.type || 'application/octet-stream',
        idempotencyKey: key,
        onProgress: (sent, size) => (progress.textContent = size ? `${Math.round((sent / size) * 100)}%` : ''),
      });
      progress.textContent = '已上传';
      attached();
    }),
  );
  return form;
}

/** The fund's posted vouchers, newest page last, each printable as its 记账凭证. */
function posted(env) {
  const label = (t) => t.voucherNumbers.find((n) => n.fundId === env.fundId)?.label ?? `#${t.number}`;
  const total = (t) => sumMoney(t.lines.filter((l) => l.fundId === env.fundId && l.direction === 'debit').map((l) => l.amount));
  const failure = h('div', {});
  return h(
    'div',
    {},
    failure,
    pager(
      (cursor) => api.get('/v1/transactions', { fundId: env.fundId, limit: 20, cursor }),
      (items) =>
        table(
          [
            { title: '凭证号', value: (t) => label(t) },
            { title: '日期', value: (t) => t.date },
            { title: '摘要', value: (t) => `${t.reversesTransactionId ? '【红字冲销】' : ''}${t.description}` },
            { title: '金额（元）', class: 'num', value: (t) => formatMoney(total(t)) },
            { title: '记账', value: (t) => who(env.ctx, t.createdBy, t.createdByName) },
            {
              title: '打印',
              value: (t) =>
                h('button', {
                  type: 'button',
                  onclick: () => api.download(`/v1/transactions/${t.id}/voucher`, { format: 'pdf' }, `${label(t)}.pdf`).catch((e) => clear(failure, errorBlock(e))),
                }, '打印凭证'),
            },
            ...(env.ctx.me.permissions.includes('record') ? [{ title: '冲销', value: (t) => (t.reversesTransactionId || t.reversedByTransactionId ? '' : reversalForm(env, t)) }] : []),
          ],
          items,
          { empty: '本基金还没有记账凭证。' },
        ),
    ),
  );
}

/** 红字冲销 drafted for review: the voucher's mirror, posted when another key approves it. */
function reversalForm(env, t) {
  const reason = h('input', { name: 'reason', maxlength: 500, size: 10, placeholder: '冲销原因', 'aria-label': '冲销原因' });
  const form = h('form', { class: 'inline' }, reason, h('button', { type: 'submit' }, '起草冲销'));
  form.addEventListener(
    'submit',
    onSubmit(form, async (key) => {
      if (!reason.value.trim()) throw fieldError('reason', '请填写冲销原因。');
      await api.post('/v1/vouchers/reversals', { transactionId: t.id, reason: reason.value.trim() }, { idempotencyKey: key });
      env.refresh();
    }),
  );
  return form;
}

function bindingForm(fundId) {
  const month = h('input', { name: 'period', inputmode: 'numeric', size: 7, maxlength: 7, placeholder: 'YYYY-MM', value: today().slice(0, 7), title: '月份，格式 YYYY-MM' });
  const outcome = h('div', {});
  const form = h('form', { class: 'inline', 'aria-label': '凭证装订打印' }, field('period', '月份', month), h('button', { type: 'submit' }, '下载装订 PDF（含封面）'), outcome);
  form.addEventListener(
    'submit',
    onSubmit(form, async () => {
      clear(outcome);
      if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(month.value.trim())) throw fieldError('period', '月份格式为 YYYY-MM，例如 2026-11。');
      await api.download(`/v1/funds/${encodeURIComponent(fundId)}/vouchers`, { period: month.value.trim(), format: 'pdf' }, `凭证-${month.value.trim()}.pdf`);
      clear(outcome, h('span', { class: 'hint' }, '已下载：封面在前，每页两张凭证。'));
    }),
  );
  return form;
}
