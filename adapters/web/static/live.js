import { $, ago, h, visible } from './dom.js';

// The fleet's live state from `/web/api/live` (snapshot on connect, then `job` updates, `agents`
// refreshes and `stats` for the charts), shared by the chat's side panel and the dashboard views.

const MAX_JOBS = 50;

/**
 * Connects the live stream. Returns {agents, jobs, stats, subscribe(fn), close()}; `fn(kind, data)`
 * is called with kind `agents`, `jobs` (a new snapshot), `job` (one job changed) or `stats`.
 */
export function createLiveStore({ onUnauthorized }) {
  const store = { agents: [], jobs: new Map(), stats: null, subscribe, close };
  const listeners = new Set();
  let closed = false;
  let retryTimer = null;
  let source = null;

  function emit(kind, data) {
    for (const fn of listeners) fn(kind, data);
  }

  function subscribe(fn) {
    listeners.add(fn);
    return () => listeners.delete(fn);
  }

  function connect() {
    if (closed) return;
    source = new EventSource('/web/api/live');
    source.addEventListener('agents', (e) => {
      store.agents = JSON.parse(e.data);
      emit('agents', store.agents);
    });
    source.addEventListener('jobs', (e) => {
      store.jobs.clear();
      for (const j of JSON.parse(e.data)) store.jobs.set(j.id, j);
      emit('jobs', store.jobs);
    });
    source.addEventListener('job', (e) => {
      const j = JSON.parse(e.data);
      store.jobs.set(j.id, j);
      emit('job', j);
    });
    source.addEventListener('stats', (e) => {
      store.stats = JSON.parse(e.data);
      emit('stats', store.stats);
    });
    source.addEventListener('error', async () => {
      if (closed || source.readyState !== EventSource.CLOSED) return;
      const res = await fetch('/web/api/session', { credentials: 'same-origin' }).catch(() => null);
      if (res?.status === 401) return onUnauthorized();
      retryTimer = setTimeout(connect, 3000);
    });
  }

  function close() {
    closed = true;
    listeners.clear();
    clearTimeout(retryTimer);
    source?.close();
  }

  connect();
  return store;
}

/** The chat's side panel: agents and recent jobs. Returns a function that stops it. */
export function createLivePanel(store) {
  function renderAgents() {
    const agents = store.agents;
    const online = agents.filter((a) => a.status === 'online').length;
    $('agents-count').textContent = `${online}/${agents.length} online`;
    $('agents').replaceChildren(
      ...agents.map((a) =>
        h(
          'li',
          { class: `agent agent-${a.status}${a.revoked ? ' revoked' : ''}`, dataset: { agent: a.name } },
          h('span', { class: 'dot', title: a.status, 'aria-label': a.status }),
          h('span', { class: 'name u', title: a.host ?? '' }, visible(a.name)),
          h('span', { class: 'meta u', title: a.version ?? '' }, a.version ? visible(`v${a.version}`) : ''),
          h('span', { class: 'seen', title: a.lastSeenAt ? new Date(a.lastSeenAt).toLocaleString() : 'never', text: a.status === 'online' ? `online · ${ago(a.lastSeenAt)}` : `offline · last seen ${ago(a.lastSeenAt)}` }),
        ),
      ),
    );
    if (agents.length === 0) $('agents').append(h('li', { class: 'none', text: 'No agents yet.' }));
  }

  function renderJobs() {
    const list = [...store.jobs.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt)).slice(0, MAX_JOBS);
    $('jobs').replaceChildren(
      ...list.map((j) =>
        h(
          'li',
          { class: `job state-${j.state}`, dataset: { jobId: j.id, state: j.state } },
          h('div', { class: 'job-line' }, h('a', { class: 'job-id', href: `#/jobs/${encodeURIComponent(j.id)}`, text: j.id }), h('span', { class: 'badge', text: j.state }), h('span', { class: 'agent-name u' }, visible(j.agent))),
          h('div', { class: 'job-msg u', title: j.message }, visible(j.message)),
          h('div', { class: 'job-who' }, h('span', { class: 'u', title: j.requester }, visible(j.requesterName ?? j.requester)), h('span', { class: 'when', text: ` · ${ago(j.createdAt)}` })),
        ),
      ),
    );
    if (list.length === 0) $('jobs').append(h('li', { class: 'none', text: 'No jobs yet.' }));
  }

  const unsubscribe = store.subscribe((kind) => {
    if (kind === 'agents') renderAgents();
    else if (kind === 'jobs' || kind === 'job') renderJobs();
  });
  // Relative times ("3 min ago") age without new data.
  const ticker = setInterval(() => {
    renderAgents();
    renderJobs();
  }, 30_000);

  return () => {
    unsubscribe();
    clearInterval(ticker);
  };
}
