import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { normalizeAction, normalizeCommand, normalizeEvent, type Normalized } from '../../../../adapters/slack/normalize.js';
import { ROOT } from '../../../helpers/skadi-process.js';

const IDS = { botUserId: 'U0123SKADI', botId: 'B0123SKADI', teamId: 'T0123TEAM' };
const AT = new Date('2026-03-01T12:00:00Z');

function fixture(name: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(ROOT, 'test/fixtures/slack', `${name}.json`), 'utf8')) as Record<string, unknown>;
}

function message(result: Normalized) {
  if (result.kind !== 'message') throw new Error(`ignored: ${result.reason}`);
  return result.message;
}

describe('slack normaliser (recorded payloads)', () => {
  it('app_mention in a channel: mention stripped, thread = its own ts, identity slack:<team>/<user>, id stable per message', () => {
    const body = fixture('app_mention');
    const m = message(normalizeEvent(body, IDS, AT));
    expect(m).toEqual({
      id: 'C0123OPS:1715000000.123456',
      platform: 'slack',
      thread: { platform: 'slack', conversationId: 'C0123OPS', threadId: '1715000000.123456', opaque: { team: 'T0123TEAM' } },
      sender: { id: 'U0123ALICE', identity: 'slack:T0123TEAM/U0123ALICE', displayName: 'U0123ALICE', isBot: false },
      text: 'web-1 df -h',
      mentionsBot: true,
      receivedAt: AT,
      raw: body,
    });
    // A retry carries the same event (and event_id): the same message id, so the dispatcher drops it.
    expect(message(normalizeEvent(structuredClone(body), IDS, new Date())).id).toBe(m.id);
  });

  it('a mention inside a thread replies in that thread; Slack markup and entities come back as typed', () => {
    const m = message(normalizeEvent(fixture('app_mention_thread'), IDS, AT));
    expect(m.thread.threadId).toBe('1715000000.123456');
    expect(m.text).toBe('web-1 curl https://example.com/health?a=1&b=2 && echo <ok> for @bob in #ops cc @here example.org');
  });

  it('keeps CJK, emoji, full-width spaces and curly quotes intact (and the full-width space after the mention goes with it)', () => {
    const m = message(normalizeEvent(fixture('app_mention_cjk'), IDS, AT));
    expect(m.text).toBe('local echo 你好\u3000世界 👋🏽 👨‍👩‍👧 “引号” ‘curly’ 日本語テキスト');
  });

  it('a user of another organisation in a shared channel gets their own team in the identity', () => {
    const m = message(normalizeEvent(fixture('app_mention_shared_channel'), IDS, AT));
    expect(m.sender.identity).toBe('slack:T0999PARTNER/U0555PARTNER');
    expect(m.thread.opaque).toEqual({ team: 'T0123TEAM' });
  });

  it('a direct message is addressed to the bot without a mention', () => {
    const m = message(normalizeEvent(fixture('message_im'), IDS, AT));
    expect(m).toMatchObject({ id: 'D0123ALICE:1715000500.000600', text: 'local echo "two  spaces"', mentionsBot: true, thread: { conversationId: 'D0123ALICE', threadId: '1715000500.000600' } });
  });

  it('a message with a file (file_share) is taken by its text; the file is not fetched', () => {
    const m = message(normalizeEvent(fixture('message_im_file_share'), IDS, AT));
    expect(m.text).toBe('local df');
  });

  it('a channel message that does not mention the bot is not addressed to it', () => {
    expect(message(normalizeEvent(fixture('message_channel'), IDS, AT)).mentionsBot).toBe(false);
  });

  it.each([
    ['message_changed', 'message subtype message_changed'],
    ['message_deleted', 'message subtype message_deleted'],
    ['message_bot_message', 'message subtype bot_message'],
    ['message_channel_join', 'message subtype channel_join'],
    ['app_mention_bot', 'sent by a bot'],
    ['message_own', 'sent by a bot'],
  ])('ignores %s (%s)', (name, reason) => {
    expect(normalizeEvent(fixture(name), IDS, AT)).toEqual({ kind: 'ignored', reason });
  });

  it('ignores our own user even without a bot_id, and payloads that are not event callbacks', () => {
    const own = fixture('message_im');
    (own.event as Record<string, unknown>).user = 'U0123SKADI';
    expect(normalizeEvent(own, IDS, AT)).toEqual({ kind: 'ignored', reason: 'our own message' });
    expect(normalizeEvent({ type: 'url_verification', challenge: 'x' }, IDS, AT).kind).toBe('ignored');
    expect(normalizeEvent(null, IDS, AT).kind).toBe('ignored');
    expect(normalizeEvent({ type: 'event_callback', event: { type: 'reaction_added' } }, IDS, AT)).toEqual({ kind: 'ignored', reason: 'event type reaction_added' });
  });

  it('a slash command: text decoded, no thread yet (the adapter posts a root), id from the trigger', () => {
    const m = message(normalizeCommand(fixture('slash_command'), IDS, AT));
    expect(m).toMatchObject({
      id: 'command:1234567890.1234567890.abcdef0123456789abcdef0123456789',
      thread: { platform: 'slack', conversationId: 'C0123OPS' },
      sender: { id: 'U0123ALICE', identity: 'slack:T0123TEAM/U0123ALICE', displayName: 'alice' },
      text: 'local echo <b> & 你好',
      mentionsBot: true,
    });
    expect(m.thread.threadId).toBeUndefined();
    expect(normalizeCommand({ text: 'x' }, IDS, AT).kind).toBe('ignored');
  });

  it('a Cancel click becomes `cancel <job>` from the person who clicked, in the thread of the button', () => {
    const m = message(normalizeAction(fixture('block_actions_cancel'), IDS, AT));
    expect(m).toMatchObject({
      id: 'action:2234567890.1234567890.bbbbbb0123456789abcdef0123456789',
      text: 'cancel 4kz2v0q8b1mn',
      sender: { id: 'U0456BOB', identity: 'slack:T0123TEAM/U0456BOB' },
      thread: { conversationId: 'C0123OPS', threadId: '1715000000.123456' },
      mentionsBot: true,
    });
  });

  it('ignores buttons that are not Skadi\'s, and a Skadi button whose value is not a job id', () => {
    const body = fixture('block_actions_foreign');
    expect(normalizeAction(body, IDS, AT)).toEqual({ kind: 'ignored', reason: 'malformed job id in button' });
    (body.actions as unknown[]).shift();
    expect(normalizeAction(body, IDS, AT)).toEqual({ kind: 'ignored', reason: 'not a Skadi button' });
  });
});
