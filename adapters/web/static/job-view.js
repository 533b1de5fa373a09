import { api } from './api.js';
import { $, between, duration, h, hasBidi, visible } from './dom.js';

// One job's page: its details and its output, streamed from `/web/api/jobs/<id>/events`
// (`job` on every change, `output` as appended text, `end` once final). The output goes in as
// text nodes only: it is whatever the job printed.

function when(iso) {
  return iso ? new Date(iso).toLocaleString() : '—';
}

export function createJobView({ onUnauthorized }) {
  let source = null;
  let jobId = null;
  let length = 0;
  let bidiShown = false;

  function stop() {
    source?.close();
    source = null;
  }

  function setLive(state) {
    const el = $('job-live');
    el.dataset.state = state;
    el.textContent = state === 'live' ? 'streaming' : state === 'done' ? 'finished' : state === 'reconnecting' ? 'reconnecting…' : '';
  }

  function renderDetail(j) {
    $('job-title-id').textContent = j.id;
    const badge = $('job-state');
    badge.textContent = j.state;
    $('job-head').className = `job-head state-${j.state}`;
    $('job-head').dataset.state = j.state;
    badge.title = j.reason ?? '';
    const field = (label, value, cls = '') => [h('dt', { text: label }), h('dd', { class: `u ${cls}` }, typeof value === 'string' ? visible(value) : value)];
    const dispatch = between(j.createdAt, j.sentAt);
    const took = between(j.runningAt ?? j.sentAt ?? j.createdAt, j.finishedAt);
    $('job-fields').replaceChildren(
      // A fan-out parent's agent is its selector in brackets: its children are listed below instead.
      ...field('Agent', j.fanout ? j.agent : h('a', { href: `#/jobs?agent=${encodeURIComponent(j.agent)}` }, visible(j.agent))),
      ...field('Message', j.message, 'mono'),
      ...field('Requester', j.requesterName ? `${j.requesterName} (${j.requester})` : j.requester),
      ...field('Created', when(j.createdAt)),
      ...field('Sent to agent', j.sentAt ? `${when(j.sentAt)} · dispatch ${duration(dispatch)}` : '—'),
      ...field('Started', when(j.runningAt)),
      ...field('Finished', j.finishedAt ? `${when(j.finishedAt)}${took !== null ? ` · took ${duration(took)}` : ''}` : '—'),
      ...field('Exit code', j.exitCode === null ? '—' : String(j.exitCode)),
      ...(j.reason ? field('Reason', j.reason) : []),
      ...field('Attempt', String(j.attempt)),
      ...field('Timeout', duration(j.timeoutMs)),
      ...(j.platform ? field('From', j.platform) : []),
      ...(j.parentId ? field('Part of', h('a', { href: `#/jobs/${encodeURIComponent(j.parentId)}`, text: j.parentId })) : []),
      ...(j.fanout ? field('Fan-out', `${j.fanout.selector} · at most ${j.fanout.concurrency} at once${j.fanout.maxFailures ? ` · stop after ${j.fanout.maxFailures} failed` : ''}${j.fanout.stopped ? ' · stopped' : ''}`) : []),
      ...(j.fanout?.skipped.length ? field('Skipped', j.fanout.skipped.map((s) => `${s.agent} (${s.reason})`).join(', ')) : []),
      ...(j.fanout ? field('Children', h('span', { id: 'job-children' })) : []),
    );
    if (j.fanout) void showChildren(j.id);
    $('job-truncated').hidden = !j.outputTruncated;
  }

  /** A fan-out parent's children, one link each (agent: state), refreshed with every update of the parent. */
  async function showChildren(id) {
    const res = await api('GET', `/web/api/jobs?parent=${encodeURIComponent(id)}&limit=200`);
    const el = document.getElementById('job-children');
    if (!res.ok || !el || id !== jobId) return;
    const links = [...res.data.jobs].reverse().map((c) => h('a', { href: `#/jobs/${encodeURIComponent(c.id)}`, class: `child state-${c.state}`, 'data-state': c.state }, visible(`${c.agent}: ${c.state}${c.exitCode === null ? '' : ` (exit ${c.exitCode})`}`)));
    el.replaceChildren(...links.flatMap((a, i) => (i ? [document.createTextNode(' · '), a] : [a])));
  }

  function applyOutput(chunk) {
    const pre = $('job-output');
    const wrap = $('job-output-wrap');
    const stick = wrap.scrollHeight - wrap.scrollTop - wrap.clientHeight < 40;
    if (chunk.reset || chunk.offset !== length) {
      pre.textContent = chunk.text;
      length = chunk.text.length;
    } else {
      pre.append(document.createTextNode(chunk.text));
      length += chunk.text.length;
    }
    $('job-output-empty').hidden = length > 0;
    if (!bidiShown && hasBidi(chunk.text)) {
      bidiShown = true;
      $('job-bidi').hidden = false;
    }
    if (stick) wrap.scrollTop = wrap.scrollHeight;
  }

  async function showMissing(id) {
    const res = await api('GET', `/web/api/jobs/${encodeURIComponent(id)}`);
    if (res.status === 401) return onUnauthorized();
    if (res.ok || id !== jobId) return;
    setLive('');
    $('job-error').textContent = res.data?.message ?? `HTTP ${res.status}`;
  }

  function open(id) {
    stop();
    jobId = id;
    length = 0;
    bidiShown = false;
    $('job-title-id').textContent = id;
    $('job-state').textContent = '';
    $('job-fields').replaceChildren();
    $('job-output').textContent = '';
    $('job-output-empty').hidden = false;
    $('job-bidi').hidden = true;
    $('job-truncated').hidden = true;
    $('job-error').textContent = '';
    setLive('');
    const es = new EventSource(`/web/api/jobs/${encodeURIComponent(id)}/events`);
    source = es;
    es.addEventListener('open', () => setLive('live'));
    es.addEventListener('job', (e) => renderDetail(JSON.parse(e.data)));
    es.addEventListener('output', (e) => applyOutput(JSON.parse(e.data)));
    es.addEventListener('end', () => {
      es.close();
      if (source === es) setLive('done');
    });
    es.addEventListener('error', () => {
      if (source !== es) return;
      // Reconnecting by itself (the output starts over from the snapshot), or refused: say why.
      if (es.readyState === EventSource.CLOSED) void showMissing(id);
      else setLive('reconnecting');
    });
    es.addEventListener('job', () => {
      // A reconnect sends the whole output again.
      if ($('job-live').dataset.state === 'reconnecting') setLive('live');
    });
  }

  return {
    show(id) {
      if (id !== jobId || !source) open(id);
    },
    hide() {
      stop();
      jobId = null;
    },
    close: stop,
  };
}
