import { api } from './api.js';
import { $, ago, between, duration, h, visible } from './dom.js';

// The job list: filters (state, agent name or selector, requester) kept in the address
// (#/jobs?state=failed&agent=role=web), pages of 50, and rows kept live from the store.

const PAGE = 50;
const FILTER_KEYS = ['state', 'agent', 'requester'];

export function createJobsView(store, { onUnauthorized }) {
  let filters = {};
  let rows = new Map();
  let next = null;
  let loadSeq = 0;
  let refetchTimer = null;
  let visibleNow = false;

  function row(j) {
    const dispatch = between(j.createdAt, j.sentAt);
    const took = j.finishedAt ? between(j.createdAt, j.finishedAt) : null;
    return h(
      'tr',
      { class: `job-row state-${j.state}`, dataset: { jobId: j.id, state: j.state } },
      h('td', {}, h('a', { class: 'job-id', href: `#/jobs/${encodeURIComponent(j.id)}`, text: j.id })),
      h('td', {}, h('span', { class: 'badge', text: j.state }), j.exitCode !== null && j.exitCode !== 0 ? h('span', { class: 'exit', text: ` exit ${j.exitCode}` }) : null),
      h('td', { class: 'u' }, visible(j.agent)),
      h('td', { class: 'msg-cell u', title: j.message }, visible(j.message)),
      h('td', { class: 'u', title: j.requester }, visible(j.requesterName ?? j.requester)),
      h('td', { class: 'when-cell', title: new Date(j.createdAt).toLocaleString(), text: ago(j.createdAt) }),
      h('td', { class: 'num', text: dispatch === null ? '' : duration(dispatch) }),
      h('td', { class: 'num', text: took === null ? '' : duration(took) }),
    );
  }

  function render() {
    const list = [...rows.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id));
    $('jobs-table-body').replaceChildren(...list.map(row));
    $('jobs-empty').hidden = list.length > 0;
    $('jobs-more').hidden = next === null;
    $('jobs-count').textContent = `${list.length}${next ? '+' : ''} job${list.length === 1 ? '' : 's'}`;
  }

  function query(before) {
    const params = new URLSearchParams({ limit: String(PAGE) });
    for (const k of FILTER_KEYS) if (filters[k]) params.set(k, filters[k]);
    if (before) params.set('before', before);
    return `/web/api/jobs?${params}`;
  }

  /** Loads the first page (replacing the list), or the next one (appending). */
  async function load(more = false) {
    const seq = ++loadSeq;
    const res = await api('GET', query(more ? next : null));
    if (seq !== loadSeq) return;
    if (!res.ok) {
      if (res.status === 401) return onUnauthorized();
      $('jobs-error').textContent = res.data?.message ?? `HTTP ${res.status}`;
      rows = more ? rows : new Map();
      next = null;
      return render();
    }
    $('jobs-error').textContent = '';
    if (!more) rows = new Map();
    for (const j of res.data.jobs) rows.set(j.id, j);
    next = res.data.next;
    render();
  }

  /**
   * A job not on the list changed: read the first page again and merge it in. Rows newer than
   * the page's oldest that the server no longer lists have stopped matching the filter.
   */
  async function refreshFirstPage() {
    const seq = loadSeq;
    const res = await api('GET', query(null));
    if (!res.ok || seq !== loadSeq) return;
    const fresh = res.data.jobs;
    const oldest = fresh.length === PAGE ? fresh[fresh.length - 1].createdAt : '';
    for (const [id, j] of rows) if (j.createdAt >= oldest && !fresh.some((f) => f.id === id)) rows.delete(id);
    for (const j of fresh) rows.set(j.id, j);
    if (rows.size <= PAGE) next = res.data.next;
    render();
  }

  function fillForm() {
    const state = filters.state ?? '';
    const select = $('jobs-state');
    // A link may carry any list of states: it gets an option of its own.
    if (![...select.options].some((o) => o.value === state)) select.append(h('option', { value: state, text: state.replaceAll(',', ', ') }));
    select.value = state;
    $('jobs-agent').value = filters.agent ?? '';
    $('jobs-requester').value = filters.requester ?? '';
  }

  $('jobs-filter').addEventListener('submit', (e) => {
    e.preventDefault();
    const f = { state: $('jobs-state').value, agent: $('jobs-agent').value.trim(), requester: $('jobs-requester').value.trim() };
    const params = new URLSearchParams(Object.entries(f).filter(([, v]) => v));
    const hash = `#/jobs${params.toString() ? `?${params}` : ''}`;
    // The address is the filter's one source: the router calls show() with it.
    if (location.hash !== hash) location.hash = hash;
    else void load();
  });
  $('jobs-clear').addEventListener('click', () => {
    location.hash = '#/jobs';
  });
  $('jobs-more').addEventListener('click', () => void load(true));

  const unsubscribe = store.subscribe((kind, j) => {
    if (!visibleNow || kind !== 'job') return;
    if (rows.has(j.id)) {
      rows.set(j.id, j);
      render();
    } else {
      clearTimeout(refetchTimer);
      refetchTimer = setTimeout(() => void refreshFirstPage(), 400);
    }
  });
  const ticker = setInterval(() => visibleNow && render(), 15_000);

  return {
    /** Shows the list for the filters of the address (`params`: URLSearchParams). */
    show(params) {
      visibleNow = true;
      filters = Object.fromEntries(FILTER_KEYS.map((k) => [k, params.get(k) ?? '']).filter(([, v]) => v));
      fillForm();
      rows = new Map();
      next = null;
      render();
      void load();
    },
    hide() {
      visibleNow = false;
      clearTimeout(refetchTimer);
    },
    close() {
      unsubscribe();
      clearInterval(ticker);
      clearTimeout(refetchTimer);
    },
  };
}
