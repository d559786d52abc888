// 防贫保: the chosen fund's poverty-prevention insurance policies with their figures (premium paid,
// claims by status, payouts, refunds, carry-forwards, the pool's balance); the claims of a policy by
// status, and its payouts to households. Approvers may also approve, pay or reject a claim from here.
//
// Claims are listed per policy: the API filters claims by policy, household, status or date, not by
// fund, so the fund's claims are read policy by policy.
import { api } from '../api.js';
import { formatMoney, toFen } from '../money.js';
import {
  clear, dateInput, errorBlock, field, fieldError, figures, h, label, money, noFunds, onSubmit, pager, readAmount, section, select, table, today,
} from '../ui.js';

const STATUSES = ['filed', 'approved', 'paid', 'rejected'];

/** Households named in claims, read once each while the tab is open. */
const households = new Map();
async function householdsOf(claims) {
  const missing = [...new Set(claims.map((c) => c.householdId))].filter((id) => !households.has(id));
  await Promise.all(
    missing.map(async (id) => {
      try {
        households.set(id, await api.get(`/v1/households/${encodeURIComponent(id)}`));
      } catch {
        households.set(id, null); // out of reach or gone: the id is shown instead
      }
    }),
  );
}
const householdCell = (id) => {
  const x = households.get(id);
  return h('a', { href: `#/households/${encodeURIComponent(id)}` }, x ? `${x.code} ${x.headName}` : id.slice(0, 8));
};

const policyText = (p) => `${p.insurer}${p.policyNumber ? `（${p.policyNumber}）` : ''}`;
const cover = (p) => `${p.coverFrom} 至 ${p.coverTo}`;
const negative = (value) => toFen(value) < 0n;

export default {
  title: '防贫保',
  permission: 'read',
  async render(main, ctx) {
    const funds = await ctx.funds();
    if (!funds.length) return noFunds(main, '防贫保');
    // #/insurance/<policyId>: that policy, in its fund.
    if (ctx.params[0]) {
      const asked = await api.get(`/v1/insurance-policies/${encodeURIComponent(ctx.params[0])}`);
      Object.assign(ctx.state, { fundId: asked.fundId, policyId: asked.id });
    }
    const body = h('div', {});
    const picker = await ctx.fundPicker(() => show());
    clear(main, h('div', { class: 'toolbar' }, h('h1', {}, '防贫保'), picker), body);

    async function show() {
      const fundId = picker.value;
      clear(body, h('p', { class: 'loading' }, '正在加载…'));
      try {
        // A fund holds few policies (one a cover year): read them all for the choice, list them by page.
        const policies = await api.all('/v1/insurance-policies', { fundId });
        if (!policies.length) return clear(body, section('保单', h('p', { class: 'empty' }, '本基金还没有防贫保保单。')));
        const chosen = policies.find((p) => p.id === ctx.state.policyId) ?? policies.at(-1);
        const detail = h('div', {});
        const list = pager((cursor) => api.get('/v1/insurance-policies', { fundId, limit: 20, cursor }), (items) => policyTable(items, chosen.id));
        clear(body, section(`保单（${policies.length} 份）`, list), detail);
        ctx.state.policyId = chosen.id;
        policyDetail(detail, ctx, chosen, () => show());
      } catch (error) {
        clear(body, errorBlock(error));
      }
    }
    await show();
  },
};

function policyTable(items, chosenId) {
  return table(
    [
      {
        title: '保险公司（保单号）',
        value: (p) => (p.id === chosenId ? h('strong', { 'aria-current': 'true' }, policyText(p)) : h('a', { href: `#/insurance/${encodeURIComponent(p.id)}` }, policyText(p))),
      },
      { title: '保障期', value: cover },
      { title: '保障对象', value: (p) => `${p.coveredPopulation}${p.coveredCount ? `（${p.coveredCount.toLocaleString('zh-CN')} 人）` : ''}` },
      { title: '约定保费', class: 'num', value: (p) => money(p.premium) },
      { title: '已缴保费', class: 'num', value: (p) => money(p.figures.premiumPaid) },
      { title: '理赔（笔）', class: 'num', value: (p) => String(STATUSES.reduce((n, s) => n + p.figures.claims[s].count, 0)) },
      { title: '已赔付', class: 'num', value: (p) => money(p.figures.paidOut) },
      { title: '赔付户数', class: 'num', value: (p) => String(p.figures.householdsPaid) },
      { title: '退费', class: 'num', value: (p) => money(p.figures.refunded) },
      { title: '资金池余额', class: 'num', value: (p) => money(p.figures.poolBalance) },
    ],
    items,
    { empty: '本基金还没有防贫保保单。' },
  );
}

