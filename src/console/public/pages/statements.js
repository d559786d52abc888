// 报表: pick a statement, its subject (fund, account, household, village or policy), the period and the
// format; 下载 saves the PDF, CSV or JSON the API answers (the format is the API's `format` query
// parameter). 在页面查看 shows the same statement's figures here, with its digest, and checks a printed
// copy's digest against the ledger (POST /v1/statements/verify).
//
// #/statements/<kind>/<subject id> opens with a statement chosen, e.g. from a policy or a household.
import { api } from '../api.js';
import { formatMoney } from '../money.js';
import {
  clear, dateInput, field, fieldError, figures, h, label, localTime, money, onSubmit, reconciliationReason, section, select, showError, table, today, villageLabel,
} from '../ui.js';

// What each statement needs: its subject, its period (from–to, a day, or none) and its path.
const KINDS = {
  fund: { title: '基金收支报表', subject: 'fund', period: 'range', path: (q) => `/v1/funds/${q.fundId}/statement` },
  ledger: { title: '明细账', subject: 'account', period: 'range', path: (q) => `/v1/accounts/${q.accountId}/ledger` },
  'trial-balance': { title: '试算平衡表', subject: 'fund', period: 'day', path: (q) => `/v1/funds/${q.fundId}/trial-balance` },
  household: { title: '农户帮扶明细表', subject: 'household', period: 'range', path: (q) => `/v1/households/${q.householdId}/statement` },
  village: { title: '村级收益分配表', subject: 'village', period: 'range', path: (q) => `/v1/villages/${q.villageId}/statement` },
  notice: { title: '村级公示表', subject: 'village', period: 'range', path: (q) => `/v1/villages/${q.villageId}/notice` },
  insurance: { title: '防贫保报表', subject: 'policy', period: 'none', path: (q) => `/v1/insurance-policies/${q.policyId}/statement` },
  'general-ledger': { title: '总账', subject: 'fund', period: 'year', path: (q) => `/v1/funds/${q.fundId}/general-ledger` },
  'bank-reconciliation': { title: '银行存款余额调节表', subject: 'fund', period: 'month', path: (q) => `/v1/funds/${q.fundId}/bank-reconciliations/${q.period}` },
};
const FORMATS = [
  { value: 'pdf', text: 'PDF（打印）' },
  { value: 'csv', text: 'CSV（表格）' },
  { value: 'json', text: 'JSON（数据）' },
];
const ID_OF = { fund: 'fundId', account: 'accountId', household: 'householdId', village: 'villageId', policy: 'policyId' };

