import { api, newId } from './api.js';
import { $, h } from './dom.js';
import { disposeMessage, renderMessage } from './message-view.js';

/**
 * The chat pane: threads of messages kept in step with `/web/api/events`, and the compose box.
 * A new message starts a thread; "Reply in thread" sends the next one into an existing thread.
 */
export function createChat({ user, conversationId, onUnauthorized, onConnection }) {
  const threadsEl = $('threads');
  const input = $('compose-text');
  const threads = new Map();
  const messages = new Map();
  let replyTo = null;
  let source = null;
  let lastEventId = null;
  let retryTimer = null;
  let closed = false;

  function nearBottom() {
    return threadsEl.scrollHeight - threadsEl.scrollTop - threadsEl.clientHeight < 80;
  }

  function ensureThread(threadId) {
    let thread = threads.get(threadId);
    if (thread) return thread;
    const list = h('div', { class: 'thread-messages' });
    const el = h(
      'section',
      { class: 'thread', dataset: { threadId } },
      list,
      h('footer', { class: 'thread-foot' }, h('button', { type: 'button', class: 'link reply', text: 'Reply in thread', onclick: () => setReplyTo(threadId) })),
    );
    $('empty')?.remove();
    threadsEl.append(el);
    thread = { el, list };
    threads.set(threadId, thread);
    return thread;
  }

  /** Adds a message or replaces the one with the same id (edits, status updates). */
  function upsert(msg, opts = {}) {
    const stick = nearBottom();
    const el = renderMessage(msg, { onAction, ...opts });
    const existing = messages.get(msg.id);
    if (existing) {
      disposeMessage(existing.el);
      existing.el.replaceWith(el);
    } else {
      ensureThread(msg.threadId).list.append(el);
    }
    messages.set(msg.id, { el, msg });
    if (stick || !existing) el.scrollIntoView({ block: 'nearest' });
  }

  function onAction(action, msg) {
    void send(`${action.id} ${action.jobId}`, msg.threadId);
  }

  function setReplyTo(threadId) {
    replyTo = threadId;
    for (const t of threads.values()) t.el.classList.toggle('replying', t.el.dataset.threadId === threadId);
    $('reply-chip').hidden = threadId === null;
    if (threadId !== null) input.focus();
  }

  /** Posts a message; on failure it stays on screen with a retry that reuses its id. */
  async function send(text, threadId = null, clientMessageId = newId()) {
    const msg = { id: clientMessageId, conversationId, threadId: threadId ?? clientMessageId, author: { kind: 'user', name: user }, text, at: new Date().toISOString() };
    upsert(msg, { pending: true });
    const body = { conversationId, clientMessageId, text };
    if (threadId) body.threadId = threadId;
    const res = await api('POST', '/web/api/messages', body);
    if (res.ok) {
      upsert(msg);
      return true;
    }
    if (res.status === 401) onUnauthorized();
    const why = res.data?.message ?? `HTTP ${res.status}`;
    upsert(msg, { error: `not sent: ${why}`, onRetry: () => void send(text, threadId, clientMessageId) });
    return false;
  }

  function connect() {
    if (closed) return;
    const params = new URLSearchParams({ conversationId });
    if (lastEventId) params.set('lastEventId', lastEventId);
    source = new EventSource(`/web/api/events?${params}`);
    const onMessage = (e) => {
      if (e.lastEventId) lastEventId = e.lastEventId;
      upsert(JSON.parse(e.data));
    };
    source.addEventListener('message.new', onMessage);
    source.addEventListener('message.edit', onMessage);
    source.addEventListener('ready', () => onConnection('live'));
    source.addEventListener('error', async () => {
      if (closed) return;
      onConnection('reconnecting');
      if (source.readyState !== EventSource.CLOSED) return; // the browser retries by itself
      const session = await api('GET', '/web/api/session');
      if (session.status === 401) return onUnauthorized();
      retryTimer = setTimeout(connect, 3000);
    });
  }

  function close() {
    closed = true;
    clearTimeout(retryTimer);
    source?.close();
    for (const { el } of messages.values()) disposeMessage(el);
  }

  $('compose').addEventListener('submit', async (e) => {
    e.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = '';
    const threadId = replyTo;
    setReplyTo(null);
    await send(text, threadId);
  });
  $('reply-cancel').addEventListener('click', () => setReplyTo(null));

  connect();
  return { close, send };
}
