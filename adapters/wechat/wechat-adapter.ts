import { createHash } from 'node:crypto';
import { AdapterError, backoffDelay, randomId } from '../../src/core/index.js';
import type { AdapterCapabilities, ChatAdapter, Clock, Logger, MessageSink, OutboundMessage, SentMessage, ThreadRef } from '../../src/core/index.js';
import type { LoginStatus } from './login-status.js';
import { normalizeWechatMessage, WECHAT_PLATFORM, type WechatRawMessage, type WechatThreadOpaque } from './normalize.js';
import { isOutputPiece, renderWechatText, type RenderedPiece } from './render.js';
import { realSleep, SendQueue, type Sleep } from './send-queue.js';
import type { OpenWechatClient, WechatClient, WechatEvents } from './wechat-client.js';

export interface WechatAdapterOptions {
  maxTextLength: number;
  sendIntervalMs: number;
  sendRetries: number;
  maxMessageAgeMs: number;
  /** First retry delay after a failed send (default 500 ms; doubles, with jitter, up to 10 s). */
  retryBaseMs?: number;
  /** Longest wait for one send before it counts as failed (default 30 s). */
  sendTimeoutMs?: number;
  /** Longest wait for the puppet to start before start() returns and lets it go on in the background (default 20 s). */
  startTimeoutMs?: number;
}

export interface WechatAdapterDeps {
  openClient: OpenWechatClient;
  status: LoginStatus;
  clock: Clock;
  logger: Logger;
  /** Names the puppet in the log and on the status page. */
  puppetLabel?: string;
  sleep?: Sleep;
}

/** Message ids remembered to drop a message the puppet delivers twice (it re-syncs after reconnects). */
const SEEN_IDS = 5000;
/** A reply that failed half-way remembers what went out this long, so the retry sends only the rest. */
const PARTIAL_TTL_MS = 30 * 60_000;
/** Puppets say this when WeChat throttles the account; the reply is then retried much later. */
const THROTTLED = /\b429\b|too (?:many|frequent)|rate.?limit|频繁/i;

interface Target {
  conversationId: string;
  mention?: { id: string; name: string };
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** Reads a stored ThreadRef back; room ids end in `@chatroom` on every WeChat puppet, for refs without the opaque part. */
function targetOf(thread: ThreadRef): Target {
  if (thread.platform !== WECHAT_PLATFORM || !thread.conversationId) throw new AdapterError(WECHAT_PLATFORM, `cannot reply to a ${thread.platform} thread`);
  const opaque = (thread.opaque ?? {}) as Partial<WechatThreadOpaque>;
  const room = typeof opaque.room === 'boolean' ? opaque.room : thread.conversationId.endsWith('@chatroom');
  const mention = opaque.mention;
  return room && mention && typeof mention.id === 'string' && typeof mention.name === 'string' ? { conversationId: thread.conversationId, mention } : { conversationId: thread.conversationId };
}

/**
 * The WeChat ChatAdapter over a WechatClient (wechaty). Inbound: room messages that mention the
 * bot and every direct text message, de-duplicated by message id. Outbound: no threads and no
 * edits; a reply goes to the room (mentioning the requester) or the direct chat, names its job,
 * and is split into numbered messages when longer than maxTextLength. While logged out, send()
 * throws AdapterError at once: the reply router releases its claim and the bus redelivers the
 * event, so replies wait (in the outbox, or in the Redis consumer group) until the bot is back.
 */
export class WechatAdapter implements ChatAdapter {
  readonly platform = WECHAT_PLATFORM;
  readonly capabilities: AdapterCapabilities;
  private client: WechatClient | null = null;
  private sink: MessageSink | null = null;
  private readonly seen = new Set<string>();
  private readonly partial = new Map<string, { sent: number; firstId: string; expiresAt: number }>();
  private readonly queue: SendQueue;
  private readonly sleep: Sleep;
  private readonly log: Logger;

  constructor(
    private readonly options: WechatAdapterOptions,
    private readonly deps: WechatAdapterDeps,
  ) {
    this.capabilities = { threads: false, edit: false, files: false, buttons: false, maxTextLength: options.maxTextLength };
    this.sleep = deps.sleep ?? realSleep;
    this.queue = new SendQueue({ intervalMs: options.sendIntervalMs, sleep: this.sleep, now: () => deps.clock.now().getTime() });
    this.log = deps.logger;
  }

  private readonly events: WechatEvents = {
    message: (raw) => void this.receive(raw),
    scan: (qrcode, status) => this.deps.status.scan(qrcode, status),
    login: (user) => this.deps.status.login(user),
    logout: (reason) => this.deps.status.logout(reason),
    error: (message) => this.deps.status.error(message),
    heartbeat: () => this.deps.status.heartbeat(),
  };

  async start(sink: MessageSink): Promise<void> {
    if (this.client) return;
    this.sink = sink;
    this.deps.status.starting(this.deps.puppetLabel ?? 'wechaty');
    const client = this.deps.openClient(this.events);
    this.client = client;
    const started = client.start();
    const timeoutMs = this.options.startTimeoutMs ?? 20_000;
    let timer: NodeJS.Timeout | undefined;
    let timedOut: boolean;
    try {
      timedOut = await Promise.race([started.then(() => false), new Promise<boolean>((resolve) => (timer = setTimeout(resolve, timeoutMs, true)))]).finally(() => clearTimeout(timer));
    } catch (err) {
      // A puppet that cannot start (not installed, bad options) is a setup error: say so at start.
      this.client = null;
      this.sink = null;
      this.deps.status.error(`start failed: ${errorMessage(err)}`);
      throw new AdapterError(WECHAT_PLATFORM, `the puppet ${this.deps.puppetLabel ?? ''} did not start: ${errorMessage(err)}`);
    }
    if (timedOut) {
      // A slow puppet service must not hold up the whole server: it goes on starting in the background.
      this.log.warn({ timeoutMs }, 'WeChat: the puppet is still starting; continuing in the background');
      started.catch((err: unknown) => this.deps.status.error(`start failed: ${errorMessage(err)}`));
    }
  }

