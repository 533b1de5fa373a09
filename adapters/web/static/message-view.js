import { clock, h, hasBidi, visible } from './dom.js';

// One chat message as DOM. Output is shown open when short, collapsed when long, and always
// downloadable; status colours come from the `status-<name>` class.

const OPEN_LINES = 20;
const OPEN_CHARS = 2000;

/**
 * Renders a WebChatMessage. `onAction(action, message)` is called for the buttons (cancel,
 * rerun). Returns the element; blob URLs it made are listed in `el.blobUrls` for revoking.
 */
export function renderMessage(msg, { onAction, pending = false, error = null, onRetry } = {}) {
  const blobUrls = [];
  const status = msg.status ?? (msg.author.kind === 'user' ? 'user' : 'info');
  const el = h(
    'article',
    {
      class: `msg msg-${msg.author.kind} status-${status}${pending ? ' pending' : ''}${error ? ' failed-send' : ''}`,
      dataset: { messageId: msg.id, author: msg.author.kind, status },
    },
    h(
      'header',
      { class: 'msg-head' },
      h('span', { class: 'author u' }, visible(msg.author.name)),
      msg.status ? h('span', { class: 'badge', text: msg.status }) : null,
      h('time', { datetime: msg.at, text: clock(msg.at), title: new Date(msg.at).toLocaleString() }),
      msg.editedAt ? h('span', { class: 'edited', title: `edited ${new Date(msg.editedAt).toLocaleString()}`, text: 'updated' }) : null,
      pending ? h('span', { class: 'sending', text: 'sending…' }) : null,
    ),
    msg.title ? h('div', { class: 'title u' }, visible(msg.title)) : null,
    h('div', { class: 'text u' }, visible(msg.text)),
    msg.fields?.length ? renderFields(msg.fields) : null,
    (msg.files ?? []).map((file) => renderFile(file, blobUrls)),
    msg.actions?.length ? h('div', { class: 'actions' }, msg.actions.map((a) => h('button', { type: 'button', class: `action action-${a.id}`, dataset: { action: a.id, jobId: a.jobId }, text: a.label, onclick: () => onAction?.(a, msg) }))) : null,
    error ? h('div', { class: 'send-error', role: 'alert' }, h('span', { class: 'u', text: error }), ' ', h('button', { type: 'button', class: 'link', text: 'retry', onclick: () => onRetry?.() })) : null,
  );
  el.blobUrls = blobUrls;
  return el;
}

function renderFields(fields) {
  return h('dl', { class: 'fields' }, fields.map((f) => [h('dt', { class: 'u' }, visible(f.label)), h('dd', { class: 'u' }, visible(f.value))]));
}

function renderFile(file, blobUrls) {
  // A final newline does not start another line.
  const lines = file.content === '' ? 0 : file.content.replace(/\n$/, '').split('\n').length;
  const url = URL.createObjectURL(new Blob([file.content], { type: 'text/plain;charset=utf-8' }));
  blobUrls.push(url);
  const label = file.kind === 'text' ? 'Full text' : 'Output';
  const details = h(
    'details',
    { class: 'file', dataset: { kind: file.kind } },
    h(
      'summary',
      {},
      h('span', { class: 'file-label', text: label }),
      h('span', { class: 'file-meta', text: ` · ${lines} line${lines === 1 ? '' : 's'} · ` }),
      h('a', { class: 'download u', href: url, download: file.name }, 'download ', visible(file.name)),
      // Output is shown byte for byte (the download is exact); a warning says when it could mislead.
      hasBidi(file.content) ? h('span', { class: 'bidi-warning', text: ' · contains invisible direction controls' }) : null,
    ),
    h('pre', { class: 'output u', text: file.content }),
  );
  if (lines <= OPEN_LINES && file.content.length <= OPEN_CHARS) details.open = true;
  return details;
}

/** Frees what a message element holds before it is replaced or removed. */
export function disposeMessage(el) {
  for (const url of el.blobUrls ?? []) URL.revokeObjectURL(url);
}
