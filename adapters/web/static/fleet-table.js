import { ago, h, visible } from './dom.js';

// The fleet as tables, one per value of the chosen label. Names, labels, versions and hosts are
// the agents' own words: text only, with bidi controls made visible.

/** Link to the job list with filters. */
export function jobsLink(filters) {
  const params = new URLSearchParams(Object.entries(filters).filter(([, v]) => v));
  const q = params.toString();
  return `#/jobs${q ? `?${q}` : ''}`;
}

/** "just now" would read oddly next to "offline": an offline agent's last check-in is given in seconds. */
function seenText(a, now = Date.now()) {
  if (!a.lastSeenAt) return 'never';
  const s = Math.max(0, Math.round((now - Date.parse(a.lastSeenAt)) / 1000));
  return a.status === 'offline' && s < 60 ? `${s} s ago` : ago(a.lastSeenAt, now);
}

/** One agent's row: status, name (to its jobs), last seen, running jobs, version, host, labels. */
function agentRow(a) {
  const seen = a.lastSeenAt ? new Date(a.lastSeenAt).toLocaleString() : 'never';
  return h(
    'tr',
    { class: `agent-row agent-${a.status}${a.revoked ? ' revoked' : ''}`, dataset: { agent: a.name, status: a.status } },
    h('td', { class: 'status-cell' }, h('span', { class: 'dot', 'aria-hidden': 'true' }), h('span', { class: 'agent-status', text: a.revoked ? 'revoked' : a.status })),
    h('td', { class: 'name-cell' }, h('a', { class: 'agent-name u', href: jobsLink({ agent: a.name }), title: `jobs of ${a.name}` }, visible(a.name))),
    h('td', { class: 'seen-cell', title: seen, text: seenText(a) }),
    h(
      'td',
      { class: 'load-cell' },
      a.running || a.queued
        ? h('a', { href: jobsLink({ agent: a.name, state: 'queuing,sent,running' }), text: `${a.running} running${a.queued ? ` · ${a.queued} queued` : ''}` })
        : h('span', { class: 'muted', text: 'idle' }),
    ),
    h('td', { class: 'version-cell u' }, a.version ? visible(a.version) : h('span', { class: 'muted', text: 'unknown' })),
    h('td', { class: 'host-cell u', title: a.os ?? '' }, visible(a.host ?? '')),
    h('td', { class: 'labels-cell' }, Object.entries(a.labels).sort().map(([k, v]) => h('span', { class: 'chip u' }, visible(`${k}=${v}`)))),
  );
}

/** The agents split by the value of one label (`groupBy`), sorted by value; those without it last. */
function groups(agents, groupBy) {
  if (!groupBy) return [{ key: null, title: 'All agents', agents }];
  const byValue = new Map();
  for (const a of agents) {
    const v = Object.hasOwn(a.labels, groupBy) ? a.labels[groupBy] : null;
    if (!byValue.has(v)) byValue.set(v, []);
    byValue.get(v).push(a);
  }
  const values = [...byValue.keys()].sort((x, y) => (x === null) - (y === null) || String(x).localeCompare(String(y)));
  return values.map((v) => ({ key: v, title: v === null ? `no ${groupBy}` : `${groupBy}=${v}`, agents: byValue.get(v) }));
}

/** The fleet's sections: a heading with the group's online count, and its table. */
export function fleetGroups(agents, groupBy) {
  return groups(agents, groupBy).map((g) => {
    const online = g.agents.filter((a) => a.status === 'online').length;
    return h(
      'section',
      { class: 'fleet-group', dataset: { group: g.title } },
      h('h3', { class: 'group-head' }, h('span', { class: 'group-title u' }, visible(g.title)), h('span', { class: `group-count${online < g.agents.length ? ' some-offline' : ''}`, text: `${online}/${g.agents.length} online` })),
      h(
        'table',
        { class: 'fleet-table' },
        h('thead', {}, h('tr', {}, ['Status', 'Agent', 'Last seen', 'Jobs', 'Version', 'Host', 'Labels'].map((t) => h('th', { text: t })))),
        h('tbody', {}, g.agents.map(agentRow)),
      ),
    );
  });
}
