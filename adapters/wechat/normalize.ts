import type { InboundMessage, ThreadRef } from '../../src/core/index.js';

export const WECHAT_PLATFORM = 'wechat';

/** wechaty-puppet's `types.Message.Text`; only text messages can be commands. */
export const MESSAGE_TYPE_TEXT = 7;
/** wechaty-puppet's `types.Contact.Official`: official accounts (公众号) are services, not people. */
export const CONTACT_TYPE_OFFICIAL = 2;

/**
 * What the wechaty binding reads off a `Message` (the I/O part: payloads, room alias, mention
 * list) so that normalising it is pure. Recorded examples live in test/fixtures/wechat/.
 */
export interface WechatRawMessage {
  /** The puppet's message id: the same message delivered twice has the same id. */
  id: string;
  /** wechaty-puppet message type (7 = text). */
  type: number;
  text: string;
  /** When WeChat says it was sent, ms since the epoch. */
  timestamp: number;
  talker: {
    id: string;
    name: string;
    /** The talker's alias in the room (group nickname), if set: how WeChat shows them there. */
    roomAlias?: string;
    /** wechaty-puppet contact type (1 = person, 2 = official account). */
    type: number;
    /** True for the bot's own messages (sent from this account, by Skadi or from a phone). */
    self: boolean;
  };
  /** Present for group chats. */
  room?: { id: string; topic: string };
  /** wechaty's `mentionSelf()`: the puppet's mention list names the bot (or the text does). */
  mentionSelf: boolean;
  /** How people address the bot here: its name and, in a room, its room alias. */
  botNames: string[];
}

/** Adapter-private part of a WeChat ThreadRef. */
export interface WechatThreadOpaque {
  /** Group chat (reply with `@requester`) or direct chat. */
  room: boolean;
  /** The person to mention in a room reply: contact id and the name shown after `@`. */
  mention?: { id: string; name: string };
}

export type NormalizeResult = { ok: true; message: InboundMessage } | { ok: false; reason: 'self' | 'not-text' | 'not-mentioned' | 'too-old' };

export interface NormalizeOptions {
  now: Date;
  /** Older messages are ignored (see WechatConfig.maxMessageAgeMs). */
  maxAgeMs: number;
}

/** Whitespace WeChat puts after a mention: U+2005 (four-per-em space), or a plain space. */
const AFTER_MENTION = '(?:\u2005|\u0020|$)';

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Removes `@<bot name>` mentions (WeChat writes `@Skadi\u2005local uptime`), longest name first
 * so that a name which is the prefix of another does not leave a tail behind. Other people's
 * mentions stay: they may be arguments (`local echo @alice`).
 */
export function stripBotMention(text: string, botNames: readonly string[]): string {
  let out = text;
  const names = [...new Set(botNames.filter((n) => n.trim() !== ''))].sort((a, b) => b.length - a.length);
  for (const name of names) out = out.replace(new RegExp(`@${escapeRegExp(name)}${AFTER_MENTION}`, 'gu'), '');
  return out.trim();
}

/** The ThreadRef of a message: the room, or the direct chat with the talker. */
export function threadOf(raw: WechatRawMessage): ThreadRef {
  const opaque: WechatThreadOpaque = raw.room
    ? { room: true, mention: { id: raw.talker.id, name: raw.talker.roomAlias || raw.talker.name || raw.talker.id } }
    : { room: false };
  return { platform: WECHAT_PLATFORM, conversationId: raw.room ? raw.room.id : raw.talker.id, opaque: { ...opaque } };
}

/**
 * Turns a WeChat message into an InboundMessage, or says why it is ignored. Pure.
 * In rooms only messages that mention the bot count; in direct chats every text message does.
 * The bot's mention is removed from the text. The bot's own messages are dropped here, so a
 * reply that quotes a command can never start a job. Identity: `wechat:<contact id>`.
 */
export function normalizeWechatMessage(raw: WechatRawMessage, options: NormalizeOptions): NormalizeResult {
  if (raw.talker.self) return { ok: false, reason: 'self' };
  if (raw.type !== MESSAGE_TYPE_TEXT) return { ok: false, reason: 'not-text' };
  if (raw.room && !raw.mentionSelf) return { ok: false, reason: 'not-mentioned' };
  if (options.now.getTime() - raw.timestamp > options.maxAgeMs) return { ok: false, reason: 'too-old' };
  // Also in a direct chat: people used to rooms type `@Skadi …` there as well.
  const text = stripBotMention(raw.text, raw.botNames);
  return {
    ok: true,
    message: {
      id: raw.id,
      platform: WECHAT_PLATFORM,
      thread: threadOf(raw),
      sender: {
        id: raw.talker.id,
        identity: `${WECHAT_PLATFORM}:${raw.talker.id}`,
        displayName: raw.talker.roomAlias || raw.talker.name || raw.talker.id,
        isBot: raw.talker.type === CONTACT_TYPE_OFFICIAL,
      },
      text,
      mentionsBot: true,
      receivedAt: options.now,
      raw,
    },
  };
}
