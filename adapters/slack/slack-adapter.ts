import type { App, Logger as BoltLogger, Receiver } from '@slack/bolt';
import { AdapterError } from '../../src/core/index.js';
import type { AdapterCapabilities, ChatAdapter, Clock, InboundMessage, Logger, MessageSink, OutboundMessage, SentMessage, ThreadRef } from '../../src/core/index.js';
import { createBoltApp, type SlackInbound } from './bolt-app.js';
import { normalizeAction, normalizeCommand, normalizeEvent, SLACK_PLATFORM, type Normalized, type SlackIdentity } from './normalize.js';
import { callSlack, DEFAULT_CALL_POLICY } from './slack-api-call.js';
import type { SlackConfig } from './slack-config.js';
import type { ApiCaller } from './file-upload.js';
import type { SlackMessenger } from './slack-messenger.js';
import { escapeSlack } from './slack-text.js';
import type { UserNames } from './user-names.js';

export interface SlackAdapterOptions {
  config: SlackConfig;
  maxTextLength: number;
  /** The WebClient options Bolt's own clients get (same API URL, same no-retry policy). */
  clientOptions: { slackApiUrl: string; retryConfig: { retries: number }; rejectRateLimitedCalls: boolean; timeout: number };
}

export interface SlackAdapterDeps {
  /** The outbound WebClient (auth.test at start). */
  client: ApiCaller;
  messenger: SlackMessenger;
  names: UserNames;
  /** Bolt's transport: SlackHttpReceiver (routes on Skadi's server) or SlackSocketReceiver. */
  receiver: Receiver;
  clock: Clock;
  logger: Logger;
  boltLogger: BoltLogger;
}

/**
 * The Slack ChatAdapter. Inbound: a Bolt App on the configured receiver turns mentions, direct
 * messages, the slash command and button clicks into InboundMessages for the dispatcher. Outbound:
 * every reply goes into the originating thread through the SlackMessenger (ordered per channel,
 * 429-aware); the status message is edited in place; long output is uploaded as a file.
 */
export class SlackAdapter implements ChatAdapter {
  readonly platform = SLACK_PLATFORM;
  readonly capabilities: AdapterCapabilities;
  private sink: MessageSink | null = null;
  private app: App | null = null;
  private identity: SlackIdentity | null = null;
  private readonly log: Logger;

  constructor(private readonly options: SlackAdapterOptions, private readonly deps: SlackAdapterDeps) {
    this.capabilities = { threads: true, edit: true, files: true, buttons: true, maxTextLength: options.maxTextLength };
    this.log = deps.logger.child({ adapter: SLACK_PLATFORM });
  }

  /** Who the bot is, once started. */
  get bot(): SlackIdentity | null {
    return this.identity;
  }

  async start(sink: MessageSink): Promise<void> {
    this.sink = sink;
    if (this.app) return;
    const identity = this.identity ?? (await this.resolveIdentity());
    this.identity = identity;
    const { config } = this.options;
    this.app = createBoltApp(
      { botToken: config.botToken, ...identity, receiver: this.deps.receiver, commandName: config.commandName, logger: this.deps.boltLogger, clientOptions: this.options.clientOptions },
      this.inbound(identity),
    );
    try {
      await this.deps.receiver.start();
    } catch (err) {
      this.app = null;
      this.sink = null;
      throw new AdapterError(SLACK_PLATFORM, `could not connect (${config.mode} mode): ${(err as Error).message}`);
    }
    this.log.info({ mode: config.mode, botUserId: identity.botUserId, teamId: identity.teamId }, 'slack adapter started');
  }

  async stop(): Promise<void> {
    this.sink = null;
    const app = this.app;
    this.app = null;
    if (app) await this.deps.receiver.stop();
  }

  async send(thread: ThreadRef, message: OutboundMessage): Promise<SentMessage> {
    return { messageId: await this.deps.messenger.send(thread, message) };
  }

  async edit(thread: ThreadRef, messageId: string, message: OutboundMessage): Promise<void> {
    await this.deps.messenger.edit(thread, messageId, message);
  }

