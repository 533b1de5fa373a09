import { AdapterError, type ThreadRef } from '../../src/core/index.js';

export const TEAMS_PLATFORM = 'teams';

/** A channel post's replies share its conversation id plus this marker and the root message id. */
const MESSAGE_ID_MARKER = ';messageid=';

export type TeamsConversationType = 'channel' | 'groupChat' | 'personal';

/**
 * The Bot Framework ConversationReference kept in `ThreadRef.opaque.reference`: everything a
 * later, proactive reply needs (service URL, conversation incl. the thread, bot and tenant), so
 * any server process can answer, also after a restart. Plain JSON.
 */
export interface StoredReference {
  channelId: string;
  serviceUrl: string;
  conversation: { id: string; conversationType: TeamsConversationType; isGroup: boolean; tenantId?: string };
  bot: { id: string; name?: string };
  user?: { id: string; name?: string; aadObjectId?: string };
  /** The user's activity this thread started from. */
  activityId?: string;
  locale?: string;
}

/** Where a reply goes, resolved from a ThreadRef. */
export interface TeamsTarget {
  reference: StoredReference;
  /** The conversation id to post to (with `;messageid=` for a channel thread). */
  conversationId: string;
  /** Root message of the channel thread; replies are posted as replies to it. Null in chats. */
  replyToId: string | null;
  /** Sends to one conversation go out one at a time, in order. */
  queueKey: string;
}

/** Splits `19:abc@thread.tacv2;messageid=1714…` into the channel and the thread root. */
export function splitConversationId(id: string): { base: string; messageId: string | null } {
  const at = id.indexOf(MESSAGE_ID_MARKER);
  if (at < 0) return { base: id, messageId: null };
  return { base: id.slice(0, at), messageId: id.slice(at + MESSAGE_ID_MARKER.length) || null };
}

/** The ThreadRef of a message in `reference.conversation`: channel posts thread on their root message; chats have no threads. */
export function teamsThreadRef(reference: StoredReference, threadId: string | null): ThreadRef {
  const { base } = splitConversationId(reference.conversation.id);
  const thread: ThreadRef = { platform: TEAMS_PLATFORM, conversationId: base, opaque: { reference, tenantId: reference.conversation.tenantId ?? null } };
  if (threadId) thread.threadId = threadId;
  return thread;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isText(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

/**
 * Resolves where to reply from a stored ThreadRef; throws AdapterError when the ThreadRef was not
 * made by this adapter (no reference, no service URL).
 */
export function teamsTarget(thread: ThreadRef): TeamsTarget {
  const reference = thread.opaque?.reference;
  if (!isRecord(reference) || !isRecord(reference.conversation) || !isRecord(reference.bot)) {
    throw new AdapterError(TEAMS_PLATFORM, `thread ${thread.conversationId} has no conversation reference; it was not made by the Teams adapter`);
  }
  const { serviceUrl, channelId } = reference;
  const conversationId = reference.conversation.id;
  if (!isText(serviceUrl) || !/^https?:\/\//i.test(serviceUrl) || !isText(channelId) || !isText(conversationId) || !isText(reference.bot.id)) {
    throw new AdapterError(TEAMS_PLATFORM, `thread ${thread.conversationId} has an incomplete conversation reference`);
  }
  const stored = reference as unknown as StoredReference;
  const { base, messageId } = splitConversationId(conversationId);
  const isChannel = stored.conversation.conversationType === 'channel';
  const root = isChannel ? (thread.threadId ?? messageId) : null;
  return {
    reference: stored,
    conversationId: root ? `${base}${MESSAGE_ID_MARKER}${root}` : conversationId,
    replyToId: root,
    queueKey: `${serviceUrl}|${base}`,
  };
}
