import { api } from './api.js';
import { jobsChart, jobsLegend, latencyChart, latencyLegend } from './charts.js';
import { $, duration, h, visibleText } from './dom.js';
import { fleetGroups } from './fleet-table.js';

// The dashboard: summary tiles, the fleet grouped by a chosen label (optionally narrowed by a
// selector the server evaluates), and the two charts. Everything re-renders from the live store.

const GROUP_KEY = 'skadi.web.fleet.groupBy';

function loadGroupBy() {
  try {
    return localStorage.getItem(GROUP_KEY);
  } catch {
    return null;
  }
}

function saveGroupBy(key) {
  try {
    localStorage.setItem(GROUP_KEY, key);
  } catch {
    // Private mode: the choice lasts as long as the page.
  }
}

export function createDashboardView(store) {
  let groupBy = loadGroupBy();
  let selector = '';
  /** Names the selector matches (from the server), or null when no selector is set. */
  let matching = null;
  let filterSeq = 0;
  let visibleNow = false;

  const select = $('fleet-group');
  const filterInput = $('fleet-filter');

  function labelKeys() {
    const keys = new Set();
    for (const a of store.agents) for (const k of Object.keys(a.labels)) keys.add(k);
    return [...keys].sort();
  }

  function renderGroupOptions() {
    const keys = labelKeys();
    // Without a saved choice: `role` if the fleet has it, decided once the fleet is known.
    if (groupBy === null && store.agents.length) groupBy = keys.includes('role') ? 'role' : '';
    const options = ['', ...new Set([...keys, ...(groupBy ? [groupBy] : [])])];
    const current = [...select.options].map((o) => o.value).join('\n');
    if (current !== options.join('\n')) {
      select.replaceChildren(...options.map((k) => h('option', { value: k, text: k === '' ? 'nothing' : visibleText(k) })));
    }
    select.value = groupBy ?? '';
  }

  function renderTiles() {
    const agents = store.agents;
    const online = agents.filter((a) => a.status === 'online').length;
    const running = agents.reduce((n, a) => n + a.running, 0);
    const queued = agents.reduce((n, a) => n + a.queued, 0);
    const t = store.stats?.totals;
    const finished = t ? t.succeeded + t.failed + t.expired + t.cancelled : 0;
    const tile = (id, label, value, note, cls = '') => h('div', { class: `tile ${cls}`, dataset: { tile: id } }, h('div', { class: 'tile-label', text: label }), h('div', { class: 'tile-value', text: value }), h('div', { class: 'tile-note', text: note }));
    $('tiles').replaceChildren(
      tile('online', 'Agents online', `${online} / ${agents.length}`, agents.length - online ? `${agents.length - online} offline` : 'all online', online < agents.length ? 'tile-warn' : ''),
      tile('running', 'Jobs running', String(running), queued ? `${queued} queued` : 'none queued'),
      tile('finished', 'Finished (1 h)', String(finished), t ? `${t.succeeded} succeeded` : ''),
      tile('failed', 'Failed or expired (1 h)', t ? String(t.failed + t.expired) : '0', t ? `${t.failed} failed · ${t.expired} expired` : '', t && t.failed + t.expired ? 'tile-bad' : ''),
      tile('latency', 'Dispatch p95 (1 h)', t?.latency ? duration(t.latency.p95) : '–', t?.latency ? `median ${duration(t.latency.p50)}` : 'nothing dispatched'),
    );
  }

  function renderFleet() {
    const agents = matching ? store.agents.filter((a) => matching.has(a.name)) : store.agents;
    const fleet = $('fleet');
    if (store.agents.length === 0) return fleet.replaceChildren(h('p', { class: 'none', text: 'No agents yet. Add one with: skadi agent add NAME --label role=web' }));
    if (agents.length === 0) return fleet.replaceChildren(h('p', { class: 'none', text: 'No agent matches the filter.' }));
    fleet.replaceChildren(...fleetGroups(agents, groupBy ?? ''));
  }

  function renderCharts() {
    const stats = store.stats;
    if (!stats) return;
    $('chart-jobs').replaceChildren(jobsChart(stats), jobsLegend(stats));
    $('chart-latency').replaceChildren(latencyChart(stats), latencyLegend(stats));
    $('charts-partial').hidden = !stats.partial;
  }

  function render() {
    if (!visibleNow) return;
    renderGroupOptions();
    renderTiles();
    renderFleet();
    renderCharts();
  }

  /** Asks the server which agents the selector matches; a bad selector shows the server's hint. */
  async function applyFilter() {
    selector = filterInput.value.trim();
    const seq = ++filterSeq;
    if (!selector) {
      matching = null;
      $('fleet-filter-error').textContent = '';
      return renderFleet();
    }
    const res = await api('GET', `/web/api/agents?${new URLSearchParams({ selector })}`);
    if (seq !== filterSeq) return;
    if (res.ok) {
      matching = new Set(res.data.agents.map((a) => a.name));
      $('fleet-filter-error').textContent = '';
    } else {
      matching = null;
      $('fleet-filter-error').textContent = res.data?.message ?? `HTTP ${res.status}`;
    }
    renderFleet();
  }

  select.addEventListener('change', () => {
    groupBy = select.value;
    saveGroupBy(groupBy);
    renderFleet();
  });
  $('fleet-filter-form').addEventListener('submit', (e) => {
    e.preventDefault();
    void applyFilter();
  });
  filterInput.addEventListener('input', () => {
    if (filterInput.value.trim() === '' && selector !== '') void applyFilter();
  });

  const unsubscribe = store.subscribe((kind) => {
    if (!visibleNow) return;
    if (kind === 'agents') {
      renderGroupOptions();
      renderTiles();
      // Agents may have changed labels: the server says again what the selector matches.
      if (selector) void applyFilter();
      else renderFleet();
    } else if (kind === 'stats') {
      renderTiles();
      renderCharts();
    }
  });
  // "12 s ago" ages without new data.
  const ticker = setInterval(() => visibleNow && renderFleet(), 5000);

  return {
    show() {
      visibleNow = true;
      render();
    },
    hide() {
      visibleNow = false;
    },
    close() {
      unsubscribe();
      clearInterval(ticker);
    },
  };
}
