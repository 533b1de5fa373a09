import type { InboundMessage, ThreadRef } from '../../src/core/index.js';
import { decodeSlackText, mentions, stripMention } from './slack-text.js';

export const SLACK_PLATFORM = 'slack';

/** What the normaliser knows about this installation. */
export interface SlackIdentity {
  botUserId: string;
  /** The bot's own bot id (`B…`), when known: its messages are never taken as commands. */
  botId?: string;
  /** The workspace id, used when a payload names no team. */
  teamId: string;
}

export type Normalized = { kind: 'message'; message: InboundMessage } | { kind: 'ignored'; reason: string };

/**
 * Message subtypes that carry something a person wrote. Every other subtype is a change to or a
 * notice about a message (`message_changed`, `message_deleted`, `message_replied`, `bot_message`,
 * `channel_join`, `channel_topic`, `pinned_item`, `tombstone`, …) and is ignored: editing a message
 * never runs it again, and deleting one cancels nothing.
 */
export const ACCEPTED_SUBTYPES: ReadonlySet<string | undefined> = new Set([undefined, 'file_share', 'thread_broadcast']);

/** Action ids of the buttons Skadi puts on its messages, and the command each one types. */
export const ACTION_COMMANDS: Readonly<Record<string, 'cancel' | 'rerun'>> = { skadi_cancel: 'cancel', skadi_rerun: 'rerun' };

type Obj = Record<string, unknown>;

function obj(value: unknown): Obj | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Obj) : null;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function ignored(reason: string): Normalized {
  return { kind: 'ignored', reason };
}

/** `slack:<team>/<user>`: user ids are only unique within their home team (Slack Connect brings others'). */
export function slackIdentity(team: string, user: string): string {
  return `${SLACK_PLATFORM}:${team}/${user}`;
}

function sender(team: string, user: string, displayName?: string): InboundMessage['sender'] {
  return { id: user, identity: slackIdentity(team, user), displayName: displayName ?? user, isBot: false };
}

/**
 * An Events API envelope (`event_callback`, as delivered over HTTP or inside a Socket Mode
 * `events_api` envelope) → InboundMessage. `app_mention` anywhere, and `message` in a direct
 * message with the bot; bots (ours included), non-person subtypes and hidden messages are ignored.
 * The message id is `<channel>:<ts>`: the same on every retry of the event, and the same for the
 * `app_mention` and the `message.im` that Slack may both send for one message, so neither a retry
 * nor the pair ever makes a second job.
 */
export function normalizeEvent(body: unknown, ids: SlackIdentity, receivedAt: Date): Normalized {
  const envelope = obj(body);
  const event = obj(envelope?.event);
  if (!envelope || envelope.type !== 'event_callback' || !event) return ignored('not an event callback');
  const type = str(event.type);
  if (type !== 'app_mention' && type !== 'message') return ignored(`event type ${String(type)}`);
  const subtype = str(event.subtype);
  if (!ACCEPTED_SUBTYPES.has(subtype)) return ignored(`message subtype ${subtype}`);
  if (event.hidden === true) return ignored('hidden message');
  if (str(event.bot_id) || obj(event.bot_profile)) return ignored('sent by a bot');
  const user = str(event.user);
  if (!user) return ignored('no user');
  if (user === ids.botUserId) return ignored('our own message');
  const channel = str(event.channel);
  const ts = str(event.ts);
  if (!channel || !ts) return ignored('no channel or ts');
  const direct = event.channel_type === 'im';
  // Outside a DM the app_mention event is the one to act on; a plain channel message (if the app
  // was also subscribed to them) is only for us when it mentions the bot.
  const raw = typeof event.text === 'string' ? event.text : '';
  const addressed = type === 'app_mention' || direct || mentions(raw, ids.botUserId);
  const team = str(event.user_team) ?? str(event.team) ?? str(envelope.team_id) ?? ids.teamId;
  const thread: ThreadRef = { platform: SLACK_PLATFORM, conversationId: channel, threadId: str(event.thread_ts) ?? ts, opaque: { team: str(envelope.team_id) ?? team } };
  return {
    kind: 'message',
    message: {
      id: `${channel}:${ts}`,
      platform: SLACK_PLATFORM,
      thread,
      sender: sender(team, user),
      text: decodeSlackText(stripMention(raw, ids.botUserId)),
      mentionsBot: addressed,
      receivedAt,
      raw: body,
    },
  };
}

/**
 * A slash command (`/skadi local uptime`) → InboundMessage. Slash commands cannot be typed in a
 * thread, so the ThreadRef has no thread yet: the adapter posts a thread root first and fills it in.
 * The id is the command's `trigger_id`, unique per invocation (Slack does not retry commands).
 */
export function normalizeCommand(body: unknown, ids: SlackIdentity, receivedAt: Date): Normalized {
  const command = obj(body);
  const user = str(command?.user_id);
  const channel = str(command?.channel_id);
  const trigger = str(command?.trigger_id);
  if (!command || !user || !channel || !trigger) return ignored('not a slash command');
  const team = str(command.team_id) ?? ids.teamId;
  return {
    kind: 'message',
    message: {
      id: `command:${trigger}`,
      platform: SLACK_PLATFORM,
      thread: { platform: SLACK_PLATFORM, conversationId: channel, opaque: { team } },
      sender: sender(team, user, str(command.user_name)),
      text: decodeSlackText(typeof command.text === 'string' ? command.text : '').trim(),
      mentionsBot: true,
      receivedAt,
      raw: body,
    },
  };
}

/**
 * A click on one of Skadi's buttons (`block_actions`) → the chat command it stands for, typed by
 * the person who clicked: `cancel <job>` or `rerun <job>`. Going through the dispatcher means the
 * same access check as typing the command. Answers go to the thread of the message with the button.
 */
export function normalizeAction(body: unknown, ids: SlackIdentity, receivedAt: Date): Normalized {
  const payload = obj(body);
  if (!payload || payload.type !== 'block_actions') return ignored('not a block action');
  const action = obj(Array.isArray(payload.actions) ? payload.actions[0] : undefined);
  const command = ACTION_COMMANDS[str(action?.action_id) ?? ''];
  const jobId = str(action?.value);
  if (!command || !jobId) return ignored('not a Skadi button');
  // Job ids are short base32; anything else in a button value is not ours to type.
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(jobId)) return ignored('malformed job id in button');
  const user = obj(payload.user);
  const userId = str(user?.id);
  const channel = str(obj(payload.channel)?.id) ?? str(obj(payload.container)?.channel_id);
  const message = obj(payload.message);
  const messageTs = str(message?.ts) ?? str(obj(payload.container)?.message_ts);
  const trigger = str(payload.trigger_id) ?? str(action?.action_ts);
  if (!userId || !channel || !messageTs || !trigger) return ignored('button click without user, channel or message');
  const team = str(user?.team_id) ?? str(obj(payload.team)?.id) ?? ids.teamId;
  return {
    kind: 'message',
    message: {
      id: `action:${trigger}`,
      platform: SLACK_PLATFORM,
      thread: { platform: SLACK_PLATFORM, conversationId: channel, threadId: str(message?.thread_ts) ?? messageTs, opaque: { team: str(obj(payload.team)?.id) ?? team } },
      sender: sender(team, userId, str(user?.name)),
      text: `${command} ${jobId}`,
      mentionsBot: true,
      receivedAt,
      raw: body,
    },
  };
}
