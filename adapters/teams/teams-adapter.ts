import type { Activity } from 'botbuilder';
import { AdapterError, KeyedSerialQueue, type AdapterCapabilities, type AuditStore, type ChatAdapter, type Clock, type InboundMessage, type Logger, type MessageSink, type OutboundMessage, type SentMessage, type ThreadRef } from '../../src/core/index.js';
import { ADAPTIVE_CARD_CONTENT_TYPE } from './adaptive-card.js';
import { normalizeTeamsActivity } from './normalize.js';
import { TEAMS_MAX_TEXT_LENGTH, renderTeamsMessage, type TeamsOutgoing } from './render-message.js';
import { DEFAULT_RETRY_POLICY, withRetry, type RetryPolicy } from './send-retry.js';
import { createTeamsAuth } from './teams-auth.js';
import { TeamsCloudAdapter, type ConnectorConversations } from './teams-cloud-adapter.js';
import type { TeamsConfig } from './teams-config.js';
import { TEAMS_PLATFORM, teamsTarget, type TeamsTarget } from './teams-thread.js';

export interface TeamsAdapterOptions {
  config: TeamsConfig;
  /** The certificate's private key (PEM) when the config names a file. */
  certificatePrivateKey?: string | null;
  /** Signing keys of inbound tokens (default: the Bot Framework public cloud's); tests use a local peer. */
  openIdMetadataUrl?: string;
  retry?: Partial<RetryPolicy>;
  /** Longest wait for one Bot Connector call (default 20 s); a timeout is retried like a 5xx. */
  requestTimeoutMs?: number;
}

export interface TeamsAdapterDeps {
  clock: Clock;
  logger: Logger;
  /** Records messages refused because of their tenant. */
  audit?: AuditStore;
  /** Waits between retries (tests may shorten it). */
  sleep?: (ms: number) => Promise<void>;
}

/** What the HTTP route answers the Bot Framework. */
export interface TeamsHttpResult {
  status: number;
  body?: unknown;
}

function isActivityBody(body: unknown): body is Activity {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return false;
  const { type, serviceUrl, conversation } = body as Record<string, unknown>;
  const conversationId = typeof conversation === 'object' && conversation !== null ? (conversation as Record<string, unknown>).id : undefined;
  return typeof type === 'string' && typeof serviceUrl === 'string' && /^https?:\/\//i.test(serviceUrl) && typeof conversationId === 'string';
}

/**
 * Microsoft Teams through botbuilder's CloudAdapter. Inbound activities arrive at the route
 * (`receive`), authenticated with the Bot Framework JWT, normalised and handed to the sink;
 * every reply goes out proactively from the ConversationReference stored in the ThreadRef, so
 * any process can send it, any time later. Sends to one conversation are queued in order;
 * 429s wait as told, 5xx and timeouts back off, then AdapterError lets the bus redeliver.
 */
export class TeamsChatAdapter implements ChatAdapter {
  readonly platform = TEAMS_PLATFORM;
  readonly capabilities: AdapterCapabilities;
  private sink: MessageSink | null = null;
  private readonly queues = new KeyedSerialQueue();
  private readonly retry: RetryPolicy;
  private readonly timeoutMs: number;
  private readonly log: Logger;

  constructor(
    private readonly cloud: TeamsCloudAdapter,
    private readonly config: TeamsConfig,
    options: Pick<TeamsAdapterOptions, 'retry' | 'requestTimeoutMs'>,
    private readonly deps: TeamsAdapterDeps,
  ) {
    // Files: a bot can only send files in personal chats, through the OneDrive consent flow;
    // long output is split into numbered messages instead (render-message.ts).
    this.capabilities = { threads: true, edit: true, files: false, buttons: true, maxTextLength: TEAMS_MAX_TEXT_LENGTH };
    this.retry = { ...DEFAULT_RETRY_POLICY, ...options.retry };
    this.timeoutMs = options.requestTimeoutMs ?? 20_000;
    this.log = deps.logger.child({ adapter: TEAMS_PLATFORM });
  }

  async start(sink: MessageSink): Promise<void> {
    this.sink = sink;
  }

  async stop(): Promise<void> {
    this.sink = null;
  }

  /**
   * Handles one POST of the Bot Framework: 401 when the token is missing or invalid (nothing
   * else happens), 503 while stopped, 500 when the sink failed (Teams retries; the dispatcher
   * drops the repeat), otherwise what the turn answers (200).
   */
  async receive(authHeader: string, body: unknown): Promise<TeamsHttpResult> {
    if (!this.sink) return { status: 503, body: { code: 'SKADI_UNAVAILABLE', message: 'the Teams adapter is not running' } };
    if (!isActivityBody(body)) return { status: 400, body: { code: 'SKADI_BAD_REQUEST', message: 'expected a Bot Framework activity (type, serviceUrl, conversation.id)' } };
    let auth;
    try {
      auth = await this.cloud.authenticate(body, authHeader);
    } catch (err) {
      this.log.warn({ reason: (err as Error).message, type: body.type, serviceUrl: body.serviceUrl, hasToken: authHeader !== '' }, 'Teams request refused: Bot Framework authentication failed');
      return { status: 401, body: { code: 'SKADI_UNAUTHENTICATED', message: 'Bot Framework authentication failed' } };
    }
    const sink = this.sink;
    if (!sink) return { status: 503, body: { code: 'SKADI_UNAVAILABLE', message: 'the Teams adapter is not running' } };
    try {
      const response = await this.cloud.runTurn(auth, body, (context) => this.onActivity(context.activity, sink));
      return { status: response?.status ?? 200, body: response?.body };
    } catch (err) {
      this.log.error({ err, activityId: body.id, type: body.type }, 'Teams activity failed; answering 500 so Teams retries it');
      return { status: 500, body: { code: 'SKADI_INTERNAL', message: 'the activity could not be handled; retry' } };
    }
  }

