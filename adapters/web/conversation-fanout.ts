import { randomId, type Logger, type Notifier } from '../../src/core/index.js';
import type { ConversationHub } from './conversation-hub.js';
import type { WebChatMessage } from './wire-types.js';

/** Notifier channel carrying web chat messages between server processes. */
export const WEB_CHAT_CHANNEL = 'web-chat';

/** What travels on the channel: the sending process, the conversation key and the message. */
interface FanoutEnvelope {
  origin: string;
  key: string;
  message: WebChatMessage;
}

/**
 * Puts every chat message (a bot reply, an edit, a user's echo) into this process's hub and into
 * the hubs of the other server processes, so a browser sees a reply whichever process's reply
 * router sent it. Without a notifier (one process, tests) it is the hub alone.
 *
 * Pub/sub is lossy: a message published while Redis is down, or while a process is
 * (re)subscribing, never reaches the other processes, and nothing replays it. Browsers connected
 * here still get it; those on other processes see it on their next edit of that message or not
 * at all. The durable record of a job's outcome is the job itself (`status <job>`, the side
 * panel), not the chat stream. Redis delivers each process's publishes in order, and send/edit
 * wait for the publish, so a reply router's later edit (in any process) never overtakes the
 * message it edits.
 */
export class ConversationFanout {
  /** Tells this process's own publishes apart when the channel echoes them back. */
  private readonly origin = randomId(12);
  private unlisten: (() => Promise<void>) | null = null;
  private lastWarnAt = 0;

  constructor(private readonly deps: { hub: ConversationHub; notifier?: Notifier; logger: Logger }) {}

  /** Starts taking other processes' messages. */
  async start(): Promise<void> {
    const { notifier } = this.deps;
    if (!notifier || this.unlisten) return;
    this.unlisten = await notifier.listen(WEB_CHAT_CHANNEL, (raw) => this.receive(raw));
  }

  async stop(): Promise<void> {
    const unlisten = this.unlisten;
    this.unlisten = null;
    await unlisten?.();
  }

  /** Publishes here at once, then to the other processes; a failed notify is logged, never thrown. */
  async publish(key: string, message: WebChatMessage): Promise<void> {
    this.deps.hub.publish(key, message);
    const { notifier } = this.deps;
    if (!notifier || !this.unlisten) return;
    const envelope: FanoutEnvelope = { origin: this.origin, key, message };
    try {
      await notifier.notify(WEB_CHAT_CHANNEL, JSON.stringify(envelope));
    } catch (err) {
      // One line per 30 s: during a Redis outage every reply would log otherwise.
      const now = Date.now();
      if (now - this.lastWarnAt > 30_000) {
        this.lastWarnAt = now;
        this.deps.logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'web chat: message not shared with the other server processes (their browsers miss it)');
      }
    }
  }

  private receive(raw: string): void {
    let envelope: FanoutEnvelope;
    try {
      envelope = JSON.parse(raw) as FanoutEnvelope;
    } catch {
      return;
    }
    if (envelope.origin === this.origin || typeof envelope.key !== 'string' || typeof envelope.message?.id !== 'string') return;
    this.deps.hub.merge(envelope.key, envelope.message);
  }
}
