import { duration, h, svg } from './dom.js';

// The dashboard's two charts, drawn as SVG from the `stats` of the live stream (WebStats):
// jobs per minute stacked by final state, and dispatch latency (p50 inside p95) per minute.
// Colours come from CSS classes; every label goes in as textContent.

export const FINAL_STATES = ['succeeded', 'failed', 'expired', 'cancelled'];

const W = 640;
const H = 210;
const M = { left: 52, right: 10, top: 10, bottom: 24 };
const PLOT_W = W - M.left - M.right;
const PLOT_H = H - M.top - M.bottom;

/** About four grid steps of 1, 2 or 5 times a power of ten, covering `max`. */
function ticks(max, minTop) {
  const top = Math.max(max, minTop);
  const raw = top / 4;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw);
  const out = [];
  for (let v = 0; v <= top + step / 2 && out.length < 8; v += step) out.push(v);
  if (out[out.length - 1] < top) out.push(out[out.length - 1] + step);
  return out;
}

/** "14:05": short and the same width in every locale. */
function minuteLabel(ms) {
  const d = new Date(ms);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

/** Axes, grid lines with labels, and the time axis; returns {root, x(i), y(v), barW}. */
function frame(stats, yTicks, formatY, label) {
  const n = stats.finished.length;
  const top = yTicks[yTicks.length - 1] || 1;
  const barW = PLOT_W / n;
  const x = (i) => M.left + i * barW;
  const y = (v) => M.top + PLOT_H - (v / top) * PLOT_H;
  const root = svg('svg', { class: 'chart', viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': label, preserveAspectRatio: 'xMidYMid meet' });
  for (const v of yTicks) {
    root.append(svg('line', { class: v === 0 ? 'axis' : 'grid', x1: M.left, x2: W - M.right, y1: y(v), y2: y(v) }));
    root.append(svg('text', { class: 'tick', x: M.left - 6, y: y(v) + 4, 'text-anchor': 'end', text: formatY(v) }));
  }
  const from = Date.parse(stats.from);
  for (let i = 0; i < n; i++) {
    const at = from + i * stats.bucketMs;
    // Every ten minutes, but none so close to the end that it would run into "now".
    if (new Date(at).getMinutes() % 10 !== 0 || i > n - 4) continue;
    root.append(svg('line', { class: 'axis', x1: x(i), x2: x(i), y1: M.top + PLOT_H, y2: M.top + PLOT_H + 4 }));
    root.append(svg('text', { class: 'tick', x: x(i), y: H - 6, 'text-anchor': 'middle', text: minuteLabel(at) }));
  }
  root.append(svg('text', { class: 'tick', x: W - M.right, y: H - 6, 'text-anchor': 'end', text: 'now' }));
  return { root, x, y, barW, from };
}

function emptyNote(root, text) {
  root.append(svg('text', { class: 'empty-note', x: M.left + PLOT_W / 2, y: M.top + PLOT_H / 2, 'text-anchor': 'middle', text }));
}

/** Jobs that finished each minute, stacked by final state. */
export function jobsChart(stats) {
  const totals = stats.finished.map((c) => FINAL_STATES.reduce((sum, s) => sum + c[s], 0));
  const f = frame(stats, ticks(Math.max(0, ...totals), 4), (v) => String(v), 'Jobs per minute by final state');
  stats.finished.forEach((counts, i) => {
    if (totals[i] === 0) return;
    const g = svg('g', { class: 'bar-group' });
    let base = 0;
    for (const state of FINAL_STATES) {
      const n = counts[state];
      if (!n) continue;
      const y0 = f.y(base);
      const y1 = f.y(base + n);
      g.append(svg('rect', { class: `bar bar-${state}`, x: f.x(i) + f.barW * 0.15, width: Math.max(1, f.barW * 0.7), y: y1, height: Math.max(1, y0 - y1) }));
      base += n;
    }
    const parts = FINAL_STATES.filter((s) => counts[s]).map((s) => `${counts[s]} ${s}`);
    g.append(svg('title', { text: `${minuteLabel(f.from + i * stats.bucketMs)}: ${parts.join(', ')}` }));
    f.root.append(g);
  });
  if (totals.every((t) => t === 0)) emptyNote(f.root, 'No job finished in the last hour');
  return f.root;
}

/** Dispatch latency each minute: the p95 bar, with the median drawn inside it. */
export function latencyChart(stats) {
  const top = Math.max(0, ...stats.latency.map((l) => (l ? l.p95 : 0)));
  const f = frame(stats, ticks(top, 10), (v) => (v === 0 ? '0' : duration(v)), 'Dispatch latency per minute');
  stats.latency.forEach((l, i) => {
    if (!l) return;
    const g = svg('g', { class: 'bar-group' });
    const base = f.y(0);
    g.append(svg('rect', { class: 'bar lat-p95', x: f.x(i) + f.barW * 0.15, width: Math.max(1, f.barW * 0.7), y: f.y(l.p95), height: Math.max(1, base - f.y(l.p95)) }));
    g.append(svg('rect', { class: 'bar lat-p50', x: f.x(i) + f.barW * 0.3, width: Math.max(1, f.barW * 0.4), y: f.y(l.p50), height: Math.max(1, base - f.y(l.p50)) }));
    g.append(svg('title', { text: `${minuteLabel(f.from + i * stats.bucketMs)}: ${l.count} job${l.count === 1 ? '' : 's'} · p50 ${duration(l.p50)} · p95 ${duration(l.p95)} · max ${duration(l.max)}` }));
    f.root.append(g);
  });
  if (stats.latency.every((l) => !l)) emptyNote(f.root, 'No job was handed to an agent in the last hour');
  return f.root;
}

/** The legend under the jobs chart: a swatch and the hour's total per state. */
export function jobsLegend(stats) {
  return h(
    'div',
    { class: 'legend' },
    FINAL_STATES.map((s) => h('span', { class: 'legend-item', dataset: { state: s } }, h('span', { class: `swatch swatch-${s}` }), `${s} `, h('strong', { text: String(stats.totals[s]) }))),
  );
}

/** The legend under the latency chart, with the hour's figures. */
export function latencyLegend(stats) {
  const l = stats.totals.latency;
  return h(
    'div',
    { class: 'legend' },
    h('span', { class: 'legend-item' }, h('span', { class: 'swatch swatch-p50' }), 'median'),
    h('span', { class: 'legend-item' }, h('span', { class: 'swatch swatch-p95' }), '95th percentile'),
    h('span', { class: 'legend-item legend-summary', text: l ? `last hour: ${l.count} dispatched · median ${duration(l.p50)} · p95 ${duration(l.p95)} · max ${duration(l.max)}` : 'last hour: nothing dispatched' }),
  );
}
