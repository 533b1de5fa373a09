import { randomBytes } from 'node:crypto';
import type { WebChatMessage } from '../../adapters/web/wire-types.js';
import { openSse, type SseClient } from './web-sse-client.js';

/** A chat message event as a browser's EventSource sees it. */
export interface WebChatEvent {
  event: 'message.new' | 'message.edit';
  message: WebChatMessage;
}

/**
 * What a browser tab of the web chat does over HTTP against a running `skadi serve`: log in,
 * hold the conversation's event stream open, post messages.
 */
export interface WebChatTab {
  url: string;
  cookie: string;
  conversationId: string;
  stream: SseClient;
  /** Posts `text` as a new thread (or into `threadId`); resolves with the client message id, which is the new thread's id. */
  post(text: string, threadId?: string): Promise<string>;
  /** Every chat message event received so far, in order. */
  events(): WebChatEvent[];
  /** The bot's messages as the page would show them now: the latest version of each, by id. */
  botMessages(): Map<string, WebChatMessage>;
  /** Resolves once a bot message satisfies `match` (latest versions); rejects after `timeoutMs`. */
  waitForBot(match: (m: WebChatMessage) => boolean, timeoutMs?: number): Promise<WebChatMessage>;
  close(): void;
}

export function webId(prefix = 'c'): string {
  return `${prefix}${randomBytes(8).toString('hex')}`;
}

/** Logs in and returns the Cookie header value of the session. */
export async function webLogin(url: string, user: string, token: string): Promise<string> {
  const res = await fetch(`${url}/web/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user, token }) });
  if (res.status !== 200) throw new Error(`login as ${user} at ${url} failed: ${res.status} ${await res.text()}`);
  return (res.headers.get('set-cookie') ?? '').split(';')[0]!;
}

export async function openWebChatTab(url: string, user: string, token: string, conversationId = webId()): Promise<WebChatTab> {
  const cookie = await webLogin(url, user, token);
  const stream = await openSse(`${url}/web/api/events?conversationId=${conversationId}`, { cookie });
  if (stream.status !== 200) throw new Error(`event stream at ${url} answered ${stream.status}`);
  await stream.waitFor((e) => e.event === 'ready', 10_000);

  const events = (): WebChatEvent[] =>
    stream.events.filter((e) => e.event === 'message.new' || e.event === 'message.edit').map((e) => ({ event: e.event as WebChatEvent['event'], message: JSON.parse(e.data) as WebChatMessage }));
  const botMessages = (): Map<string, WebChatMessage> => {
    const out = new Map<string, WebChatMessage>();
    for (const { message } of events()) if (message.author.kind === 'bot') out.set(message.id, message);
    return out;
  };

  return {
    url,
    cookie,
    conversationId,
    stream,
    async post(text, threadId) {
      const clientMessageId = webId('m');
      const res = await fetch(`${url}/web/api/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie },
        body: JSON.stringify({ conversationId, clientMessageId, text, ...(threadId ? { threadId } : {}) }),
      });
      if (res.status !== 202) throw new Error(`posting ${JSON.stringify(text)} to ${url} failed: ${res.status} ${await res.text()}`);
      return clientMessageId;
    },
    events,
    botMessages,
    async waitForBot(match, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        for (const m of botMessages().values()) if (match(m)) return m;
        if (Date.now() > deadline) throw new Error(`no matching bot message from ${url} within ${timeoutMs} ms; have: ${JSON.stringify([...botMessages().values()].map((m) => [m.jobId, m.status, m.text]))}`);
        if (stream.ended) throw new Error(`the event stream of ${url} ended`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    close: () => stream.close(),
  };
}
