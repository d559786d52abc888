// 银行对账: a fund's bank statements imported (the upload's progress, refusals by line), the month's
// 余额调节表 on the page and as PDF, the items outstanding on each side next to each other — matched by hand
// by picking them — and the month's matches, each of which can be undone. A match never changes the books.
import { api } from '../api.js';
import { formatMoney, sumMoney } from '../money.js';
import {
  clear, errorBlock, fieldError, figures, h, noFunds, pager, plainMessage, reconciliationReason, section, table, today,
} from '../ui.js';
import { uploadForm } from '../upload.js';

const METHOD = { reference: '按参考号', amount: '按金额', manual: '人工' };

/** Last month: the one a township reconciles at the start of this one. */
const lastMonth = () => {
  const [y, m] = today().split('-').map(Number);
  return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
};

export default {
  title: '银行对账',
  permission: 'report',
  async render(main, ctx) {
    const funds = await ctx.funds();
    if (!funds.length) return noFunds(main, '银行对账');
    const canRecord = ctx.me.permissions.includes('record');
    const body = h('div', {});
    const picker = await ctx.fundPicker(() => show());
    const month = h('input', {
      name: 'period', value: ctx.state.bankPeriod ?? lastMonth(), size: 7, maxlength: 7, pattern: '\\d{4}-\\d{2}', 'aria-label': '月份', title: '月份，格式 YYYY-MM',
    });
    month.addEventListener('change', () => show());
    clear(main, h('div', { class: 'toolbar' }, h('h1', {}, '银行对账'), picker, h('label', { class: 'field' }, h('span', { class: 'field-label' }, '月份'), month)), body);
    show();

    async function show() {
      const fund = (await ctx.funds()).find((f) => f.id === picker.value);
      const period = month.value.trim();
      ctx.state.bankPeriod = period;
      if (fund.template !== 'prevention') return clear(body, section('银行对账', h('p', { class: 'empty' }, '本基金不是按防止返贫标准科目开设的，没有银行专户科目可供对账。')));
      const parts = [];
      if (!fund.bankAccountNumber) {
        parts.push(section('导入银行对账单', h('p', { class: 'empty' }, '本基金还没有登记银行专户账号：请管理员在', h('a', { href: `#/funds/${encodeURIComponent(fund.id)}` }, '“基金”页'), '填写后再导入。')));
      } else if (canRecord) {
        const { form, progress, outcome } = uploadForm({
          label: '导入银行对账单',
          path: () => `/v1/funds/${encodeURIComponent(fund.id)}/bank-statements`,
          template: { path: '/v1/bank-statements/template', fileName: '银行对账单模板.csv' },
          done(report, box) {
            const m = report.matching;
            clear(
              box,
              h(
                'p',
                { class: 'notice', role: 'status' },
                `已导入 ${report.from} 至 ${report.to} 的对账单 ${report.lines} 行：新增 ${report.newLines} 行，此前已导入 ${report.knownLines} 行；` +
                  `自动匹配 ${m.byReference + m.byAmount} 笔（按参考号 ${m.byReference}，按金额 ${m.byAmount}）；尚未匹配：银行 ${m.unmatchedLines} 行，账面 ${m.unmatchedEntries} 笔。`,
              ),
            );
            reconciliation();
          },
        });
        parts.push(
          section(
            `导入银行对账单（专户 ${fund.bankName ?? ''} ${fund.bankAccountNumber}）`,
            h('p', { class: 'hint' }, '网银导出的 CSV 即可：表头前写明账号、起始日期、截止日期、期初余额、期末余额（见模板）。余额逐行核对，有一行不对整份不导入；已导入过的行不会重复。'),
            form,
            progress,
            outcome,
          ),
        );
      }
      const view = h('div', {});
      clear(body, ...parts, view);
      reconciliation();

      async function reconciliation() {
        if (!/^\d{4}-(0[1-9]|1[0-2])$/.test(period)) return clear(view, errorBlock(fieldError('period', '月份格式为 YYYY-MM，例如 2026-03。')));
        clear(view, h('p', { class: 'loading' }, '正在加载…'));
        let r;
        try {
          r = await api.get(`/v1/funds/${encodeURIComponent(fund.id)}/bank-reconciliations/${period}`);
        } catch (error) {
          return clear(view, errorBlock(error));
        }
        clear(view, summary(r), outstanding(r), matchedLines(r));
      }

      function summary(r) {
        const tools = h(
          'div',
          { class: 'toolbar' },
          h('button', { type: 'button', onclick: () => api.download(`/v1/funds/${encodeURIComponent(fund.id)}/bank-reconciliations/${period}`, { format: 'pdf' }, `银行存款余额调节表-${fund.code}-${period}.pdf`).catch(failed) }, '下载调节表 PDF'),
          canRecord && fund.bankAccountNumber ? h('button', { type: 'button', onclick: () => api.post(`/v1/funds/${encodeURIComponent(fund.id)}/bank-statement-lines/auto-match`).then(reconciliation, failed) }, '重新自动匹配') : null,
        );
        const said = h('div', { role: 'status' });
        function failed(error) {
          clear(said, h('p', { class: 'form-error', role: 'alert' }, plainMessage(error)));
        }
        return section(
          `银行存款余额调节表 ${r.period}（截至 ${r.asOf}）`,
          // The two sides of the 调节表, one row each, as it is printed.
          figures([
            ['单位账面余额', r.bookBalance],
            ['加：银行已收、单位未收', r.bankInNotBooked.total],
            ['减：银行已付、单位未付', r.bankOutNotBooked.total],
            ['调节后余额（单位）', r.adjustedBookBalance],
          ]),
          h('div', { class: 'spacer' }),
          figures([
            ['银行对账单余额', r.bankBalance ?? h('span', {}, '—')],
            ['加：单位已收、银行未收', r.bookInNotBanked.total],
            ['减：单位已付、银行未付', r.bookOutNotBanked.total],
            ['调节后余额（银行）', r.adjustedBankBalance ?? h('span', {}, '—')],
          ]),
          r.agrees
            ? h('p', { class: 'notice' }, `调节相符。${r.staleItems ? `其中 ${r.staleItems} 项未达超过 ${r.staleDays} 天，请核查。` : ''}`)
            : h('p', { class: 'form-error' }, `调节不符：${r.reasons.map(reconciliationReason).join('；')}。`),
          tools,
          said,
        );
      }

      /** Both sides' outstanding items, next to each other, each with a box to pick it for a match. */
      function outstanding(r) {
        const picked = { lines: new Set(), entries: new Set() };
        const amounts = new Map();
        const total = h('span', {});
        const result = h('div', { role: 'status' });
        const recount = () => {
          // Money in counts up, money out down: a match pairs one direction, so equal sums are what to look for.
          const sum = (ids) => sumMoney([...ids].map((id) => (amounts.get(`dir:${id}`) === 'in' ? amounts.get(id) : `-${amounts.get(id)}`)));
          const bankSide = sum(picked.lines);
          const bookSide = sum(picked.entries);
          total.textContent = `已选：银行 ${formatMoney(bankSide)} 元，账面 ${formatMoney(bookSide)} 元${bankSide === bookSide && picked.lines.size && picked.entries.size ? '，金额相等' : ''}`;
        };
        const box = (set, id, amount, direction, what) => {
          amounts.set(id, amount);
          amounts.set(`dir:${id}`, direction);
          return h('input', { type: 'checkbox', 'aria-label': `选择 ${what}`, onchange: (e) => { e.target.checked ? set.add(id) : set.delete(id); recount(); } });
        };
        const dir = (d) => (d === 'in' ? '收' : '付');
        const bankItems = [
          ...r.bankInNotBooked.items.map((i) => ({ ...i, direction: 'in' })),
          ...r.bankOutNotBooked.items.map((i) => ({ ...i, direction: 'out' })),
        ].sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
        const bookItems = [
          ...r.bookInNotBanked.items.map((i) => ({ ...i, direction: 'in' })),
          ...r.bookOutNotBanked.items.map((i) => ({ ...i, direction: 'out' })),
        ].sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : a.number - b.number));
        const age = (i) => (i.stale ? h('span', { class: 'field-error' }, `${i.ageDays} 天（逾期）`) : `${i.ageDays} 天`);
        const left = table(
          [
            ...(canRecord ? [{ title: '选', value: (i) => box(picked.lines, i.lineId, i.amount, i.direction, `银行 ${i.date} ${dir(i.direction)} ${formatMoney(i.amount)}`) }] : []),
            { title: '日期', value: (i) => i.date },
            { title: '收/付', value: (i) => dir(i.direction) },
            { title: '金额（元）', class: 'num', value: (i) => formatMoney(i.amount) },
            { title: '流水号·摘要', value: (i) => [i.bankReference, i.counterpartyName, i.memo].filter(Boolean).join(' · ') },
            { title: '未达', class: 'num', value: age },
          ],
          bankItems,
          { empty: '没有银行有、账面无的款项。' },
        );
        const right = table(
          [
            ...(canRecord ? [{ title: '选', value: (i) => box(picked.entries, i.transactionId, i.amount, i.direction, `凭证 ${i.number} ${dir(i.direction)} ${formatMoney(i.amount)}`) }] : []),
            { title: '日期', value: (i) => i.date },
            { title: '凭证号', class: 'num', value: (i) => String(i.number) },
            { title: '收/付', value: (i) => dir(i.direction) },
            { title: '金额（元）', class: 'num', value: (i) => formatMoney(i.amount) },
            { title: '摘要·参考号', value: (i) => [i.description, ...i.references].join(' · ') },
            { title: '未达', class: 'num', value: age },
          ],
          bookItems,
          { empty: '没有账面有、银行无的款项。' },
        );
        const match = async () => {
          clear(result);
          const [first, ...others] = [...picked.lines];
          try {
            if (!first || !picked.entries.size) throw fieldError('match', '请在两边各选至少一项。');
            await api.post(`/v1/bank-statement-lines/${encodeURIComponent(first)}/match`, { transactionIds: [...picked.entries], ...(others.length ? { otherLineIds: others } : {}) });
            reconciliation();
          } catch (error) {
            clear(result, h('p', { class: 'form-error', role: 'alert' }, plainMessage(error)));
          }
        };
        return section(
          '未达账项',
          h('div', { class: 'grid' }, h('div', {}, h('h3', {}, '银行已收付、单位未记账'), left), h('div', {}, h('h3', {}, '单位已记账、银行未收付'), right)),
          canRecord ? h('div', { class: 'toolbar' }, total, h('button', { type: 'button', class: 'primary', onclick: match }, '匹配所选')) : null,
          result,
        );
      }

      /** The month's bank lines that stand matched, each match undoable (it stays on record). */
      function matchedLines(r) {
        return section(
          `${r.period} 已匹配的银行流水`,
          pager(
            (cursor) => api.get(`/v1/funds/${encodeURIComponent(fund.id)}/bank-statement-lines`, { status: 'matched', from: `${r.period}-01`, to: r.asOf, limit: 50, cursor }),
            (items) =>
              table(
                [
                  { title: '日期', value: (l) => l.date },
                  { title: '收/付', value: (l) => (l.direction === 'in' ? '收' : '付') },
                  { title: '金额（元）', class: 'num', value: (l) => formatMoney(l.amount) },
                  { title: '流水号·摘要', value: (l) => [l.bankReference, l.counterpartyName, l.memo].filter(Boolean).join(' · ') },
                  { title: '匹配方式', value: (l) => METHOD[l.match.method] ?? l.match.method },
                  { title: '凭证', value: (l) => `${l.match.transactionIds.length} 张` },
                  ...(canRecord ? [{ title: '操作', value: (l) => undo(l) }] : []),
                ],
                items,
                { empty: '本月没有已匹配的银行流水。' },
              ),
          ),
        );
      }

      function undo(line) {
        const said = h('span', {});
        return h(
          'span',
          {},
          h('button', {
            type: 'button',
            class: 'link',
            'aria-label': `撤销 ${line.date} ${formatMoney(line.amount)} 的匹配`,
            onclick: () => api.delete(`/v1/bank-statement-lines/${encodeURIComponent(line.id)}/match`).then(reconciliation, (e) => clear(said, h('span', { class: 'field-error' }, plainMessage(e)))),
          }, '撤销匹配'),
          said,
        );
      }
    }
  },
};

