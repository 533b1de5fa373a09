import { randomBytes } from 'node:crypto';
import type { WebChatMessage } from '../../adapters/web/wire-types.js';
import { openSse, type SseClient } from '../helpers/web-sse-client.js';
import { startWebServer } from '../helpers/web-test-server.js';
import { chatAdapterContract, type ChatAdapterHarness, type ReceivedMessage } from './chat-adapter.contract.js';

/** Users the contract delivers as; each logs in with its own token. */
const USERS = ['alice', 'bob', 'somebot'].map((name) => ({ name, token: `${name}-token-${randomBytes(8).toString('hex')}` }));

/**
 * The peer is what a browser does over HTTP: a logged-in client that posts to
 * /web/api/messages (deliver) and reads /web/api/events (received).
 */
async function webHarness(): Promise<ChatAdapterHarness> {
  const server = await startWebServer({ users: USERS, options: { heartbeatMs: 1000 } });
  const cookies = new Map<string, string>();
  const streams = new Map<string, SseClient>();
  const defaultConversation = `conv${randomBytes(6).toString('hex')}`;

  const cookieFor = async (user: string): Promise<string> => {
    let cookie = cookies.get(user);
    if (!cookie) {
      const token = USERS.find((u) => u.name === user)?.token;
      if (!token) throw new Error(`the web harness has no user ${user}`);
      cookie = await server.login(user, token);
      cookies.set(user, cookie);
    }
    return cookie;
  };

  /** One open stream per (user, conversation), opened before the first post so nothing is missed. */
  const watch = async (user: string, conversation: string): Promise<void> => {
    const key = `${user}/${conversation}`;
    if (streams.has(key)) return;
    const stream = await openSse(`${server.url}/web/api/events?conversationId=${conversation}`, { cookie: await cookieFor(user) });
    streams.set(key, stream);
    await stream.waitFor((e) => e.event === 'ready');
  };

  return {
    adapter: server.adapter,
    async deliver(input) {
      // The web chat has no bot senders: whoever logs in is a person, so a bot's message never exists.
      if (input.isBot) return;
      const conversation = input.conversation ?? defaultConversation;
      await watch(input.user, conversation);
      const body: Record<string, string> = { conversationId: conversation, clientMessageId: input.id ?? `m${randomBytes(8).toString('hex')}`, text: input.text };
      if (input.thread) body.threadId = input.thread;
      const res = await fetch(`${server.url}/web/api/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie: await cookieFor(input.user) },
        body: JSON.stringify(body),
      });
      if (res.status !== 202) throw new Error(`post failed: ${res.status} ${await res.text()}`);
    },
    async received() {
      const out: ReceivedMessage[] = [];
      for (const stream of streams.values()) {
        for (const e of stream.events) {
          if (e.event !== 'message.new' && e.event !== 'message.edit') continue;
          const m = JSON.parse(e.data) as WebChatMessage;
          if (m.author.kind !== 'bot') continue;
          const file = m.files?.[0];
          out.push({ conversationId: m.conversationId, threadId: m.threadId, messageId: m.id, text: m.text, edited: m.editedAt !== undefined, ...(file ? { file: { name: file.name, content: file.content } } : {}) });
        }
      }
      return out;
    },
    async close() {
      for (const stream of streams.values()) stream.close();
      await server.close();
    },
  };
}

chatAdapterContract('web', webHarness);
