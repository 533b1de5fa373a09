import { describe, expect, it } from 'vitest';
import { ConversationHub, type HubEvent } from '../../../../adapters/web/conversation-hub.js';
import type { WebChatMessage } from '../../../../adapters/web/wire-types.js';

function msg(id: string, text = id): WebChatMessage {
  return { id, conversationId: 'c', threadId: 't', author: { kind: 'bot', name: 'skadi' }, text, at: '2026-01-01T00:00:00.000Z' };
}

const texts = (events: HubEvent[]) => events.map((e) => `${e.event}:${(JSON.parse(e.json) as WebChatMessage).text}`);

describe('ConversationHub', () => {
  it('pushes new messages and edits to the listeners of that conversation only', () => {
    const hub = new ConversationHub({ perConversation: 10, maxBytes: 1e6 });
    const mine: HubEvent[] = [];
    const other: HubEvent[] = [];
    hub.subscribe('a/c', (e) => mine.push(e));
    hub.subscribe('b/c', (e) => other.push(e));
    hub.publish('a/c', msg('m1', 'queued'));
    hub.publish('a/c', msg('m1', 'done'));
    expect(texts(mine)).toEqual(['message.new:queued', 'message.edit:done']);
    expect(other).toEqual([]);
  });

  it('replays everything without an id, and only what came after a known id', () => {
    const hub = new ConversationHub({ perConversation: 10, maxBytes: 1e6 });
    const e1 = hub.publish('k', msg('m1', 'one'));
    hub.publish('k', msg('m2', 'two'));
    hub.publish('k', msg('m1', 'one edited'));
    expect(texts(hub.replay('k', null))).toEqual(['message.new:two', 'message.new:one edited']);
    // m1 existed at e1, so its change is an edit; m2 is new since then.
    expect(texts(hub.replay('k', e1.id))).toEqual(['message.new:two', 'message.edit:one edited']);
    expect(hub.replay('k', hub.replay('k', null).at(-1)!.id)).toEqual([]);
  });

  it('replays everything for an id from another process or a restart', () => {
    const hub = new ConversationHub({ perConversation: 10, maxBytes: 1e6 });
    hub.publish('k', msg('m1'));
    expect(hub.replay('k', 'otherepoch.1')).toHaveLength(1);
    expect(hub.replay('k', `${hub.epoch}.999`)).toHaveLength(1);
    expect(hub.replay('k', 'garbage')).toHaveLength(1);
  });

  it('keeps at most perConversation messages, dropping the least recently changed', () => {
    const hub = new ConversationHub({ perConversation: 2, maxBytes: 1e6 });
    hub.publish('k', msg('m1'));
    hub.publish('k', msg('m2'));
    hub.publish('k', msg('m1', 'm1 again'));
    hub.publish('k', msg('m3'));
    expect(texts(hub.replay('k', null))).toEqual(['message.new:m1 again', 'message.new:m3']);
    expect(hub.find('k', 'm2')).toBeUndefined();
  });

  it('stays within the byte budget, taking from the least recently active conversation first', () => {
    const big = 'x'.repeat(1000);
    const hub = new ConversationHub({ perConversation: 100, maxBytes: 3500 });
    hub.publish('old', msg('o1', big));
    hub.publish('old', msg('o2', big));
    hub.publish('new', msg('n1', big));
    hub.publish('new', msg('n2', big));
    expect(hub.size).toBeLessThanOrEqual(3500);
    expect(hub.find('new', 'n1')).toBeDefined();
    expect(hub.find('new', 'n2')).toBeDefined();
    expect(hub.find('old', 'o1')).toBeUndefined();
    // A single message over the budget is still delivered and kept until the next one.
    hub.publish('huge', msg('h1', 'y'.repeat(5000)));
    expect(hub.find('huge', 'h1')).toBeDefined();
  });
});