  async stop(): Promise<void> {
    const client = this.client;
    if (!client) return;
    this.client = null;
    this.sink = null;
    // Sends in flight finish (the next attempt of one in backoff sees the adapter stopped and gives up).
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.queue.idle(), new Promise((resolve) => (timer = setTimeout(resolve, 5000)))]).finally(() => clearTimeout(timer));
    try {
      await client.stop();
    } finally {
      this.deps.status.stopped();
    }
  }

  private async receive(raw: WechatRawMessage): Promise<void> {
    const sink = this.sink;
    if (!sink) return;
    const result = normalizeWechatMessage(raw, { now: this.deps.clock.now(), maxAgeMs: this.options.maxMessageAgeMs });
    if (!result.ok) {
      if (result.reason === 'too-old') this.log.info({ messageId: raw.id, sentAt: new Date(raw.timestamp).toISOString() }, 'WeChat: ignored a message older than maxMessageAgeMs');
      return;
    }
    if (this.seen.has(raw.id)) return;
    this.seen.add(raw.id);
    if (this.seen.size > SEEN_IDS) this.seen.delete(this.seen.values().next().value!);
    try {
      await sink(result.message);
    } catch (err) {
      // Forget it, so that a redelivery by the puppet gets another chance.
      this.seen.delete(raw.id);
      this.log.error({ err, messageId: raw.id }, 'WeChat: could not hand the message to the dispatcher');
    }
  }

  private connected(): WechatClient {
    const client = this.client;
    if (!client) throw new AdapterError(WECHAT_PLATFORM, 'the WeChat adapter is not running in this process');
    if (!client.isLoggedIn()) throw new AdapterError(WECHAT_PLATFORM, 'not logged in to WeChat; the reply is sent once the bot is logged in again');
    return client;
  }

  async send(thread: ThreadRef, message: OutboundMessage): Promise<SentMessage> {
    const target = targetOf(thread);
    return this.queue.run(target.conversationId, async () => {
      this.connected();
      const mention = target.mention && !isOutputPiece(message) ? target.mention : undefined;
      const pieces = renderWechatText(message, { limit: this.options.maxTextLength, mentionName: mention?.name, botName: target.mention ? (this.deps.status.userName ?? undefined) : undefined });
      const key = createHash('sha256').update(target.conversationId).update('\0').update(pieces.map((p) => p.text).join('\0')).digest('hex');
      const now = this.deps.clock.now().getTime();
      for (const [k, v] of this.partial) if (v.expiresAt < now) this.partial.delete(k);
      const resumed = this.partial.get(key);
      let firstId = resumed?.firstId ?? null;
      for (let i = resumed?.sent ?? 0; i < pieces.length; i++) {
        try {
          const id = (await this.deliver(target, pieces[i]!, mention)) ?? `local-${randomId(16)}`;
          firstId ??= id;
        } catch (err) {
          if (i > 0) this.partial.set(key, { sent: i, firstId: firstId!, expiresAt: now + PARTIAL_TTL_MS });
          throw err;
        }
      }
      this.partial.delete(key);
      return { messageId: firstId! };
    });
  }

  /** Sends one piece, retrying failures with backoff; gives up with AdapterError (the bus retries later). */
  private async deliver(target: Target, piece: RenderedPiece, mention: Target['mention']): Promise<string | undefined> {
    const retries = this.options.sendRetries;
    let throttled = false;
    for (let attempt = 0; ; attempt++) {
      const client = this.connected();
      await this.queue.pace();
      try {
        return await this.withTimeout(client.sendText(target.conversationId, piece.text, piece.mentions && mention ? [mention.id] : []));
      } catch (err) {
        const reason = errorMessage(err);
        if (!client.isLoggedIn()) throw new AdapterError(WECHAT_PLATFORM, `logged out while sending (${reason}); the reply is sent once the bot is logged in again`);
        throttled ||= THROTTLED.test(reason);
        if (attempt >= retries) {
          throw new AdapterError(WECHAT_PLATFORM, `sending to ${target.conversationId} failed ${attempt + 1} times: ${reason}`, throttled ? 60_000 : undefined);
        }
        const delay = backoffDelay(attempt, { baseMs: throttled ? 5000 : (this.options.retryBaseMs ?? 500), capMs: throttled ? 60_000 : 10_000, jitter: 'equal' });
        this.log.warn({ err: reason, conversationId: target.conversationId, attempt: attempt + 1, retryInMs: delay }, 'WeChat: send failed; retrying');
        await this.sleep(delay);
      }
    }
  }

  private async withTimeout<T>(promise: Promise<T>): Promise<T> {
    const ms = this.options.sendTimeoutMs ?? 30_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer from the puppet within ${ms} ms`)), ms)));
    try {
      return await Promise.race([promise, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
