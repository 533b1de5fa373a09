import { SocketModeReceiver, type App, type Receiver, type Logger as BoltLogger } from '@slack/bolt';
import type { Logger } from '../../src/core/index.js';
import { deliverToBolt } from './deliver-to-bolt.js';

export interface SlackSocketReceiverOptions {
  appToken: string;
  /** Web API base URL for `apps.connections.open`. */
  apiUrl: string;
  deadlineMs: number;
  logger: Logger;
  boltLogger: BoltLogger;
  /** How long without a ping from Slack before reconnecting (default 30 s, the SDK's). */
  serverPingTimeoutMs?: number;
  /** How long to wait for a pong, and the step of the reconnect delay (default 5 s, the SDK's). */
  clientPingTimeoutMs?: number;
  /** Longest wait for the first `hello` at start (default 30 s). */
  connectTimeoutMs?: number;
}

/** What @slack/socket-mode emits for every envelope. */
interface SocketEvent {
  ack: (response?: Record<string, unknown>) => Promise<void>;
  envelope_id?: string;
  type?: string;
  body?: Record<string, unknown>;
  retry_num?: number;
  retry_reason?: string;
}

type SocketClient = SocketModeReceiver['client'];

/**
 * Bolt's `Receiver` for Socket Mode: Skadi opens the WebSocket (apps.connections.open, then
 * `hello`), so no public URL is needed. It reuses the SDK's SocketModeClient (reconnects, pings)
 * but acknowledges each envelope the way deliverToBolt decides — after the dispatcher accepted
 * the message — instead of bolt's SocketModeReceiver, which acknowledges events before any
 * listener runs and so could lose a message the dispatcher failed to take. An envelope left
 * unacknowledged is redelivered by Slack with `retry_attempt` set.
 */
export class SlackSocketReceiver implements Receiver {
  private app: App | null = null;
  private client: SocketClient | null = null;

  constructor(private readonly options: SlackSocketReceiverOptions) {}

  init(app: App): void {
    this.app = app;
  }

  /** Opens the connection; resolves once Slack said hello. */
  async start(): Promise<void> {
    if (this.client) return;
    const { options } = this;
    // The SDK's receiver is only the factory of a configured SocketModeClient; its own envelope
    // handler (ack first, then process) is removed before the client connects.
    const factory = new SocketModeReceiver({
      appToken: options.appToken,
      logger: options.boltLogger,
      serverPingTimeout: options.serverPingTimeoutMs,
      clientPingTimeout: options.clientPingTimeoutMs,
      installerOptions: { clientOptions: { slackApiUrl: options.apiUrl, retryConfig: { retries: 2, factor: 2, minTimeout: 500 } } },
    });
    const client = factory.client;
    client.removeAllListeners('slack_event');
    client.on('slack_event', (event: SocketEvent) => void this.onEnvelope(event));
    this.client = client;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      const ms = options.connectTimeoutMs ?? 30_000;
      timer = setTimeout(() => reject(new Error(`no hello from Slack within ${ms} ms`)), ms);
    });
    try {
      await Promise.race([client.start(), timeout]);
    } catch (err) {
      this.client = null;
      await client.disconnect().catch(() => undefined);
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Closes the connection; idempotent. */
  async stop(): Promise<void> {
    const client = this.client;
    this.client = null;
    if (client) await client.disconnect();
  }

  private async onEnvelope(event: SocketEvent): Promise<void> {
    const { app, client } = this;
    if (!app || !client || !event.body) return;
    const answer = await deliverToBolt(app, { body: event.body, retryNum: event.retry_num, retryReason: event.retry_reason }, { deadlineMs: this.options.deadlineMs, logger: this.options.logger });
    if (!answer.ok) return; // not acknowledged: Slack sends the envelope again
    // A stopped receiver does not acknowledge what it no longer handles; Slack redelivers it.
    if (this.client !== client) return;
    const payload = answer.body === undefined || answer.body === null ? undefined : typeof answer.body === 'string' ? { text: answer.body } : (answer.body as Record<string, unknown>);
    await event.ack(payload).catch((err: unknown) => this.options.logger.warn({ err, envelopeId: event.envelope_id }, 'could not acknowledge a socket mode envelope'));
  }
}