function policyDetail(box, ctx, policy, refresh) {
  const f = policy.figures;
  const keyFigures = figures([
    ['约定保费', policy.premium],
    ['已缴保费', f.premiumPaid],
    ['已赔付', f.paidOut],
    ['赔付户数', h('span', {}, `${f.householdsPaid} 户`)],
    ['保险公司退费（多退）', f.refunded],
    ['上期结转转入', f.carriedForwardIn],
    ['结转下期', f.carriedForwardOut],
    ['资金池余额', f.poolBalance],
  ]);
  const byStatus = table(
    [
      { title: '状态', value: (s) => label('claimStatus', s) },
      { title: '笔数', class: 'num', value: (s) => String(f.claims[s].count) },
      { title: '申请金额', class: 'num', value: (s) => money(f.claims[s].amountClaimed) },
      { title: '核定金额', class: 'num', value: (s) => money(f.claims[s].amountApproved) },
    ],
    STATUSES,
  );

  const status = select('status', [{ value: '', text: '全部状态' }, ...STATUSES.map((s) => ({ value: s, text: label('claimStatus', s) }))], ctx.state.claimStatus ?? '');
  // The claims of this policy, or of every policy of the fund in one list (GET /v1/insurance-claims?fundId=).
  const scope = select('scope', [{ value: 'policy', text: '本保单' }, { value: 'fund', text: '本基金全部保单' }], ctx.state.claimScope ?? 'policy');
  const claims = h('div', {});
  const action = h('div', {});
  const showClaims = () => {
    ctx.state.claimStatus = status.value;
    ctx.state.claimScope = scope.value;
    clear(action);
    clear(
      claims,
      pager(
        async (cursor) => {
          const of = scope.value === 'fund' ? { fundId: policy.fundId } : { policyId: policy.id };
          const page = await api.get('/v1/insurance-claims', { ...of, status: status.value, limit: 20, cursor });
          await householdsOf(page.items);
          return page;
        },
        (items) => claimTable(items, ctx, (claim) => claimActions(action, claim, refresh)),
      ),
    );
  };
  status.addEventListener('change', showClaims);
  scope.addEventListener('change', showClaims);

  const payouts = pager(
    async (cursor) => {
      const page = await api.get('/v1/insurance-claims', { policyId: policy.id, status: 'paid', limit: 20, cursor });
      await householdsOf(page.items);
      return page;
    },
    (items) =>
      table(
        [
          { title: '赔付日期', value: (c) => c.paidOn ?? '—' },
          { title: '农户', value: (c) => householdCell(c.householdId) },
          { title: '出险原因', value: (c) => label('claimCause', c.cause) },
          { title: '保险公司赔付参考号', value: (c) => c.payoutReference ?? '' },
          { title: '赔付金额（元）', class: 'num', value: (c) => money(c.amountApproved) },
        ],
        items,
        { empty: '该保单还没有赔付。' },
      ),
  );

  clear(
    box,
    section(
      `保单 ${policyText(policy)}`,
      h('p', { class: 'hint' }, `保障期 ${cover(policy)}；保障对象 ${policy.coveredPopulation}${policy.coveredCount ? `，${policy.coveredCount.toLocaleString('zh-CN')} 人` : ''}。`),
      keyFigures,
      negative(f.poolBalance) ? h('p', { class: 'form-error' }, `赔付已超过保费，县里尚欠保险公司 ${formatMoney(f.poolBalance.replace('-', ''))} 元（少补）。`) : null,
      h('h3', {}, '理赔按状态'),
      byStatus,
      ctx.me.permissions.includes('report')
        ? h('p', {}, h('a', { href: `#/statements/insurance/${encodeURIComponent(policy.id)}` }, '下载该保单的防贫保报表'))
        : null,
    ),
    section('理赔', h('form', { class: 'inline', onsubmit: (e) => e.preventDefault() }, field('scope', '范围', scope), field('status', '状态', status)), claims, action),
    section('赔付明细', payouts),
  );
  showClaims();
}

