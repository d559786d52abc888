// 村: the villages the key reaches, by code; an officer adds one and corrects a name, township or county.
// The code is fixed once given: imports, distribution rules and printed statements name the village by it.
import { api } from '../api.js';
import { clear, field, fieldError, h, onSubmit, section, shortTime, table } from '../ui.js';

export default {
  title: '村',
  permission: 'read',
  async render(main, ctx) {
    const canRecord = ctx.me.permissions.includes('record');
    const villages = await api.all('/v1/villages');
    const reload = () => this.render(main, ctx);
    // A key of some townships adds villages in them only: offered as a list, not typed.
    const townships = ctx.me.reach?.townships ?? [];
    clear(
      main,
      h('div', { class: 'toolbar' }, h('h1', {}, '村')),
      section(
        `村（${villages.length} 个）`,
        table(
          [
            { title: '村编码', value: (v) => v.code },
            { title: '村名', value: (v) => v.name },
            { title: '乡镇', value: (v) => v.township },
            { title: '县', value: (v) => v.county },
            { title: '登记时间', value: (v) => shortTime(v.createdAt) },
            ...(canRecord ? [{ title: '操作', value: (v) => h('button', { type: 'button', class: 'link', onclick: (e) => edit(e.target.closest('tr'), v) }, `修改 ${v.name}`) }] : []),
          ],
          villages,
          { empty: '还没有登记村。' },
        ),
      ),
      canRecord ? section('登记村', villageForm({}, townships, async (body, key) => {
        await api.post('/v1/villages', body, { idempotencyKey: key });
        await reload();
      })) : null,
    );

    /** The row becomes a form of its own; saving sends only what changed. */
    function edit(row, village) {
      const form = villageForm(village, townships, async (body, key) => {
        const changed = Object.fromEntries(Object.entries(body).filter(([k, v]) => k !== 'code' && v !== village[k]));
        if (Object.keys(changed).length) await api.patch(`/v1/villages/${encodeURIComponent(village.id)}`, changed, { idempotencyKey: key });
        await reload();
      });
      form.setAttribute('aria-label', `修改 ${village.name}`);
      form.append(h('button', { type: 'button', onclick: () => reload() }, '取消'));
      clear(row, h('td', { colspan: String(row.children.length) }, form));
      form.querySelector('input[name=name]')?.focus();
    }
  },
};

function villageForm(village, townships, save) {
  const editing = Boolean(village.id);
  const code = h('input', { name: 'code', required: true, maxlength: 64, autocomplete: 'off', placeholder: '如 QS-001', value: village.code ?? '', disabled: editing });
  const name = h('input', { name: 'name', required: true, maxlength: 100, placeholder: '青山村', value: village.name ?? '' });
  const township = townships.length
    ? h('select', { name: 'township' }, townships.map((t) => h('option', { value: t, selected: t === village.township }, t)))
    : h('input', { name: 'township', required: true, maxlength: 100, placeholder: '某乡', value: village.township ?? '' });
  const county = h('input', { name: 'county', required: true, maxlength: 100, placeholder: '某县', value: village.county ?? '' });
  const form = h(
    'form',
    { class: 'inline' },
    field('code', '村编码', code, editing ? '编码登记后不能修改' : null),
    field('name', '村名', name),
    field('township', '乡镇', township),
    field('county', '县', county),
    h('button', { type: 'submit', class: 'primary' }, editing ? '保存' : '登记村'),
  );
  form.addEventListener(
    'submit',
    onSubmit(form, async (key) => {
      const body = { code: code.value.trim(), name: name.value.trim(), township: township.value.trim(), county: county.value.trim() };
      for (const [k, label] of [['code', '村编码'], ['name', '村名'], ['township', '乡镇'], ['county', '县']]) {
        if (!body[k]) throw fieldError(k, `请填写${label}。`);
      }
      await save(body, key);
    }),
  );
  return form;
}