/** A file name without characters a file system refuses. */
const fileName = (...parts) => parts.filter(Boolean).join('-').replace(/[\\/:*?"<>|\s]+/g, '_');
const options = (items, text, empty) => (items.length ? items.map((x) => h('option', { value: x.id }, text(x))) : [h('option', { value: '' }, empty)]);
/** Text among figures (figures() formats a string as money). */
const text = (value) => h('span', {}, value);
const amount = (title, value) => ({ title, class: 'num', value: (row) => (value(row) === null || value(row) === undefined ? '' : money(value(row))) });

export default {
  title: '报表',
  permission: 'report',
  async render(main, ctx) {
    const [askedKind, askedId] = ctx.params;
    const saved = ctx.state.statement ?? {};
    const funds = await ctx.funds();
    const villages = await api.all('/v1/villages');

    // A subject named in the address: find what it belongs to, so that its selects open on it.
    const wanted = { kind: KINDS[askedKind] ? askedKind : saved.kind ?? 'fund' };
    if (KINDS[askedKind] && askedId) {
      const subject = KINDS[askedKind].subject;
      wanted[ID_OF[subject]] = askedId;
      if (subject === 'policy') ctx.state.fundId = (await api.get(`/v1/insurance-policies/${encodeURIComponent(askedId)}`)).fundId;
      if (subject === 'account') ctx.state.fundId = (await api.get(`/v1/accounts/${encodeURIComponent(askedId)}`)).fundId;
      if (subject === 'household') wanted.villageId = (await api.get(`/v1/households/${encodeURIComponent(askedId)}`)).villageId;
      if (subject === 'fund') ctx.state.fundId = askedId;
    }

    const year = today().slice(0, 4);
    const kind = select('kind', Object.entries(KINDS).map(([value, k]) => ({ value, text: k.title })), wanted.kind);
    const fund = await ctx.fundPicker(() => fillFundSubjects());
    const account = h('select', { name: 'accountId' });
    const policy = h('select', { name: 'policyId' });
    const village = h('select', { name: 'villageId' }, options(villages, villageLabel, '没有村'));
    const household = h('select', { name: 'householdId' });
    const from = dateInput({ name: 'from', value: saved.from ?? `${year}-01-01`, required: true });
    const to = dateInput({ name: 'to', value: saved.to ?? today(), required: true });
    const asOf = dateInput({ name: 'asOf', value: saved.asOf ?? today(), required: true });
    const yearInput = h('input', { name: 'year', value: saved.year ?? today().slice(0, 4), size: 4, maxlength: 4, inputmode: 'numeric', pattern: '\\d{4}', autocomplete: 'off' });
    const month = h('input', { name: 'period', value: saved.period ?? today().slice(0, 7), size: 7, maxlength: 7, pattern: '\\d{4}-\\d{2}', placeholder: 'YYYY-MM', autocomplete: 'off' });
    const format = select('format', FORMATS, saved.format ?? 'pdf');
    if (wanted.villageId) village.value = wanted.villageId;
    else if (saved.villageId && villages.some((v) => v.id === saved.villageId)) village.value = saved.villageId;

    const form = h('form', { class: 'inline', onsubmit: (event) => { event.preventDefault(); download(); } });
    const view = h('div', {});
    kind.addEventListener('change', () => { layout(); fillFundSubjects(); });
    village.addEventListener('change', () => fillHouseholds());

    clear(
      main,
      h('h1', {}, '报表'),
      // The choice is a toolbar: left out when the page is printed, which prints the statement alone.
      h('div', { class: 'card toolbar' }, h('div', {}, form, h('p', { class: 'hint' }, 'PDF 可直接打印（A4，每页注明页码和摘要）；CSV 可用表格软件打开；JSON 供系统对接。各格式的数字和摘要相同。'))),
      view,
    );
    if (!funds.length) view.append(h('p', { class: 'empty' }, '本密钥管辖范围内还没有基金。'));
    layout();
    await Promise.all([fillFundSubjects(), fillHouseholds()]);

    /** The fields the chosen statement needs, in order. */
    function layout() {
      const k = KINDS[kind.value];
      // Built only for the statement chosen: a control sits in one field at a time.
      const subject = {
        fund: () => [field('fundId', '基金', fund)],
        account: () => [field('fundId', '基金', fund), field('accountId', '科目', account)],
        policy: () => [field('fundId', '基金', fund), field('policyId', '保单', policy)],
        village: () => [field('villageId', '村', village)],
        household: () => [field('villageId', '村', village), field('householdId', '农户', household)],
      }[k.subject]();
      const period = {
        range: () => [field('from', '起始日期', from), field('to', '截止日期', to)],
        day: () => [field('asOf', '截至日期', asOf)],
        month: () => [field('period', '月份', month)],
        year: () => [field('year', '年度', yearInput)],
        none: () => [],
      }[k.period]();
      clear(
        form,
        field('kind', '报表', kind),
        subject,
        period,
        field('format', '格式', format),
        h('button', { type: 'submit', class: 'primary' }, '下载'),
        h('button', { type: 'button', onclick: () => look() }, '在页面查看'),
      );
      if (k.period === 'none') form.append(h('small', { class: 'hint' }, '防贫保报表反映保单至今的情况，不分期间。'));
    }

    /** The accounts and policies of the chosen fund, when the statement needs them. */
    async function fillFundSubjects() {
      const subject = KINDS[kind.value].subject;
      if (!fund.value || (subject !== 'account' && subject !== 'policy')) return;
      try {
        if (subject === 'account') {
          const accounts = await api.all(`/v1/funds/${fund.value}/accounts`);
          clear(account, options(accounts, (a) => `${a.code} ${a.name}`, '本基金没有科目'));
          if (accounts.some((a) => a.id === wanted.accountId)) account.value = wanted.accountId;
        } else {
          const policies = await api.all('/v1/insurance-policies', { fundId: fund.value });
          clear(policy, options(policies, (p) => `${p.insurer}${p.policyNumber ? ` ${p.policyNumber}` : ''}（${p.coverFrom} 起）`, '本基金没有保单'));
          const chosen = policies.find((p) => p.id === (wanted.policyId ?? ctx.state.policyId)) ?? policies.at(-1);
          if (chosen) policy.value = chosen.id;
        }
      } catch (error) {
        showError(form, error);
      }
    }

    /** The chosen village's households (a village holds a few hundred at most). */
    async function fillHouseholds() {
      if (!village.value) return clear(household, options([], () => '', '没有农户'));
      try {
        const list = await api.all('/v1/households', { villageId: village.value });
        clear(household, options(list, (x) => `${x.code} ${x.headName}`, '该村没有农户'));
        if (list.some((x) => x.id === wanted.householdId)) household.value = wanted.householdId;
      } catch (error) {
        showError(form, error);
      }
    }

    /** The chosen statement's path, query and a name for its file; refuses a missing subject. */
    function chosen() {
      const k = KINDS[kind.value];
      const idName = ID_OF[k.subject];
      const control = { fund, account, policy, village, household }[k.subject];
      if (!control.value) throw fieldError(idName, `请先选择${{ fund: '基金', account: '科目', policy: '保单', village: '村', household: '农户' }[k.subject]}。`);
      const ids = { [idName]: control.value };
      if (k.period === 'month') {
        if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(month.value.trim())) throw fieldError('period', '月份格式为 YYYY-MM，例如 2026-03。');
        ids.period = month.value.trim();
      }
      const query = k.period === 'range' ? { from: from.value, to: to.value } : k.period === 'day' ? { asOf: asOf.value } : k.period === 'year' ? { year: yearInput.value.trim() } : {};
      if (k.period === 'year' && !/^\d{4}$/.test(yearInput.value.trim())) throw fieldError('year', '年度为四位数字，例如 2026。');
      if (k.period === 'range' && from.value && to.value && from.value > to.value) throw fieldError('from', '起始日期不能晚于截止日期。');
      ctx.state.statement = { kind: kind.value, from: from.value, to: to.value, asOf: asOf.value, period: month.value, year: yearInput.value, format: format.value, villageId: village.value };
      const subjectText = control.selectedOptions[0]?.textContent.split(/[\s（]/)[0] ?? '';
      const when = k.period === 'range' ? `${from.value}至${to.value}` : k.period === 'day' ? `截至${asOf.value}` : k.period === 'month' ? ids.period : k.period === 'year' ? `${yearInput.value.trim()}年` : '';
      return { k, kindName: kind.value, ids, query, path: k.path(Object.fromEntries(Object.entries(ids).map(([n, v]) => [n, encodeURIComponent(v)]))), name: fileName(k.title, subjectText, when) };
    }

    async function download() {
      showError(form, null);
      const button = form.querySelector('button[type=submit]');
      button.disabled = true;
      try {
        const c = chosen();
        const ext = format.value;
        await api.download(c.path, { ...c.query, format: ext }, `${c.name}.${ext}`);
        if (ext === 'json') await look();
      } catch (error) {
        showError(form, error);
      } finally {
        button.disabled = false;
      }
    }

    async function look() {
      showError(form, null);
      try {
        const c = chosen();
        clear(view, h('p', { class: 'loading' }, '正在生成…'));
        const statement = await api.get(c.path, { ...c.query, format: 'json' });
        clear(view, section(`${c.k.title}`, ...render(c.kindName, statement), footer(c, statement)));
      } catch (error) {
        clear(view);
        showError(form, error);
      }
    }
  },
};

// ——— the figures of each statement ———

function render(kind, s) {
  return {
    fund: fundView,
    ledger: ledgerView,
    'trial-balance': trialBalanceView,
    household: householdView,
    village: villageView,
    notice: noticeView,
    insurance: insuranceView,
    'bank-reconciliation': bankView,
    'general-ledger': generalLedgerView,
  }[kind](s);
}

function generalLedgerView(s) {
  return [
    h('p', {}, `${s.fund.name}（${s.fund.code}）${s.year} 年总账`),
    ...s.accounts.flatMap((a) => [
      h('h3', {}, `${a.code} ${a.name}（上年结转 ${a.opening.side} ${a.opening.balance}）`),
      table(
        [
          { title: '月份', value: (m) => m.month },
          amount('本月借方', (m) => m.debit),
          amount('本月贷方', (m) => m.credit),
          { title: '方向', value: (m) => m.side },
          amount('余额（元）', (m) => m.balance),
          amount('本年累计借方', (m) => m.yearDebit),
          amount('本年累计贷方', (m) => m.yearCredit),
        ],
        a.months,
      ),
    ]),
  ];
}

function bankView(s) {
  const items = (list, kind) =>
    table(
      [
        { title: '日期', value: (i) => i.date },
        { title: kind === 'bank' ? '流水号' : '凭证号', value: (i) => (kind === 'bank' ? i.bankReference ?? '' : String(i.number)) },
        { title: '摘要', value: (i) => (kind === 'bank' ? [i.counterpartyName, i.memo].filter(Boolean).join(' · ') : i.description) },
        { title: '未达天数', class: 'num', value: (i) => `${i.ageDays}${i.stale ? '（逾期）' : ''}` },
        amount('金额（元）', (i) => i.amount),
      ],
      list.items,
      { empty: '无' },
    );
  return [
    h('p', {}, `${s.fund.name}（${s.fund.code}）专户 ${s.fund.bankName ?? ''} ${s.fund.bankAccountNumber ?? '未登记'}；截至 ${s.asOf}`),
    figures([
      ['单位账面余额', s.bookBalance],
      ['调节后余额（单位）', s.adjustedBookBalance],
      ['银行对账单余额', s.bankBalance ?? h('span', {}, '—')],
      ['调节后余额（银行）', s.adjustedBankBalance ?? h('span', {}, '—')],
    ]),
    h('p', { class: s.agrees ? 'notice' : 'form-error' }, s.agrees ? '调节相符。' : `调节不符：${s.reasons.map(reconciliationReason).join('；')}。`),
    h('h3', {}, '银行已收、单位未收'),
    items(s.bankInNotBooked, 'bank'),
    h('h3', {}, '银行已付、单位未付'),
    items(s.bankOutNotBooked, 'bank'),
    h('h3', {}, '单位已收、银行未收'),
    items(s.bookInNotBanked, 'book'),
    h('h3', {}, '单位已付、银行未付'),
    items(s.bookOutNotBanked, 'book'),
  ];
}

const periodText = (s) => (s.period ? `${s.period.from} 至 ${s.period.to}` : '');

function fundView(s) {
  const income = ['dividends', 'donations', 'fiscalTransfers', 'insuranceRefunds', 'other'].map((key) => ({ name: label('income', key), amount: s.income[key] }));
  const outgoings = [
    ...s.outgoings.byCategory.map((c) => ({ name: c.name || label('category', c.category), amount: c.amount })),
    { name: '防贫保保费', amount: s.outgoings.insurancePremiums },
    { name: '其他支出', amount: s.outgoings.other },
  ];
  const rows = (list, total) => [...list, { name: '合计', amount: total, total: true }];
  const twoCols = [{ title: '项目', value: (r) => (r.total ? h('strong', {}, r.name) : r.name) }, amount('金额（元）', (r) => r.amount)];
  return [
    h('p', {}, `${s.fund.name}（${s.fund.code}），${s.fund.organisation}；期间 ${periodText(s)}`),
    figures([
      ['期初余额', s.openingBalance],
      ['本期收入', s.income.total],
      ['本期支出', s.outgoings.total],
      ['期末余额', s.closingBalance],
      ['其中：已审批待支付', s.reserved],
      ['其中：可用余额', s.available],
    ]),
    h('p', { class: s.reconciles ? 'notice' : 'form-error' }, s.reconciles ? '期初余额 + 本期收入 − 本期支出 = 期末余额，勾稽相符。' : '期初、收支与期末不相符，请联系管理员核查。'),
    h('div', { class: 'grid' }, h('div', {}, h('h3', {}, '收入（按来源）'), table(twoCols, rows(income, s.income.total))), h('div', {}, h('h3', {}, '支出（按用途）'), table(twoCols, rows(outgoings, s.outgoings.total)))),
    h('h3', {}, '帮扶支出（按村）'),
    table([{ title: '村', value: (v) => (v.villageCode ? `${v.villageName}（${v.villageCode}）` : v.villageName) }, amount('金额（元）', (v) => v.amount)], s.byVillage, { empty: '本期没有帮扶支出。' }),
  ];
}

function ledgerView(s) {
  const rows = [
    { description: '期初余额', balance: s.openingBalance, mark: true },
    ...s.lines,
    { description: '本期合计', debit: s.totals.debit, credit: s.totals.credit, balance: s.closingBalance, mark: true },
  ];
  return [
    h('p', {}, `${s.fund.name}（${s.fund.code}） · 科目 ${s.account.code} ${s.account.name}（余额方向：${s.account.normalSide === 'debit' ? '借' : '贷'}）；期间 ${periodText(s)}`),
    table(
      [
        { title: '日期', value: (l) => l.date ?? '' },
        { title: '凭证号', class: 'num', value: (l) => (l.voucherNumber ? String(l.voucherNumber) : '') },
        { title: '摘要', value: (l) => (l.mark ? h('strong', {}, l.description) : [l.description, l.memo ? `（${l.memo}）` : '']) },
        amount('借方', (l) => l.debit),
        amount('贷方', (l) => l.credit),
        amount('余额', (l) => l.balance),
      ],
      rows,
    ),
  ];
}

function trialBalanceView(s) {
  const side = (a, wanted) => (a.balanceSide === wanted ? a.balance : null);
  return [
    h('p', {}, `${s.fund.name}（${s.fund.code}），截至 ${s.asOf}`),
    table(
      [
        { title: '科目编码', value: (a) => a.code ?? '' },
        { title: '科目名称', value: (a) => (a.total ? h('strong', {}, a.name) : a.name) },
        amount('借方发生额', (a) => a.debitTotal),
        amount('贷方发生额', (a) => a.creditTotal),
        amount('借方余额', (a) => (a.total ? s.totals.debitBalances : side(a, 'debit'))),
        amount('贷方余额', (a) => (a.total ? s.totals.creditBalances : side(a, 'credit'))),
      ],
      [...s.accounts, { name: '合计', debitTotal: s.totals.debitTotal, creditTotal: s.totals.creditTotal, total: true }],
    ),
    h('p', { class: s.balanced ? 'notice' : 'form-error' }, s.balanced ? '借贷平衡。' : '借贷不平衡，请联系管理员核查。'),
  ];
}

function householdView(s) {
  const x = s.household;
  return [
    h('p', {}, `${x.code} ${x.headName}（身份证 ${x.idNumberMasked}，${x.memberCount} 人），${villageLabel(x.village)}；期间 ${periodText(s)}`),
    figures([['本期享受帮扶合计', s.total], ['笔数', text(String(s.items.length))]]),
    ...s.funds.map((f) =>
      h(
        'div',
        {},
        h('h3', {}, `${f.name}（${f.code}）合计 ${formatMoney(f.total)} 元`),
        table([{ title: '类别', value: (c) => c.name || label('category', c.category) }, { title: '笔数', class: 'num', value: (c) => String(c.count) }, amount('金额（元）', (c) => c.amount)], f.categories),
      ),
    ),
    h('h3', {}, '逐笔明细'),
    table(
      [
        { title: '日期', value: (i) => i.date },
        { title: '基金', value: (i) => i.fundCode },
        { title: '类别', value: (i) => i.name || label('category', i.category) },
        { title: '方式', value: (i) => (i.kind === 'insurance_claim' ? '防贫保赔付' : '支付') },
        { title: '参考号', value: (i) => i.reference ?? '' },
        amount('金额（元）', (i) => i.amount),
      ],
      s.items,
      { empty: '本期没有享受帮扶。' },
    ),
  ];
}

function villageView(s) {
  return [
    h('p', {}, `${villageLabel(s.village)}，${s.village.county}${s.village.township}；期间 ${periodText(s)}`),
    table(
      [
        { title: '基金', value: (f) => (f.total ? h('strong', {}, '合计') : `${f.fundName}（${f.fundCode}）`) },
        amount('期初结余', (f) => f.opening),
        amount('本期分配', (f) => f.allocated),
        amount('本期使用', (f) => f.spent),
        amount('期末结余', (f) => f.remaining),
      ],
      s.funds.length ? [...s.funds, { ...s.totals, total: true }] : [],
      { empty: '本村在各基金中没有分配。' },
    ),
    h('h3', {}, '收益分配（分红）'),
    table(
      [
        { title: '日期', value: (d) => d.date },
        { title: '基金', value: (d) => d.fundCode },
        { title: '项目', value: (d) => d.industry },
        amount('分红总额', (d) => d.dividendAmount),
        { title: '规则', value: (d) => `第 ${d.ruleVersion} 版（${d.ruleEffectiveFrom} 起）` },
        { title: '本村身份', value: (d) => (d.role === 'project' ? `项目所在村（${d.projectVillageShare}）` : `辐射村（${d.radiatingShare}${d.weight ? `，权重 ${d.weight}` : ''}）`) },
        amount('本村所得', (d) => d.amount),
      ],
      s.dividends,
      { empty: '本期没有分红分配到本村。' },
    ),
  ];
}

function noticeView(s) {
  return [
    h('p', {}, `${s.village.county}${s.village.township}${s.village.name} 帮扶资金公示（${periodText(s)}）：共 ${s.householdCount} 户，合计 ${formatMoney(s.total)} 元`),
    table(
      [
        { title: '序号', class: 'num', value: (r) => String(r.no) },
        { title: '户主', value: (r) => r.name },
        { title: '人口', class: 'num', value: (r) => String(r.memberCount) },
        { title: '基金', value: (r) => r.fundName },
        { title: '类别', value: (r) => r.categoryName || label('category', r.category) },
        { title: '日期', value: (r) => r.date },
        amount('金额（元）', (r) => r.amount),
      ],
      s.rows,
      { empty: '本期本村没有支付。' },
    ),
    h('h3', {}, '按类别合计'),
    table([{ title: '类别', value: (c) => c.name || label('category', c.category) }, { title: '笔数', class: 'num', value: (c) => String(c.count) }, amount('金额（元）', (c) => c.amount)], s.totalsByCategory, { empty: '—' }),
  ];
}

function insuranceView(s) {
  const p = s.policy;
  return [
    h('p', {}, `${s.fund.name}（${s.fund.code}） · ${p.insurer}${p.policyNumber ? `（${p.policyNumber}）` : ''}，保障期 ${p.coverFrom} 至 ${p.coverTo}，${p.coveredPopulation}`),
    figures([
      ['约定保费', p.premium],
      ['已缴保费', s.premiumPaid],
      ['已赔付', s.paidOut],
      ['赔付户数', text(`${s.householdsPaid} 户`)],
      ['退费', s.refunded],
      ['结转转入', s.carriedForwardIn],
      ['结转下期', s.carriedForwardOut],
      ['结余', s.surplus],
      ['资金池余额', s.poolBalance],
    ]),
    h('h3', {}, '理赔按状态'),
    table(
      [{ title: '状态', value: (c) => label('claimStatus', c.status) }, { title: '笔数', class: 'num', value: (c) => String(c.count) }, amount('申请金额', (c) => c.amountClaimed), amount('核定金额', (c) => c.amountApproved)],
      s.claims,
      { empty: '没有理赔。' },
    ),
    h('h3', {}, '赔付明细'),
    table(
      [{ title: '日期', value: (x) => x.date }, { title: '户编号', value: (x) => x.householdCode }, { title: '参考号', value: (x) => x.reference ?? '' }, amount('金额（元）', (x) => x.amount)],
      s.payouts,
      { empty: '没有赔付。' },
    ),
  ];
}

/** The digest and who generated it; and the check of a printed copy's digest against the ledger. */
function footer(c, s) {
  const params = { ...c.ids };
  if (c.k.period === 'range') Object.assign(params, { from: s.period.from, to: s.period.to });
  if (c.k.period === 'day') params.asOf = s.asOf;
  if (c.k.period === 'month') params.staleDays = s.staleDays;
  if (c.k.period === 'year') params.year = s.year;
  const digest = h('input', { name: 'digest', autocomplete: 'off', spellcheck: false, size: 66, placeholder: '64 位十六进制' });
  const result = h('div', { role: 'status' });
  const form = h(
    'form',
    { class: 'inline' },
    field('digest', '核验打印件的摘要', digest, '输入打印件页脚的摘要，核对它是否仍与账簿一致'),
    h('button', { type: 'submit' }, '核验'),
  );
  form.addEventListener(
    'submit',
    onSubmit(form, async (key) => {
      clear(result);
      const answer = await api.post('/v1/statements/verify', { kind: c.kindName, params, digest: digest.value.trim().toLowerCase() }, { idempotencyKey: key });
      clear(result, h('p', { class: answer.valid ? 'notice' : 'form-error' }, answer.valid ? '摘要相符：打印件与账簿一致。' : `摘要不符：账簿现在的摘要是 ${answer.digest}。打印件被改动过，或账簿在其期间内有了变动。`));
    }),
  );
  return h(
    'div',
    {},
    h('p', { class: 'hint' }, `摘要（SHA-256）${s.digest} · 生成于 ${localTime(s.generatedAt)} · 生成人 ${s.generatedBy.name}`),
    h('div', { class: 'toolbar' }, form),
    result,
  );
}

