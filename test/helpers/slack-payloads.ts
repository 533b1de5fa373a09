import { randomBytes } from 'node:crypto';
import { signSlackRequest } from '../../adapters/slack/verify-signature.js';

/** Payloads shaped as Slack sends them (see test/fixtures/slack/ for recorded ones). */

let counter = 0;
function unique(prefix: string): string {
  counter += 1;
  return `${prefix}${Date.now().toString(36).toUpperCase()}${counter}`;
}

export interface MessageEventInput {
  user: string;
  /** Raw Slack text, mentions included (`<@UBOT> local uptime`). */
  text: string;
  channel?: string;
  ts?: string;
  threadTs?: string;
  team?: string;
  botId?: string;
  subtype?: string;
}

/** An `app_mention` event (a mention of the bot in a channel). */
export function mentionEvent(input: MessageEventInput): Record<string, unknown> {
  return messageLike('app_mention', input, 'channel');
}

/** A `message` event in a direct message with the bot (`message.im`). */
export function directMessageEvent(input: MessageEventInput): Record<string, unknown> {
  return messageLike('message', { channel: 'D0FAKEDM1', ...input }, 'im');
}

function messageLike(type: string, input: MessageEventInput, channelType: string): Record<string, unknown> {
  const ts = input.ts ?? `${Math.floor(Date.now() / 1000)}.${String(counter++).padStart(6, '0')}`;
  const event: Record<string, unknown> = {
    type,
    user: input.user,
    text: input.text,
    ts,
    channel: input.channel ?? 'C0FAKECHAN',
    event_ts: ts,
    team: input.team ?? 'TFAKE',
    client_msg_id: randomBytes(16).toString('hex'),
  };
  if (type === 'message') event.channel_type = channelType;
  if (input.threadTs) event.thread_ts = input.threadTs;
  if (input.subtype) event.subtype = input.subtype;
  if (input.botId) {
    event.bot_id = input.botId;
    delete event.client_msg_id;
  }
  return event;
}

/** The Events API envelope around an event (HTTP body, or the payload of a socket `events_api` envelope). */
export function eventEnvelope(event: Record<string, unknown>, options: { teamId?: string; eventId?: string } = {}): Record<string, unknown> {
  return {
    token: 'legacy-verification-token',
    team_id: options.teamId ?? 'TFAKE',
    api_app_id: 'AFAKE',
    event,
    type: 'event_callback',
    event_id: options.eventId ?? unique('Ev'),
    event_time: Math.floor(Date.now() / 1000),
    authorizations: [{ enterprise_id: null, team_id: options.teamId ?? 'TFAKE', user_id: 'UBOT', is_bot: true, is_enterprise_install: false }],
    is_ext_shared_channel: false,
  };
}

/** The form fields of a slash command invocation. */
export function slashCommand(input: { user: string; text: string; channel?: string; command?: string; responseUrl?: string; triggerId?: string }): Record<string, string> {
  return {
    token: 'legacy-verification-token',
    team_id: 'TFAKE',
    team_domain: 'fake',
    channel_id: input.channel ?? 'C0FAKECHAN',
    channel_name: 'ops',
    user_id: input.user,
    user_name: input.user.toLowerCase(),
    command: input.command ?? '/skadi',
    text: input.text,
    api_app_id: 'AFAKE',
    is_enterprise_install: 'false',
    response_url: input.responseUrl ?? 'http://127.0.0.1:9/response',
    trigger_id: input.triggerId ?? unique('TR'),
  };
}

/** A `block_actions` payload: `user` clicked a Skadi button on message `messageTs`. */
export function blockAction(input: { user: string; actionId: string; value: string; channel?: string; messageTs: string; threadTs?: string; responseUrl?: string }): Record<string, unknown> {
  const channel = input.channel ?? 'C0FAKECHAN';
  const message: Record<string, unknown> = { type: 'message', user: 'UBOT', bot_id: 'BBOT', ts: input.messageTs, text: 'Job queued' };
  if (input.threadTs) message.thread_ts = input.threadTs;
  return {
    type: 'block_actions',
    user: { id: input.user, username: input.user.toLowerCase(), name: input.user.toLowerCase(), team_id: 'TFAKE' },
    api_app_id: 'AFAKE',
    token: 'legacy-verification-token',
    container: { type: 'message', message_ts: input.messageTs, channel_id: channel, is_ephemeral: false },
    trigger_id: unique('TR'),
    team: { id: 'TFAKE', domain: 'fake' },
    channel: { id: channel, name: 'ops' },
    message,
    response_url: input.responseUrl ?? 'http://127.0.0.1:9/response',
    actions: [{ action_id: input.actionId, block_id: 'skadi_actions', text: { type: 'plain_text', text: 'Cancel' }, value: input.value, type: 'button', action_ts: `${Date.now() / 1000}` }],
  };
}

export interface SignedPostOptions {
  secret: string;
  /** Unix seconds (default now). */
  timestamp?: number;
  retryNum?: number;
  /** Override the signature (to send a wrong one). */
  signature?: string;
}

/** POSTs a JSON body as Slack's Events API does, signed with `secret`. */
export function postEvent(url: string, body: Record<string, unknown>, options: SignedPostOptions): Promise<Response> {
  return signedPost(url, JSON.stringify(body), 'application/json', options);
}

/** POSTs form fields as Slack does for slash commands, signed. */
export function postCommand(url: string, fields: Record<string, string>, options: SignedPostOptions): Promise<Response> {
  return signedPost(url, new URLSearchParams(fields).toString(), 'application/x-www-form-urlencoded', options);
}

/** POSTs an interactivity payload (`payload=<json>`), signed. */
export function postInteraction(url: string, payload: Record<string, unknown>, options: SignedPostOptions): Promise<Response> {
  return signedPost(url, new URLSearchParams({ payload: JSON.stringify(payload) }).toString(), 'application/x-www-form-urlencoded', options);
}

export function signedPost(url: string, body: string, contentType: string, options: SignedPostOptions): Promise<Response> {
  const timestamp = String(options.timestamp ?? Math.floor(Date.now() / 1000));
  const headers: Record<string, string> = {
    'content-type': contentType,
    'x-slack-request-timestamp': timestamp,
    'x-slack-signature': options.signature ?? signSlackRequest(options.secret, timestamp, body),
  };
  if (options.retryNum !== undefined) {
    headers['x-slack-retry-num'] = String(options.retryNum);
    headers['x-slack-retry-reason'] = 'http_error';
  }
  return fetch(url, { method: 'POST', headers, body });
}
