import { describe, expect, it } from 'vitest';
import { ConversationFanout, WEB_CHAT_CHANNEL } from '../../../../adapters/web/conversation-fanout.js';
import { ConversationHub, type HubEvent } from '../../../../adapters/web/conversation-hub.js';
import type { WebChatMessage } from '../../../../adapters/web/wire-types.js';
import { createInProcessNotifier } from '../../../../src/bus/in-process-notifier.js';
import { silentLogger, type Notifier } from '../../../../src/core/index.js';

function msg(id: string, text: string, editedAt?: string): WebChatMessage {
  return { id, conversationId: 'c', threadId: 't', author: { kind: 'bot', name: 'skadi' }, text, at: '2026-01-01T00:00:00.000Z', ...(editedAt ? { editedAt } : {}) };
}

const seen = (events: HubEvent[]) => events.map((e) => `${e.event}:${(JSON.parse(e.json) as WebChatMessage).text}`);
const tick = () => new Promise((r) => setTimeout(r, 5));

/** One "server process": its hub, a listener as a browser's stream, and its fanout on the shared notifier. */
async function processOn(notifier: Notifier) {
  const hub = new ConversationHub({ perConversation: 10, maxBytes: 1e6 });
  const events: HubEvent[] = [];
  hub.subscribe('alice/c', (e) => events.push(e));
  const fanout = new ConversationFanout({ hub, notifier, logger: silentLogger });
  await fanout.start();
  return { hub, events, fanout };
}

describe('ConversationHub.merge', () => {
  it('pushes a version delivered twice only once', () => {
    const hub = new ConversationHub({ perConversation: 10, maxBytes: 1e6 });
    const events: HubEvent[] = [];
    hub.subscribe('k', (e) => events.push(e));
    expect(hub.merge('k', msg('m1', 'queued'))).not.toBeNull();
    expect(hub.merge('k', msg('m1', 'queued'))).toBeNull();
    expect(seen(events)).toEqual(['message.new:queued']);
  });

  it('drops the first version of a message that arrives after an edit of it', () => {
    const hub = new ConversationHub({ perConversation: 10, maxBytes: 1e6 });
    const events: HubEvent[] = [];
    hub.subscribe('k', (e) => events.push(e));
    hub.merge('k', msg('m1', 'done', '2026-01-01T00:00:02.000Z'));
    hub.merge('k', msg('m1', 'queued'));
    expect(seen(events)).toEqual(['message.new:done']);
    expect(hub.find('k', 'm1')?.text).toBe('done');
  });
});

describe('ConversationFanout', () => {
  it('puts a message sent in one process into every process, once each', async () => {
    const notifier = createInProcessNotifier();
    const a = await processOn(notifier);
    const b = await processOn(notifier);
    await a.fanout.publish('alice/c', msg('m1', 'queued'));
    await b.fanout.publish('alice/c', msg('m1', 'succeeded', '2026-01-01T00:00:01.000Z'));
    await tick();
    expect(seen(a.events)).toEqual(['message.new:queued', 'message.edit:succeeded']);
    expect(seen(b.events)).toEqual(['message.new:queued', 'message.edit:succeeded']);
  });

  it('ignores a duplicate delivery and anything that is not an envelope', async () => {
    const notifier = createInProcessNotifier();
    const a = await processOn(notifier);
    const b = await processOn(notifier);
    await a.fanout.publish('alice/c', msg('m1', 'queued'));
    await tick();
    // The same envelope again, as a retrying or doubled transport would deliver it.
    await notifier.notify(WEB_CHAT_CHANNEL, JSON.stringify({ origin: 'elsewhere', key: 'alice/c', message: msg('m1', 'queued') }));
    await notifier.notify(WEB_CHAT_CHANNEL, 'not json');
    await notifier.notify(WEB_CHAT_CHANNEL, JSON.stringify({ origin: 'elsewhere', key: 'alice/c' }));
    await tick();
    expect(seen(b.events)).toEqual(['message.new:queued']);
    expect(seen(a.events)).toEqual(['message.new:queued']);
  });

  it('still delivers locally when the notifier fails, and stops listening on stop', async () => {
    const failing: Notifier = {
      notify: async () => {
        throw new Error('redis down');
      },
      listen: async () => async () => undefined,
      close: async () => undefined,
    };
    const a = await processOn(failing);
    await expect(a.fanout.publish('alice/c', msg('m1', 'queued'))).resolves.toBeUndefined();
    expect(seen(a.events)).toEqual(['message.new:queued']);

    const notifier = createInProcessNotifier();
    const b = await processOn(notifier);
    const c = await processOn(notifier);
    await c.fanout.stop();
    await b.fanout.publish('alice/c', msg('m2', 'hello'));
    await tick();
    expect(c.events).toEqual([]);
  });
});
