import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { normalizeWechatMessage, stripBotMention, threadOf, type WechatRawMessage } from '../../../../adapters/wechat/normalize.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../../fixtures/wechat');

/** A recorded message (test/fixtures/wechat/<name>.json): what the wechaty binding reads off a Message. */
function fixture(name: string): WechatRawMessage {
  return JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8')) as WechatRawMessage;
}

const options = (raw: WechatRawMessage) => ({ now: new Date(raw.timestamp + 2000), maxAgeMs: 5 * 60_000 });

function normalized(name: string) {
  const raw = fixture(name);
  const result = normalizeWechatMessage(raw, options(raw));
  if (!result.ok) throw new Error(`${name} was ignored: ${result.reason}`);
  return result.message;
}

describe('normalizeWechatMessage', () => {
  it('turns a room mention into a job request from wechat:<contact id>, the mention removed', () => {
    const m = normalized('room-mention');
    expect(m).toMatchObject({
      id: '7219348732194873921',
      platform: 'wechat',
      thread: { platform: 'wechat', conversationId: '20918372615@chatroom', opaque: { room: true, mention: { id: 'wxid_alice123', name: 'Alice (ops)' } } },
      sender: { id: 'wxid_alice123', identity: 'wechat:wxid_alice123', displayName: 'Alice (ops)', isBot: false },
      text: 'local uptime',
      mentionsBot: true,
    });
    expect(m.thread.threadId).toBeUndefined();
  });

  it('removes the mention by the bot\'s room alias too, and keeps CJK, full-width spaces and other people\'s mentions', () => {
    expect(normalized('room-mention-alias').text).toBe('local echo 你好\u3000世界 @Bob');
  });

  it('takes every text message in a direct chat; the conversation is the contact', () => {
    const m = normalized('direct');
    expect(m.text).toBe('local df -h');
    expect(m.thread).toEqual({ platform: 'wechat', conversationId: 'wxid_bob456', opaque: { room: false } });
    expect(m.sender.identity).toBe('wechat:wxid_bob456');
    expect(m.mentionsBot).toBe(true);
  });

  it('removes a mention typed in a direct chat too', () => {
    const raw = { ...fixture('direct'), text: '@Skadi local uptime' };
    const result = normalizeWechatMessage(raw, options(raw));
    expect(result.ok && result.message.text).toBe('local uptime');
  });

  it('normalises what wechaty with wechaty-puppet-mock delivers (recorded)', () => {
    const room = normalized('recorded-mock-room-mention');
    expect(room.text).toBe('local uptime');
    expect(room.sender.identity).toBe('wechat:alice');
    expect(room.thread.conversationId).toBe('ops@chatroom');
    const direct = normalized('recorded-mock-direct');
    expect(direct.thread.conversationId).toBe('alice');
  });

  it.each([
    ['room-no-mention', 'not-mentioned'],
    ['self-room', 'self'],
    ['image-direct', 'not-text'],
  ])('ignores %s (%s)', (name, reason) => {
    const raw = fixture(name);
    expect(normalizeWechatMessage(raw, options(raw))).toEqual({ ok: false, reason });
  });

  it('ignores a message older than maxAgeMs (replayed after a reconnect), never runs it late', () => {
    const raw = fixture('direct');
    expect(normalizeWechatMessage(raw, { now: new Date(raw.timestamp + 10 * 60_000), maxAgeMs: 5 * 60_000 })).toEqual({ ok: false, reason: 'too-old' });
  });

  it('marks an official account as a bot, so the dispatcher ignores it', () => {
    expect(normalized('official-account').sender.isBot).toBe(true);
  });

  it('gives a redelivered message the same id', () => {
    const raw = fixture('room-mention');
    const again = normalizeWechatMessage(raw, { now: new Date(raw.timestamp + 60_000), maxAgeMs: 5 * 60_000 });
    expect(again.ok && again.message.id).toBe(normalized('room-mention').id);
  });
});

describe('stripBotMention', () => {
  it('removes @name followed by U+2005, a space or the end, longest name first', () => {
    expect(stripBotMention('@Skadi\u2005local uptime', ['Skadi'])).toBe('local uptime');
    expect(stripBotMention('@Skadi local uptime', ['Skadi'])).toBe('local uptime');
    expect(stripBotMention('local uptime @Skadi', ['Skadi'])).toBe('local uptime');
    expect(stripBotMention('@Skadi Bot\u2005help', ['Skadi', 'Skadi Bot'])).toBe('help');
  });

  it('leaves names that only start like the bot\'s, and treats regex characters literally', () => {
    expect(stripBotMention('@Skadix hi', ['Skadi'])).toBe('@Skadix hi');
    expect(stripBotMention('@a.b*(c)\u2005status x', ['a.b*(c)'])).toBe('status x');
    expect(stripBotMention('@axb status', ['a.b'])).toBe('@axb status');
  });
});

describe('threadOf', () => {
  it('falls back to the contact name, then the id, for the mention', () => {
    const raw = fixture('room-no-mention');
    expect(threadOf(raw).opaque).toEqual({ room: true, mention: { id: 'wxid_alice123', name: 'Alice Wang' } });
    expect(threadOf({ ...raw, talker: { ...raw.talker, name: '' } }).opaque).toEqual({ room: true, mention: { id: 'wxid_alice123', name: 'wxid_alice123' } });
  });
});