  /** The bot's user id and team from the config, else from auth.test (which also gives the bot id). */
  private async resolveIdentity(): Promise<SlackIdentity> {
    const { config } = this.options;
    if (config.botUserId && config.teamId) return { botUserId: config.botUserId, teamId: config.teamId };
    const who = await callSlack('auth.test', () => this.deps.client.apiCall('auth.test'), DEFAULT_CALL_POLICY, { logger: this.log });
    const botUserId = config.botUserId ?? (typeof who.user_id === 'string' ? who.user_id : undefined);
    const teamId = config.teamId ?? (typeof who.team_id === 'string' ? who.team_id : undefined);
    if (!botUserId || !teamId) throw new AdapterError(SLACK_PLATFORM, 'auth.test named no user_id or team_id: is slack.botToken a bot token (xoxb-)?');
    return typeof who.bot_id === 'string' ? { botUserId, teamId, botId: who.bot_id } : { botUserId, teamId };
  }

  private inbound(identity: SlackIdentity): SlackInbound {
    const now = () => this.deps.clock.now();
    const commandName = this.options.config.commandName;
    return {
      event: async (body) => {
        const normalized = normalizeEvent(body, identity, now());
        // Channel chatter not addressed to the bot (if the app also subscribes to it) costs no lookup.
        if (this.skip(normalized) || !normalized.message.mentionsBot) return;
        // A throw here leaves the event unacknowledged, so that Slack delivers it again.
        await this.accept(normalized.message);
      },
      command: async (body, ack, respond) => {
        const normalized = normalizeCommand(body, identity, now());
        if (this.skip(normalized)) return ack('Sorry, I could not read that command.');
        const { message } = normalized;
        if (message.text === '') return ack(`Usage: ${commandName} <agent> <message>, for example "${commandName} local uptime", or "${commandName} help".`);
        await ack('On it. I answer in a new thread in this channel (Slack does not let slash commands run inside a thread).');
        let root: string;
        try {
          root = await this.deps.messenger.postMrkdwn(message.thread.conversationId, `<@${message.sender.id}> asked: \`${escapeSlack(`${commandName} ${message.text}`)}\``);
        } catch (err) {
          this.log.warn({ err, channel: message.thread.conversationId }, 'could not start a thread for a slash command');
          return respond(`I cannot post in this conversation (${(err as Error).message}). Invite me with /invite, or send me a direct message.`).catch(() => undefined);
        }
        await this.acceptOrTell({ ...message, thread: { ...message.thread, threadId: root } }, respond, 'command');
      },
      action: async (body, ack, respond) => {
        await ack();
        const normalized = normalizeAction(body, identity, now());
        if (this.skip(normalized)) return;
        await this.acceptOrTell(normalized.message, respond, 'click');
      },
    };
  }

  private skip(normalized: Normalized): normalized is { kind: 'ignored'; reason: string } {
    if (normalized.kind === 'message') return false;
    this.log.debug({ reason: normalized.reason }, 'ignored a slack payload');
    return true;
  }

  /** Resolves the sender's display name and hands the message to the dispatcher. */
  private async accept(message: InboundMessage): Promise<void> {
    const sink = this.sink;
    if (!sink) throw new AdapterError(SLACK_PLATFORM, 'the slack adapter is stopped');
    const team = message.sender.identity.slice(SLACK_PLATFORM.length + 1).split('/')[0]!;
    const displayName = await this.deps.names.get(team, message.sender.id, message.sender.displayName);
    await sink({ ...message, sender: { ...message.sender, displayName } });
  }

  /** For payloads Slack does not retry: a failure is told to the user, who can try again. */
  private async acceptOrTell(message: InboundMessage, respond: (text: string) => Promise<void>, what: string): Promise<void> {
    try {
      await this.accept(message);
    } catch (err) {
      this.log.error({ err, messageId: message.id }, `slack ${what} not accepted`);
      await respond(`Skadi could not take this ${what} right now; please try again in a moment.`).catch(() => undefined);
    }
  }
}
