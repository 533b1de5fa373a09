import { randomBytes } from 'node:crypto';

/** The bot as Teams addresses it: `28:<app id>`. */
export const TEST_APP_ID = '8f0d2c4e-1a2b-4c3d-9e8f-0a1b2c3d4e5f';
export const TEST_BOT = { id: `28:${TEST_APP_ID}`, name: 'Skadi' };
export const TEST_TENANT = '3c6e9b1a-5d4f-4a2b-8c7d-1e2f3a4b5c6d';
/** A team channel: new posts there get `;messageid=<post id>` appended to this. */
export const TEST_CHANNEL = '19:8a6c2e0f4b1d4e7a9c3b5d7f1e2a4c6b@thread.tacv2';

export interface TeamsMessageInput {
  serviceUrl: string;
  text: string;
  /** The user's aadObjectId (also used for the display name unless `userName`). */
  user: string;
  userName?: string;
  kind?: 'channel' | 'personal' | 'groupChat';
  /** Activity id; random when absent. Reuse it to play a Teams retry. */
  id?: string;
  /** Base conversation id (the channel, the chat). */
  conversation?: string;
  /** Root message of the channel thread; absent: a new post (its own root). */
  thread?: string;
  /** Address the bot with an @mention (default: in channels and group chats). */
  mention?: boolean;
  isBot?: boolean;
  tenantId?: string;
  value?: unknown;
}

/** Escapes text the way Teams does in `activity.text`. */
export function escapeTeamsHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function newActivityId(): string {
  return `${Date.now()}${randomBytes(3).readUIntBE(0, 3)}`;
}

/** A message activity as Teams posts it to the bot's messaging endpoint. */
export function teamsMessage(input: TeamsMessageInput): Record<string, unknown> {
  const kind = input.kind ?? 'channel';
  const id = input.id ?? newActivityId();
  const tenantId = input.tenantId ?? TEST_TENANT;
  const mention = input.mention ?? kind !== 'personal';
  const base = input.conversation ?? (kind === 'channel' ? TEST_CHANNEL : kind === 'groupChat' ? '19:meeting_group_chat@thread.v2' : 'a:1personalChatWithAlice');
  const conversationId = kind === 'channel' ? `${base};messageid=${input.thread ?? id}` : base;
  const mentionText = `<at>${TEST_BOT.name}</at>`;
  const activity: Record<string, unknown> = {
    type: 'message',
    id,
    timestamp: new Date().toISOString(),
    channelId: 'msteams',
    serviceUrl: input.serviceUrl,
    from: { id: input.isBot ? `28:${input.user}` : `29:${input.user}`, name: input.userName ?? input.user, aadObjectId: input.isBot ? undefined : input.user, ...(input.isBot ? { role: 'bot' } : {}) },
    conversation: { id: conversationId, conversationType: kind, isGroup: kind !== 'personal', tenantId },
    recipient: TEST_BOT,
    text: mention ? `${mentionText}&nbsp;${escapeTeamsHtml(input.text)}` : escapeTeamsHtml(input.text),
    textFormat: 'plain',
    locale: 'en-US',
    entities: mention ? [{ type: 'mention', mentioned: TEST_BOT, text: mentionText }] : [],
    channelData: kind === 'channel' ? { teamsChannelId: base, teamsTeamId: base, tenant: { id: tenantId } } : { tenant: { id: tenantId } },
  };
  if (input.thread) activity.replyToId = input.thread;
  if (input.value !== undefined) activity.value = input.value;
  return activity;
}

/** Posts an activity to the bot as the Bot Framework would; resolves with the HTTP answer. */
export async function postActivity(botUrl: string, activity: unknown, token?: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`${botUrl}/api/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json; charset=utf-8', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(activity),
  });
  return { status: res.status, body: await res.text() };
}
