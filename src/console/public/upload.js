// A CSV file sent to an import route of the API: chosen with a button of ours (the browser's own speaks the
// browser's language), its upload's progress shown, then what the service answered — or, refused, every
// problem by line and column, nothing imported. Used by the household roster and the bank statement.
import { api } from './api.js';
import { clear, fieldError, h, onSubmit, plainMessage, table } from './ui.js';

const size = (bytes) => (bytes < 1024 * 1024 ? `${Math.ceil(bytes / 1024)} KB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`);

/**
 * uploadForm({ label, path, template: { path, fileName }, reason(message) → text, done(report, outcome) })
 * → { form, progress, outcome }: `path` may be a function, read when the file is sent.
 */
export function uploadForm({ label, path, template, reason = (m) => m, done }) {
  const file = h('input', { name: 'file', type: 'file', accept: '.csv,text/csv', class: 'file-input', 'aria-label': 'CSV 文件' });
  const chosenName = h('span', { class: 'hint' }, '未选择文件');
  file.addEventListener('change', () => (chosenName.textContent = file.files?.[0]?.name ?? '未选择文件'));
  const progress = h('div', { class: 'progress', 'aria-live': 'polite' });
  const outcome = h('div', {});
  const form = h(
    'form',
    { class: 'inline', 'aria-label': label },
    h(
      'div',
      { class: 'field', dataset: { field: 'file' } },
      h('span', { class: 'field-label', 'aria-hidden': 'true' }, 'CSV 文件'),
      h('span', {}, h('label', { class: 'file-pick' }, file, '选择文件…'), ' ', chosenName),
      h('small', { class: 'hint' }, 'UTF-8 或 Excel 另存的 CSV（GBK）均可'),
    ),
    h('button', { type: 'submit', class: 'primary' }, '导入'),
    template
      ? h('button', { type: 'button', onclick: () => api.download(template.path, {}, template.fileName).catch((e) => clear(outcome, h('p', { class: 'form-error', role: 'alert' }, plainMessage(e)))) }, '下载模板')
      : null,
  );
  form.addEventListener(
    'submit',
    onSubmit(form, async (key) => {
      clear(outcome);
      const chosen = file.files?.[0];
      if (!chosen) throw fieldError('file', '请选择要导入的 CSV 文件。');
      const bar = h('progress', { max: '100', value: '0', 'aria-label': '上传进度' });
      const said = h('span', {}, `正在上传 ${chosen.name}（${size(chosen.size)}）…`);
      clear(progress, bar, ' ', said);
      try {
        const report = await api.upload(typeof path === 'function' ? path() : path, chosen, {
          contentType: 'text/csv',
          idempotencyKey: key,
          onProgress: (sent, total) => {
            bar.value = total ? Math.round((sent / total) * 100) : 0;
            // Sent whole: the service now checks every line before it writes any.
            if (total && sent >= total) {
              bar.removeAttribute('value');
              said.textContent = '已上传，正在逐行检查并导入…';
            }
          },
        });
        clear(progress);
        file.value = '';
        chosenName.textContent = '未选择文件';
        done(report, outcome);
      } catch (error) {
        clear(progress);
        if (error.code !== 'import_failed') throw error;
        const lines = error.problem.errors ?? [];
        const count = error.problem.errorCount ?? lines.length;
        clear(
          outcome,
          h('p', { class: 'form-error', role: 'alert' }, `整份文件未导入（一行也没有写入）：发现 ${count} 处问题。请改正下列各行后重新导入整份文件。`),
          table(
            [
              { title: '行号', class: 'num', value: (e) => String(e.line) },
              { title: '列', value: (e) => e.column ?? '（整行）' },
              { title: '原因', value: (e) => reason(e.message) },
            ],
            lines,
          ),
          count > lines.length ? h('p', { class: 'hint' }, `仅列出前 ${lines.length} 处。`) : null,
        );
      }
    }),
  );
  return { form, progress, outcome };
}
