// Charts drawn as SVG by the console itself (no library): bar lengths come from share(), a ratio of two
// BigInt fen sums, and the exact figures are always printed beside the chart.
import { formatMoney, share, toFen } from './money.js';

const SVG = 'http://www.w3.org/2000/svg';

function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const child of children) el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return el;
}

const largest = (values) => values.reduce((max, v) => (toFen(v) > toFen(max) ? v : max), '0.00');

/** Money in and out by month: two bars per month, scaled to the largest month. */
export function monthlyChart(months, { title }) {
  const width = 640;
  const height = 220;
  const left = 8;
  const bottom = 22;
  const top = 18;
  const top100 = largest(months.flatMap((m) => [m.in, m.out]));
  const slot = (width - left) / months.length;
  const bar = Math.min(18, slot / 2 - 3);
  const plot = height - bottom - top;
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': title });
  svg.append(s('title', {}, title));
  svg.append(s('text', { x: left, y: 12 }, `最高 ${formatMoney(top100)} 元`));
  svg.append(s('line', { x1: left, x2: width, y1: height - bottom, y2: height - bottom, stroke: '#aab6c3' }));
  months.forEach((m, i) => {
    const x = left + i * slot + slot / 2;
    for (const [kind, value, dx] of [['in', m.in, -bar - 1], ['out', m.out, 1]]) {
      const h = Math.max(toFen(value) > 0n ? 1 : 0, share(value, top100) * plot);
      const rect = s('rect', { class: `bar-${kind}`, x: x + dx, y: height - bottom - h, width: bar, height: h });
      rect.append(s('title', {}, `${m.label} ${kind === 'in' ? '收入' : '支出'} ${formatMoney(value)} 元`));
      svg.append(rect);
    }
    svg.append(s('text', { x, y: height - 6, 'text-anchor': 'middle' }, m.label));
  });
  return svg;
}

/** A bar per village: allocated (light) with spent (dark) over it, scaled to the largest allocation. */
export function villageChart(villages, { title }) {
  const width = 640;
  const row = 26;
  const labelWidth = 110;
  const height = Math.max(1, villages.length) * row + 8;
  const top100 = largest(villages.map((v) => v.allocated));
  const span = width - labelWidth - 10;
  const svg = s('svg', { viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': title });
  svg.append(s('title', {}, title));
  villages.forEach((v, i) => {
    const y = 4 + i * row;
    svg.append(s('text', { x: 0, y: y + 15 }, v.name.length > 8 ? `${v.name.slice(0, 8)}…` : v.name));
    const allocated = s('rect', { class: 'bar-allocated', x: labelWidth, y, width: share(v.allocated, top100) * span, height: 18 });
    allocated.append(s('title', {}, `${v.name} 已分配 ${formatMoney(v.allocated)} 元`));
    const spent = s('rect', { class: 'bar-spent', x: labelWidth, y: y + 5, width: share(v.spent, top100) * span, height: 8 });
    spent.append(s('title', {}, `${v.name} 已支出 ${formatMoney(v.spent)} 元`));
    svg.append(allocated, spent);
  });
  return svg;
}
