// 基金: the funds the key reaches, each with its chart of accounts; an admin opens a fund (the prevention
// chart or a plain one, its allowed categories and yearly caps per household) and adds an own account.
// On an install with no fund this is where the console starts: the first steps, in order.
import { api } from '../api.js';
import { categoryNames } from '../categories.js';
import { clear, field, fieldError, h, label, onSubmit, readAmount, section, select, table } from '../ui.js';

const TYPES = { asset: '资产', liability: '负债', equity: '净资产', income: '收入', expense: '支出' };

export default {
  title: '基金',
  permission: 'read',
  async render(main, ctx) {
    const isAdmin = ctx.me.permissions.includes('admin');
    const funds = await ctx.funds();
    const chosen = h('div', {});
    const parts = [];
    if (!funds.length) parts.push(firstRun(isAdmin));
    if (funds.length) {
      parts.push(
        section(
          `基金（${funds.length} 个）`,
          table(
            [
              { title: '编码', value: (f) => h('a', { href: `#/funds/${encodeURIComponent(f.id)}` }, f.code) },
              { title: '名称', value: (f) => f.name },
              { title: '主管单位', value: (f) => f.organisation },
              { title: '所属乡镇', value: (f) => f.township ?? '（县级）' },
              { title: '科目体系', value: (f) => (f.template === 'prevention' ? '防止返贫标准科目' : '自设科目') },
              { title: '允许支付类别', value: (f) => f.allowedCategories.map((c) => label('category', c)).join('、') || '—' },
            ],
            funds,
          ),
        ),
      );
    }
    // The fund chosen comes under the list, the form to open another last (first on an empty install).
    const open = isAdmin ? openFundForm(ctx, (fund) => ctx.go(`#/funds/${fund.id}`)) : null;
    clear(main, h('div', { class: 'toolbar' }, h('h1', {}, '基金')), ...parts, chosen, open);
    const fund = funds.find((f) => f.id === ctx.params[0]);
    if (fund) await chart(chosen, fund, isAdmin);
    // A change to the fund (its bank account): the list and the chart again, from the API.
    chosen.addEventListener('fund-changed', () => {
      ctx.state.funds = null;
      this.render(main, ctx);
    });
  },
};

/** What an install with no fund needs, in order; the steps past the first are on pages of their own. */
function firstRun(isAdmin) {
  return section(
    '开始使用',
    h('p', {}, '还没有基金。按以下三步即可开始记账：'),
    h(
      'ol',
      { class: 'steps' },
      h('li', {}, '开设基金：填写下方“开设基金”表单，选择“防止返贫标准科目”，勾选允许支付的类别。'),
      h('li', {}, '登记村和农户：在“农户”页导入监测户名单（CSV）。'),
      h('li', {}, '发放密钥：为经办员、审批员各发一把密钥，他们登录后即可登记收入、分红和支付。'),
    ),
    isAdmin ? null : h('p', { class: 'hint' }, '开设基金需要管理员密钥，请联系管理员。'),
  );
}

function openFundForm(ctx, opened) {
  const code = h('input', { name: 'code', required: true, maxlength: 64, autocomplete: 'off', placeholder: '如 XZ-FPJJ' });
  const name = h('input', { name: 'name', required: true, maxlength: 200, placeholder: '某乡防止返贫专项基金' });
  const organisation = h('input', { name: 'organisation', required: true, maxlength: 200, placeholder: '某县某乡人民政府' });
  const purpose = h('input', { name: 'purpose', required: true, maxlength: 1000, placeholder: '防止返贫监测帮扶' });
  const township = h('input', { name: 'township', maxlength: 100, placeholder: '县级基金不填' });
  const bankAccountNumber = h('input', { name: 'bankAccountNumber', maxlength: 60, autocomplete: 'off', inputmode: 'numeric', placeholder: '专户账号（可稍后填写）' });
  const bankName = h('input', { name: 'bankName', maxlength: 200, placeholder: '如 某农商银行某支行' });
  const template = select('template', [{ value: 'prevention', text: '防止返贫标准科目' }, { value: '', text: '自设科目（空白）' }], 'prevention');
  const categories = Object.entries(categoryNames).map(([value, text]) => ({
    value,
    box: h('input', { type: 'checkbox', name: 'allowedCategories', value }),
    cap: h('input', { name: `yearlyCaps.${value}`, size: 10, inputmode: 'decimal', autocomplete: 'off', 'aria-label': `${text}每户每年上限（元）`, placeholder: '不限' }),
    text,
  }));
  const form = h(
    'form',
    {},
    field('code', '基金编码', code),
    field('name', '基金名称', name),
    field('organisation', '主管单位', organisation),
    field('purpose', '资金用途', purpose),
    field('township', '所属乡镇', township, '乡镇管理的基金（村账乡管）填写乡镇名称，该乡镇的密钥即可使用'),
    field('bankAccountNumber', '银行专户账号', bankAccountNumber, '银行对账时，导入的对账单须是这个账户的'),
    field('bankName', '开户银行', bankName),
    field('template', '科目体系', template),
    h(
      'fieldset',
      { dataset: { field: 'allowedCategories' } },
      h('legend', {}, '允许支付的类别（专款专用）及每户每年上限'),
      table(
        [
          { title: '类别', value: (c) => h('label', {}, c.box, ` ${c.text}`) },
          { title: '每户每年上限（元）', value: (c) => h('span', { dataset: { field: `yearlyCaps.${c.value}` } }, c.cap) },
        ],
        categories,
      ),
    ),
    h('button', { type: 'submit', class: 'primary' }, '开设基金'),
  );
  form.addEventListener(
    'submit',
    onSubmit(form, async (key) => {
      const allowed = categories.filter((c) => c.box.checked).map((c) => c.value);
      // A fund on the prevention chart pays only what it declares: with none ticked it could pay nothing.
      if (template.value && !allowed.length) throw fieldError('allowedCategories', '请至少勾选一个允许支付的类别。');
      const yearlyCaps = {};
      for (const c of categories) if (c.cap.value.trim()) yearlyCaps[c.value] = readAmount(c.cap, `yearlyCaps.${c.value}`);
      const body = {
        code: code.value.trim(),
        name: name.value.trim(),
        organisation: organisation.value.trim(),
        purpose: purpose.value.trim(),
        ...(township.value.trim() ? { township: township.value.trim() } : {}),
        ...(bankAccountNumber.value.trim() ? { bankAccountNumber: bankAccountNumber.value.trim() } : {}),
        ...(bankName.value.trim() ? { bankName: bankName.value.trim() } : {}),
        ...(template.value ? { template: template.value } : {}),
        allowedCategories: allowed,
        ...(Object.keys(yearlyCaps).length ? { yearlyCaps } : {}),
      };
      const fund = await api.post('/v1/funds', body, { idempotencyKey: key });
      ctx.state.funds = null;
      ctx.state.fundId = fund.id;
      opened(fund);
    }),
  );
  return section('开设基金', form);
}