function claimTable(items, ctx, choose) {
  const canApprove = ctx.me.permissions.includes('approve');
  return table(
    [
      { title: '报案日期', value: (c) => c.date },
      { title: '农户', value: (c) => householdCell(c.householdId) },
      { title: '报案人 / 核定人', value: (c) => `${c.filedByName ?? '—'} / ${c.approvedByName ?? '—'}` },
      { title: '出险原因', value: (c) => label('claimCause', c.cause) },
      { title: '状态', value: (c) => label('claimStatus', c.status) },
      { title: '申请金额', class: 'num', value: (c) => money(c.amountClaimed) },
      { title: '核定金额', class: 'num', value: (c) => (c.amountApproved ? money(c.amountApproved) : '—') },
      { title: '赔付日期', value: (c) => c.paidOn ?? '' },
      { title: '说明', value: (c) => (c.status === 'rejected' ? `拒赔：${c.rejectedReason ?? ''}` : c.payoutReference ?? '') },
      canApprove
        ? { title: '', value: (c) => (c.status === 'filed' || c.status === 'approved' ? h('button', { type: 'button', class: 'link', onclick: () => choose(c) }, '处理') : '') }
        : null,
    ].filter(Boolean),
    items,
    { empty: '没有符合条件的理赔。' },
  );
}

/** The checker's side of a claim: approve a filed one for an amount, pay an approved one, or reject either. */
function claimActions(box, claim, refresh) {
  const forms = [];
  // Each form a write of its own: one idempotency key until it succeeds, its button off while it works.
  const writeForm = (form, work) => {
    form.addEventListener(
      'submit',
      onSubmit(form, async (key) => {
        await work(key);
        await refresh();
      }),
    );
    forms.push(form);
  };
  if (claim.status === 'filed') {
    const amount = h('input', { name: 'amountApproved', inputmode: 'decimal', autocomplete: 'off', value: formatMoney(claim.amountClaimed) });
    const form = h('form', { class: 'inline' }, field('amountApproved', '核定金额（元）', amount, `不超过申请金额 ${formatMoney(claim.amountClaimed)} 元`), h('button', { type: 'submit', class: 'primary' }, '核定'));
    writeForm(form, (key) =>
      api.post(`/v1/insurance-claims/${encodeURIComponent(claim.id)}/approve`, { amountApproved: readAmount(amount, 'amountApproved') }, { idempotencyKey: key }),
    );
  }
  if (claim.status === 'approved') {
    const reference = h('input', { name: 'payoutReference', autocomplete: 'off', required: true });
    const date = dateInput({ name: 'date', value: today(), required: true });
    const form = h('form', { class: 'inline' }, field('payoutReference', '保险公司赔付参考号', reference), field('date', '赔付日期', date), h('button', { type: 'submit', class: 'primary' }, '登记赔付'));
    writeForm(form, (key) => {
      const payoutReference = reference.value.trim();
      if (!payoutReference) throw fieldError('payoutReference', '请填写保险公司的赔付参考号。');
      return api.post(`/v1/insurance-claims/${encodeURIComponent(claim.id)}/pay`, { payoutReference, date: date.value }, { idempotencyKey: key });
    });
  }
  const reason = h('input', { name: 'reason', maxlength: 500, autocomplete: 'off', required: true });
  const reject = h('form', { class: 'inline' }, field('reason', '拒赔原因', reason), h('button', { type: 'submit' }, '拒赔'));
  writeForm(reject, (key) => {
    const text = reason.value.trim();
    if (!text) throw fieldError('reason', '请填写拒赔原因。');
    return api.post(`/v1/insurance-claims/${encodeURIComponent(claim.id)}/reject`, { reason: text }, { idempotencyKey: key });
  });
  clear(
    box,
    h('h3', {}, `处理理赔：${claim.date} ${label('claimCause', claim.cause)}，申请 ${formatMoney(claim.amountClaimed)} 元（${label('claimStatus', claim.status)}）`),
    forms,
    h('button', { type: 'button', class: 'link', onclick: () => clear(box) }, '取消'),
  );
}
