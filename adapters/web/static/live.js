/* global EventSource, fetch, setTimeout, setInterval, clearInterval, clearTimeout -- browser script, served as is (no build step) */
import { $, ago, h, visible } from './dom.js';

// The side panel: agents and recent jobs, kept live by `/web/api/live` (snapshot on connect,
// then `job` updates and `agents` refreshes). Panels are plain functions of the data, so the
// dashboard can add its own views on the same stream.

const MAX_JOBS = 50;

/** Connects the live stream; returns a function that closes it. */
export function createLivePanel({ onUnauthorized }) {
  let agents = [];
  const jobs = new Map();
  let closed = false;
  let retryTimer = null;
  let source = null;

  function renderAgents() {
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
    const list = [...jobs.values()].sort((a, b) => b.createdAt.localeCompare(a.createdAt)).slice(0, MAX_JOBS);
    $('jobs').replaceChildren(
      ...list.map((j) =>
        h(
          'li',
          { class: `job state-${j.state}`, dataset: { jobId: j.id, state: j.state } },
          h('div', { class: 'job-line' }, h('code', { class: 'job-id', text: j.id }), h('span', { class: 'badge', text: j.state }), h('span', { class: 'agent-name u' }, visible(j.agent))),
          h('div', { class: 'job-msg u', title: j.message }, visible(j.message)),
          h('div', { class: 'job-who' }, h('span', { class: 'u', title: j.requester }, visible(j.requesterName ?? j.requester)), h('span', { class: 'when', text: ` · ${ago(j.createdAt)}` })),
        ),
      ),
    );
    if (list.length === 0) $('jobs').append(h('li', { class: 'none', text: 'No jobs yet.' }));
  }

  function connect() {
    if (closed) return;
    source = new EventSource('/web/api/live');
    source.addEventListener('agents', (e) => {
      agents = JSON.parse(e.data);
      renderAgents();
    });
    source.addEventListener('jobs', (e) => {
      jobs.clear();
      for (const j of JSON.parse(e.data)) jobs.set(j.id, j);
      renderJobs();
    });
    source.addEventListener('job', (e) => {
      const j = JSON.parse(e.data);
      jobs.set(j.id, j);
      renderJobs();
    });
    source.addEventListener('error', async () => {
      if (closed || source.readyState !== EventSource.CLOSED) return;
      const res = await fetch('/web/api/session', { credentials: 'same-origin' }).catch(() => null);
      if (res?.status === 401) return onUnauthorized();
      retryTimer = setTimeout(connect, 3000);
    });
  }

  // Relative times ("3 min ago") age without new data.
  const ticker = setInterval(() => {
    renderAgents();
    renderJobs();
  }, 30_000);

  connect();
  return () => {
    closed = true;
    clearInterval(ticker);
    clearTimeout(retryTimer);
    source?.close();
  };
}