/** A fund's chart of accounts as a table with roles; an admin adds an account of the fund's own. */
async function chart(box, fund, isAdmin) {
  const accounts = await api.all(`/v1/funds/${encodeURIComponent(fund.id)}/accounts`);
  const parts = [
    h('p', {}, `${fund.name}（${fund.code}）· ${fund.organisation} · 用途：${fund.purpose}`),
    table(
      [
        { title: '科目编码', value: (a) => a.code },
        { title: '科目名称', value: (a) => a.name },
        { title: '类别', value: (a) => TYPES[a.type] ?? a.type },
        { title: '用途', value: (a) => (a.role ? '系统科目（由业务自动记账）' : '自设科目') },
        { title: '不得透支', value: (a) => (a.noOverdraft ? '是' : '否') },
      ],
      accounts,
      { empty: '还没有科目。' },
    ),
  ];
  parts.splice(1, 0, h('p', {}, `银行专户：${fund.bankAccountNumber ? `${fund.bankName ?? ''} ${fund.bankAccountNumber}` : '未登记'}`));
  if (isAdmin) parts.push(h('h3', {}, '银行专户'), bankForm(fund, () => box.dispatchEvent(new CustomEvent('fund-changed', { bubbles: true }))));
  if (isAdmin) {
    const code = h('input', { name: 'code', required: true, maxlength: 64, autocomplete: 'off' });
    const name = h('input', { name: 'name', required: true, maxlength: 200 });
    const type = select('type', Object.entries(TYPES).map(([value, text]) => ({ value, text })), 'expense');
    const form = h('form', { class: 'inline' }, field('code', '科目编码', code), field('name', '科目名称', name), field('type', '类别', type), h('button', { type: 'submit' }, '增加科目'));
    form.addEventListener(
      'submit',
      onSubmit(form, async (key) => {
        await api.post(`/v1/funds/${encodeURIComponent(fund.id)}/accounts`, { code: code.value.trim(), name: name.value.trim(), type: type.value }, { idempotencyKey: key });
        await chart(box, fund, isAdmin);
      }),
    );
    parts.push(h('h3', {}, '增加自设科目'), form);
  }
  clear(box, section(`科目表：${fund.name}`, ...parts));
}

/** The fund's own bank account (专户), against which bank statements are imported. */
function bankForm(fund, changed) {
  const number = h('input', { name: 'bankAccountNumber', maxlength: 60, autocomplete: 'off', inputmode: 'numeric', value: fund.bankAccountNumber ?? '' });
  const bank = h('input', { name: 'bankName', maxlength: 200, value: fund.bankName ?? '' });
  const form = h('form', { class: 'inline', 'aria-label': '银行专户' }, field('bankAccountNumber', '专户账号', number), field('bankName', '开户银行', bank), h('button', { type: 'submit' }, '保存专户'));
  form.addEventListener(
    'submit',
    onSubmit(form, async (key) => {
      if (!number.value.trim()) throw fieldError('bankAccountNumber', '请填写专户账号。');
      await api.patch(`/v1/funds/${encodeURIComponent(fund.id)}`, { bankAccountNumber: number.value.trim(), bankName: bank.value.trim() || null }, { idempotencyKey: key });
      changed();
    }),
  );
  return form;
}
