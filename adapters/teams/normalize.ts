import { createHash } from 'node:crypto';
import type { InboundMessage } from '../../src/core/index.js';
import { cleanTeamsText } from './teams-text.js';
import { TEAMS_PLATFORM, splitConversationId, teamsThreadRef, type StoredReference, type TeamsConversationType } from './teams-thread.js';

/** A Bot Framework account (`from`, `recipient`, a mention's `mentioned`). */
export interface TeamsAccount {
  id?: string;
  name?: string;
  aadObjectId?: string;
  role?: string;
}

/**
 * The parts of a Bot Framework activity the normaliser reads. Everything is optional: the body
 * comes from the network, and a missing field means "not a message we handle", never a crash.
 */
export interface TeamsActivity {
  type?: string;
  id?: string;
  text?: string;
  value?: unknown;
  replyToId?: string;
  channelId?: string;
  serviceUrl?: string;
  locale?: string;
  from?: TeamsAccount;
  recipient?: TeamsAccount;
  conversation?: { id?: string; conversationType?: string; isGroup?: boolean; tenantId?: string };
  entities?: Array<{ type?: string; mentioned?: TeamsAccount; text?: string }>;
  channelData?: { tenant?: { id?: string } };
}

/** Data of the card buttons this adapter renders (Action.Submit); a click arrives as a message with this `value`. */
export interface TeamsCardAction {
  skadiAction: 'cancel' | 'rerun';
  jobId: string;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const JOB_ID = /^[A-Za-z0-9_-]{1,64}$/;
/** Keeps `inbound:teams:<id>` inside the de-duplication store's 255-character keys. */
const MAX_ACTIVITY_ID = 160;

function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

function conversationTypeOf(conversation: NonNullable<TeamsActivity['conversation']>): TeamsConversationType {
  const type = conversation.conversationType;
  if (type === 'channel' || type === 'groupChat' || type === 'personal') return type;
  return conversation.isGroup ? 'groupChat' : 'personal';
}

/** The card button a message carries, if it is a click on one of ours. */
export function cardActionOf(value: unknown): TeamsCardAction | null {
  if (typeof value !== 'object' || value === null) return null;
  const { skadiAction, jobId } = value as Record<string, unknown>;
  if ((skadiAction !== 'cancel' && skadiAction !== 'rerun') || typeof jobId !== 'string' || !JOB_ID.test(jobId)) return null;
  return { skadiAction, jobId };
}

/**
 * The access-control identity: `teams:<aadObjectId>`. The Entra object id is the same user in
 * every team, chat and bot; it is a GUID, compared in lower case. Without one (not a Teams
 * user), the channel account id stands in.
 */
export function teamsIdentity(from: TeamsAccount): { id: string; identity: string } {
  const aad = text(from.aadObjectId);
  const id = aad ? (GUID.test(aad) ? aad.toLowerCase() : aad) : (from.id ?? '');
  return { id, identity: `${TEAMS_PLATFORM}:${id}` };
}

/**
 * Turns a Bot Framework activity from Teams into an InboundMessage, or null when it is not a
 * message (conversation updates, reactions, typing) or lacks what a reply needs. Pure.
 *
 * - Channel posts and their replies thread on the root message (`;messageid=` in the
 *   conversation id); personal and group chats have no threads.
 * - `mentionsBot` is true in a personal chat, when the bot is @mentioned, and for clicks on the
 *   cards' buttons (which become `cancel <job>` / `rerun <job>`).
 * - The id is the activity id scoped by conversation: Teams re-sends an activity it got no
 *   answer for with the same id, so the dispatcher drops the retry.
 */
export function normalizeTeamsActivity(activity: TeamsActivity, receivedAt: Date): InboundMessage | null {
  if (activity.type !== 'message') return null;
  const activityId = text(activity.id);
  const serviceUrl = text(activity.serviceUrl);
  const conversation = activity.conversation;
  const conversationId = text(conversation?.id);
  const fromId = text(activity.from?.id);
  const botId = text(activity.recipient?.id);
  if (!activityId || !serviceUrl || !conversation || !conversationId || !fromId || !botId) return null;
  const from = activity.from!;
  const recipient = activity.recipient!;

  const conversationType = conversationTypeOf(conversation);
  const { base, messageId } = splitConversationId(conversationId);
  // A new channel post is its own thread root; a reply names the root in the conversation id.
  const threadId = conversationType === 'channel' ? (messageId ?? text(activity.replyToId) ?? activityId) : null;
  const tenantId = text(conversation.tenantId) ?? text(activity.channelData?.tenant?.id);

  const reference: StoredReference = {
    channelId: text(activity.channelId) ?? 'msteams',
    serviceUrl,
    conversation: {
      id: threadId ? `${base};messageid=${threadId}` : conversationId,
      conversationType,
      isGroup: conversationType !== 'personal',
      ...(tenantId ? { tenantId } : {}),
    },
    bot: { id: botId, ...(recipient.name ? { name: recipient.name } : {}) },
    user: { id: fromId, ...(from.name ? { name: from.name } : {}), ...(from.aadObjectId ? { aadObjectId: from.aadObjectId } : {}) },
    activityId,
    ...(activity.locale ? { locale: activity.locale } : {}),
  };

  const botMentions = (activity.entities ?? []).filter((e) => e?.type === 'mention' && e.mentioned?.id === botId).map((e) => e.text ?? `<at>${recipient.name ?? ''}</at>`);
  const raw = typeof activity.text === 'string' ? activity.text : '';
  // Without mention entities (some clients), a leading <at>BotName</at> still addresses the bot.
  const namedMention = recipient.name ? `<at>${recipient.name}</at>` : null;
  const mentioned = botMentions.length > 0 || (namedMention !== null && raw.includes(namedMention));
  const action = cardActionOf(activity.value);
  const body = action ? `${action.skadiAction} ${action.jobId}` : cleanTeamsText(raw, mentioned && botMentions.length === 0 ? [namedMention!] : botMentions);

  const isBot = from.role === 'bot' || fromId === botId || fromId.startsWith('28:');
  const { id: senderId, identity } = teamsIdentity(from);
  const scopedId = activityId.length <= MAX_ACTIVITY_ID ? activityId : shortHash(activityId);
  return {
    id: `${scopedId}@${shortHash(base)}`,
    platform: TEAMS_PLATFORM,
    thread: teamsThreadRef(reference, threadId),
    sender: { id: senderId, identity, displayName: text(from.name) ?? senderId, isBot },
    text: body,
    mentionsBot: conversationType === 'personal' || mentioned || action !== null,
    receivedAt,
    raw: activity,
  };
}
