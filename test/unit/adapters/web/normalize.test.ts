import { describe, expect, it } from 'vitest';
import { conversationKey, normalizeWebMessage, parseConversationKey } from '../../../../adapters/web/normalize.js';

const at = new Date('2026-02-03T04:05:06Z');

describe('normalizeWebMessage', () => {
  it('turns a posted message into an InboundMessage for web:<user>', () => {
    const m = normalizeWebMessage({ conversationId: 'conv12345', clientMessageId: 'msg000001', text: '  local uptime ' }, 'alice', at);
    expect(m).toEqual({
      id: 'alice/msg000001',
      platform: 'web',
      thread: { platform: 'web', conversationId: 'alice/conv12345', threadId: 'msg000001' },
      sender: { id: 'alice', identity: 'web:alice', displayName: 'alice', isBot: false },
      text: 'local uptime',
      mentionsBot: true,
      receivedAt: at,
      raw: { conversationId: 'conv12345', clientMessageId: 'msg000001', text: '  local uptime ' },
    });
  });

  it('answers in the thread the page names; a new message starts its own', () => {
    const reply = normalizeWebMessage({ conversationId: 'conv12345', threadId: 'thread0001', clientMessageId: 'msg000002', text: 'cancel x' }, 'alice', at);
    expect(reply.thread.threadId).toBe('thread0001');
    const fresh = normalizeWebMessage({ conversationId: 'conv12345', clientMessageId: 'msg000003', text: 'help' }, 'alice', at);
    expect(fresh.thread.threadId).toBe('msg000003');
  });

  it('keeps the same id for a retry and scopes it by user', () => {
    const body = { conversationId: 'conv12345', clientMessageId: 'msg000004', text: 'local date' };
    expect(normalizeWebMessage(body, 'alice', at).id).toBe(normalizeWebMessage(body, 'alice', new Date()).id);
    expect(normalizeWebMessage(body, 'bob', at).id).not.toBe(normalizeWebMessage(body, 'alice', at).id);
    expect(normalizeWebMessage(body, 'bob', at).thread.conversationId).toBe('bob/conv12345');
  });

  it('keeps CJK, emoji and quotes intact', () => {
    const text = 'local echo 你好\u3000世界 👨‍👩‍👧 "quoted" ‘curly’';
    expect(normalizeWebMessage({ conversationId: 'conv12345', clientMessageId: 'msg000005', text }, 'alice', at).text).toBe(text);
  });
});

describe('conversation keys', () => {
  it('round-trips user and browser id, and rejects foreign ids', () => {
    expect(parseConversationKey(conversationKey('a.b@c', 'conv12345'))).toEqual({ user: 'a.b@c', conversationId: 'conv12345' });
    expect(parseConversationKey('C0123')).toBeNull();
    expect(parseConversationKey('/x')).toBeNull();
    expect(parseConversationKey('x/')).toBeNull();
  });
});