  private async onActivity(activity: Activity, sink: MessageSink): Promise<void> {
    const message = normalizeTeamsActivity(activity, this.deps.clock.now());
    if (!message) return;
    if (!(await this.tenantAllowed(message))) return;
    await sink(message);
  }

  private async tenantAllowed(message: InboundMessage): Promise<boolean> {
    const allowed = this.config.allowedTenants;
    if (allowed.includes('*')) return true;
    const tenant = message.thread.opaque?.tenantId;
    if (typeof tenant === 'string' && allowed.includes(tenant.toLowerCase())) return true;
    this.log.warn({ tenant, identity: message.sender.identity }, 'Teams message from a tenant not in teams.allowedTenants ignored');
    await this.deps.audit
      ?.append({ at: this.deps.clock.now(), actor: message.sender.identity, action: 'teams.tenant', target: typeof tenant === 'string' ? tenant : null, decision: 'deny', detail: { messageId: message.id } })
      .catch((err: unknown) => this.log.warn({ err }, 'could not audit a refused tenant'));
    return false;
  }

  async send(thread: ThreadRef, message: OutboundMessage): Promise<SentMessage> {
    const target = teamsTarget(thread);
    const pieces = renderTeamsMessage(message, this.capabilities.maxTextLength);
    return this.queues.run(target.queueKey, async () => {
      let first: string | null = null;
      for (const piece of pieces) {
        const id = await this.post(target, piece);
        first ??= id;
      }
      return { messageId: first! };
    });
  }

  /** Updates a sent message in place; output that no longer fits in one message continues in new ones after it. */
  async edit(thread: ThreadRef, messageId: string, message: OutboundMessage): Promise<void> {
    const target = teamsTarget(thread);
    const [first, ...rest] = renderTeamsMessage(message, this.capabilities.maxTextLength);
    await this.queues.run(target.queueKey, async () => {
      await this.call(target, first!, 'updating a message', (c, activity) => c.updateActivity(target.conversationId, messageId, { ...activity, id: messageId }, { timeout: this.timeoutMs }));
      for (const piece of rest) await this.post(target, piece);
    });
  }

  private async post(target: TeamsTarget, piece: TeamsOutgoing): Promise<string> {
    const sent = await this.call(target, piece, 'sending a message', (c, activity) =>
      target.replyToId
        ? c.replyToActivity(target.conversationId, target.replyToId, activity, { timeout: this.timeoutMs })
        : c.sendToConversation(target.conversationId, activity, { timeout: this.timeoutMs }),
    );
    if (!sent.id) throw new AdapterError(TEAMS_PLATFORM, 'the Bot Connector accepted a message but returned no id');
    return sent.id;
  }

  /** One connector call with retries; a card the connector refuses (400, 413) is retried once as plain text. */
  private call(target: TeamsTarget, piece: TeamsOutgoing, what: string, op: (c: ConnectorConversations, activity: Partial<Activity>) => Promise<{ id?: string }>): Promise<{ id?: string }> {
    const attempt = (activity: Partial<Activity>) => () => this.cloud.withConnector(target.reference, (c) => op(c, activity));
    return withRetry(
      attempt(this.activityFor(target, piece, 'card')),
      this.retry,
      {
        sleep: this.deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
        onRetry: ({ attempt: n, delayMs, failure }) => this.log.warn({ attempt: n, delayMs, failure, conversation: target.queueKey }, `Teams connector: ${what} failed; trying again`),
      },
      { what, fallback: (failure) => (failure.status === 400 || failure.status === 413 ? attempt(this.activityFor(target, piece, 'text')) : null) },
    );
  }

  private activityFor(target: TeamsTarget, piece: TeamsOutgoing, form: 'card' | 'text'): Partial<Activity> {
    const { reference } = target;
    const activity: Partial<Activity> = {
      type: 'message',
      channelId: reference.channelId,
      serviceUrl: reference.serviceUrl,
      conversation: { name: '', ...reference.conversation, id: target.conversationId },
      from: { name: '', ...reference.bot },
      summary: piece.summary,
    };
    if (reference.conversation.conversationType === 'personal' && reference.user) activity.recipient = { name: '', ...reference.user };
    if (target.replyToId) activity.replyToId = target.replyToId;
    if (form === 'card') activity.attachments = [{ contentType: ADAPTIVE_CARD_CONTENT_TYPE, content: piece.card }];
    else Object.assign(activity, { text: piece.fallbackText, textFormat: 'plain' });
    return activity;
  }
}

/** Builds the adapter and its CloudAdapter from the validated config. */
export function createTeamsAdapter(options: TeamsAdapterOptions, deps: TeamsAdapterDeps): TeamsChatAdapter {
  const auth = createTeamsAuth(options.config, { certificatePrivateKey: options.certificatePrivateKey, openIdMetadataUrl: options.openIdMetadataUrl });
  const cloud = new TeamsCloudAdapter(auth, options.config.appId ?? '');
  return new TeamsChatAdapter(cloud, options.config, options, deps);
}
