import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { normalizeTeamsActivity, type TeamsActivity } from '../../../../adapters/teams/normalize.js';
import { cleanTeamsText, decodeEntities } from '../../../../adapters/teams/teams-text.js';
import { teamsTarget } from '../../../../adapters/teams/teams-thread.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '../../../fixtures/teams');
const AT = new Date('2026-03-02T09:14:06Z');
const CHANNEL = '19:8a6c2e0f4b1d4e7a9c3b5d7f1e2a4c6b@thread.tacv2';
const ALICE = '6c4b2f0e-9a1d-4e3b-8f7c-2d5a6b8c9e01';

function fixture(name: string): TeamsActivity {
  return JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), 'utf8')) as TeamsActivity;
}

function normalize(name: string) {
  const message = normalizeTeamsActivity(fixture(name), AT);
  if (!message) throw new Error(`${name} normalised to null`);
  return message;
}

describe('normalizeTeamsActivity (recorded activities)', () => {
  it('channel post mentioning the bot: mention removed, thread = the post, identity = teams:<aadObjectId> in lower case', () => {
    const m = normalize('channel-mention');
    expect(m.text).toBe('local uptime');
    expect(m.mentionsBot).toBe(true);
    expect(m.platform).toBe('teams');
    expect(m.sender).toEqual({ id: ALICE, identity: `teams:${ALICE}`, displayName: 'Alice Müller', isBot: false });
    expect(m.thread).toMatchObject({ platform: 'teams', conversationId: CHANNEL, threadId: '1772442845641' });
    expect(m.receivedAt).toBe(AT);
    const opaque = m.thread.opaque as { reference: Record<string, unknown>; tenantId: string };
    expect(opaque.tenantId).toBe('3c6e9b1a-5d4f-4a2b-8c7d-1e2f3a4b5c6d');
    expect(opaque.reference).toMatchObject({
      channelId: 'msteams',
      serviceUrl: 'https://smba.trafficmanager.net/emea/',
      conversation: { id: `${CHANNEL};messageid=1772442845641`, conversationType: 'channel', isGroup: true, tenantId: '3c6e9b1a-5d4f-4a2b-8c7d-1e2f3a4b5c6d' },
      bot: { id: '28:8f0d2c4e-1a2b-4c3d-9e8f-0a1b2c3d4e5f', name: 'Skadi' },
      activityId: '1772442845641',
    });
  });

  it('a reply in the thread maps to the same ThreadRef conversation and thread as the post', () => {
    const post = normalize('channel-mention');
    const reply = normalize('channel-thread-reply');
    expect(reply.text).toBe('status 7hq2x9k4m0ab');
    expect(reply.thread.conversationId).toBe(post.thread.conversationId);
    expect(reply.thread.threadId).toBe(post.thread.threadId);
    expect(reply.id).not.toBe(post.id);
    expect(teamsTarget(reply.thread)).toMatchObject({ conversationId: `${CHANNEL};messageid=1772442845641`, replyToId: '1772442845641' });
  });

  it('the message id is the activity id scoped by conversation: stable for a Teams retry, distinct across conversations', () => {
    const once = normalize('channel-mention');
    const again = normalize('channel-mention');
    expect(again.id).toBe(once.id);
    expect(once.id).toMatch(/^1772442845641@[0-9a-f]{16}$/);
    const elsewhere = fixture('channel-mention');
    elsewhere.conversation!.id = '19:other@thread.tacv2;messageid=1772442845641';
    expect(normalizeTeamsActivity(elsewhere, AT)!.id).not.toBe(once.id);
    // A reply in the same channel thread is a different activity, with a different id.
    expect(normalize('channel-thread-reply').id).not.toBe(once.id);
    expect(`inbound:teams:${once.id}`.length).toBeLessThanOrEqual(255);
  });

  it('personal chat: addressed without a mention, no thread, replies go to the chat', () => {
    const m = normalize('personal');
    expect(m.text).toBe('local df');
    expect(m.mentionsBot).toBe(true);
    expect(m.thread.threadId).toBeUndefined();
    expect(m.thread.conversationId).toMatch(/^a:1mN9w/);
    expect(m.sender.identity).toBe('teams:0b7e1c3d-5f6a-4b8c-9d0e-1f2a3b4c5d6e');
    expect(teamsTarget(m.thread)).toMatchObject({ replyToId: null, conversationId: m.thread.conversationId });
  });

  it('group chat: a mention of the bot addresses it; a mention of someone else does not', () => {
    const m = normalize('group-chat');
    expect(m.text).toBe('web-1 echo deploy done');
    expect(m.mentionsBot).toBe(true);
    expect(m.thread).toMatchObject({ conversationId: '19:4e2a6c8b0d1f4a3c9e7b5d2f0a8c6e41@thread.v2' });
    expect(m.thread.threadId).toBeUndefined();
    const other = normalize('group-chat-other-mention');
    expect(other.mentionsBot).toBe(false);
    expect(other.text).toBe('Bob can you check web-1?');
  });

  it('decodes HTML entities once, and leaves angle-bracket words the user typed', () => {
    expect(normalize('html-entities').text).toBe('local echo "a & b" <host> 5 > 3 \'x\' 🚀');
  });

  it('turns Teams HTML into text: line breaks kept, tags dropped, emoji and other mentions kept as text', () => {
    expect(normalize('html-formatted').text).toBe('local echo bold first line\nsecond line 😄 Bob');
  });

  it('keeps CJK text, emoji and the full-width space; removes a CJK bot mention', () => {
    const m = normalize('cjk');
    expect(m.text).toBe('local echo 你好\u3000世界 👋🏽 進捗どうですか？ 한국어');
    expect(m.sender.displayName).toBe('王小明');
  });

  it('a click on a card button becomes the command, addressed to the bot, in the card’s thread', () => {
    const m = normalize('card-submit');
    expect(m.text).toBe('cancel 7hq2x9k4m0ab');
    expect(m.mentionsBot).toBe(true);
    expect(m.thread.threadId).toBe('1772442845641');
  });

  it('marks messages from bots as bots', () => {
    expect(normalize('bot-sender').sender.isBot).toBe(true);
  });

  it('returns null for what is not a message, or lacks what a reply needs', () => {
    expect(normalizeTeamsActivity(fixture('conversation-update'), AT)).toBeNull();
    const noServiceUrl = fixture('personal');
    delete noServiceUrl.serviceUrl;
    expect(normalizeTeamsActivity(noServiceUrl, AT)).toBeNull();
    expect(normalizeTeamsActivity({ type: 'message' }, AT)).toBeNull();
    expect(normalizeTeamsActivity({ type: 'typing', id: '1' }, AT)).toBeNull();
  });

  it('ignores card data that is not one of its own buttons', () => {
    const forged = fixture('card-submit');
    forged.value = { skadiAction: 'delete-everything', jobId: 'x' };
    const m = normalizeTeamsActivity(forged, AT)!;
    expect(m.text).toBe('');
    expect(m.mentionsBot).toBe(false);
  });
});

describe('Teams text', () => {
  it('decodes named and numeric references, once', () => {
    expect(decodeEntities('&amp;lt; &#60; &#x3C; &copy; &bogus; &#0; &#xD800;')).toBe('&lt; < < © &bogus; &#0; &#xD800;');
  });

  it('removes every bot mention, trims ASCII whitespace only', () => {
    expect(cleanTeamsText('<at>Skadi</at> help <at>Skadi</at>', ['<at>Skadi</at>'])).toBe('help');
    expect(cleanTeamsText('\u3000local echo x\u3000', [])).toBe('\u3000local echo x\u3000');
    expect(cleanTeamsText('a\r\nb', [])).toBe('a\nb');
  });
});
