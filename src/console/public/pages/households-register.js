// The 农户 page's two ways in: one household by hand (its ID number checked here with the service's rule,
// then shown only masked), and a whole roster from a CSV file, all or nothing, with the upload's progress
// and every refused line. Not a page of its own: households.js shows both to keys that may record.
import { api } from '../api.js';
import { idNumberProblem } from '../id-numbers.js';
import { clear, field, fieldError, figures, h, onSubmit, section, select, villageLabel } from '../ui.js';
import { uploadForm } from '../upload.js';

/** 登记农户: the household's code, head, ID number (typed once), village and size. */
export function addHouseholdSection(villages, registered) {
  const code = h('input', { name: 'code', required: true, maxlength: 64, autocomplete: 'off', placeholder: '如 H-0012' });
  const headName = h('input', { name: 'headName', required: true, maxlength: 100, autocomplete: 'off' });
  // Not echoed anywhere once sent: masked in the answer, and the field emptied.
  const idNumber = h('input', { name: 'idNumber', required: true, maxlength: 18, autocomplete: 'off', inputmode: 'numeric', spellcheck: 'false', placeholder: '18 位' });
  const village = select('villageId', [...villages.values()].map((v) => ({ value: v.id, text: villageLabel(v) })));
  const members = h('input', { name: 'memberCount', required: true, inputmode: 'numeric', size: 4, value: '1' });
  const done = h('div', { role: 'status' });
  const form = h(
    'form',
    { class: 'inline', 'aria-label': '登记农户' },
    field('code', '户编号', code),
    field('headName', '户主姓名', headName),
    field('idNumber', '户主身份证号', idNumber),
    field('villageId', '村', village),
    field('memberCount', '家庭人口', members),
    h('button', { type: 'submit', class: 'primary' }, '登记农户'),
  );
  // Said as soon as the number is complete, not only on sending.
  idNumber.addEventListener('change', () => {
    const problem = idNumber.value.trim() && idNumberProblem(idNumber.value);
    form.querySelector('[data-field=idNumber] .field-error')?.remove();
    idNumber.removeAttribute('aria-invalid');
    if (problem) {
      idNumber.setAttribute('aria-invalid', 'true');
      idNumber.closest('[data-field]').append(h('p', { class: 'field-error', role: 'alert' }, `填写有误：${problem}`));
    }
  });
  form.addEventListener(
    'submit',
    onSubmit(form, async (key) => {
      clear(done);
      const problem = idNumberProblem(idNumber.value);
      if (problem) throw fieldError('idNumber', problem);
      if (!village.value) throw fieldError('villageId', '请先在“村”页登记村。');
      const count = Number(members.value.trim());
      if (!/^\d+$/.test(members.value.trim()) || count < 1 || count > 100) throw fieldError('memberCount', '家庭人口为 1 到 100 的整数。');
      const household = await api.post(
        '/v1/households',
        { code: code.value.trim(), headName: headName.value.trim(), idNumber: idNumber.value.trim().toUpperCase(), villageId: village.value, memberCount: count },
        { idempotencyKey: key },
      );
      for (const input of [code, headName, idNumber]) input.value = '';
      clear(
        done,
        h('p', { class: 'notice' }, `已登记 ${household.code} ${household.headName}，身份证号 ${household.idNumberMasked}。`, ' ',
          h('a', { href: `#/households/${encodeURIComponent(household.id)}` }, '查看该户（纳入监测）')),
      );
      registered?.(household);
    }),
  );
  if (!villages.size) return section('登记农户', h('p', { class: 'empty' }, '还没有村：请先在', h('a', { href: '#/villages' }, '“村”页'), '登记村。'));
  return section('登记农户', form, done);
}

// The importer's reasons are English sentences; the ones an officer meets most, said in Chinese.
const REASONS = [
  [/check digit is wrong/, () => '身份证号校验位不对'],
  [/an ID number is 18 characters/, () => '身份证号应为 18 位'],
  [/does not hold a valid date of birth/, () => '身份证号中的出生日期无效'],
  [/^no village with code (.+)$/, (m) => `没有编码为 ${m[1]} 的村（请先在“村”页登记）`],
  [/^is empty$/, () => '不能为空'],
  [/^"(.+)" is not a date/, (m) => `“${m[1]}”不是日期，请写成 2025-03-01`],
  [/^(\S+) is after today \((.+)\)$/, (m) => `${m[1]} 晚于今天（${m[2]}）`],
  [/^the same ID number as on line (\d+)$/, (m) => `与第 ${m[1]} 行身份证号相同`],
  [/^household (\S+) is also on line (\d+)$/, (m) => `户编号 ${m[1]} 与第 ${m[2]} 行重复`],
  [/already registered to household (\S+)$/, (m) => `该身份证号已登记在户 ${m[1]} 名下`],
  [/already registered to another household/, () => '该身份证号已登记在其他户名下'],
  [/must be a whole number from 1 to 100/, () => '应为 1 到 100 的整数'],
  [/^unknown category/, () => '监测类型应为 脱贫不稳定户、边缘易致贫户 或 突发严重困难户'],
  [/^unknown column/, () => '无法识别的列名（请使用模板中的列名）'],
  [/fields, but the header names/, () => '本行的列数与表头不一致'],
  [/^is empty: a monitored household has at least one risk cause/, () => '监测户至少填写一项风险类型'],
  [/^unknown (.+); known are/, (m) => `无法识别的风险类型 ${m[1]}`],
];
const reason = (message) => {
  for (const [pattern, say] of REASONS) {
    const m = pattern.exec(message);
    if (m) return say(m);
  }
  return message;
};

/** 导入农户名单: the template, a file chosen, its upload's progress, and the outcome line by line. */
export function importSection(imported) {
  const { form, progress, outcome } = uploadForm({
    label: '导入农户名单',
    path: '/v1/households/import',
    template: { path: '/v1/households/import/template', fileName: '农户导入模板.csv' },
    reason,
    done(report, box) {
      imported?.();
      clear(
        box,
        h('p', { class: 'notice', role: 'status' }, `导入完成：共 ${report.rows} 行，全部通过。`),
        figures([
          ['新登记农户', h('span', {}, String(report.created))],
          ['信息有变更', h('span', {}, String(report.updated))],
          ['无变化', h('span', {}, String(report.unchanged))],
          ['纳入监测', h('span', {}, String(report.included))],
          ['风险消除', h('span', {}, String(report.eliminated))],
        ]),
      );
    },
  });
  return section(
    '导入农户名单（CSV）',
    h('p', { class: 'hint' }, '先下载模板，按列填好（每户一行；同一户编号再次导入即为更新）。文件中只要有一行不通过，整份文件都不导入，并列出每一处问题。'),
    form,
    progress,
    outcome,
  );
}
