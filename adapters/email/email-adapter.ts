import type { AdapterCapabilities, ChatAdapter, MessageSink, OutboundMessage, SentMessage, ThreadRef } from '../../src/core/index.js';
import type { MailSender } from './mail-sender.js';
import type { MailboxWatcher } from './mailbox-watcher.js';
import { EMAIL_PLATFORM } from './normalize.js';

/** Largest plain-text body; longer output goes as an attachment. */
export const EMAIL_MAX_TEXT_LENGTH = 100_000;

/**
 * Email as a chat platform: the watcher turns mail in the mailbox into messages for the sink,
 * the sender answers in the mail's thread. Mail cannot be edited, so every reply is a new mail
 * (the reply router then sends only the acknowledgement and the result).
 */
export class EmailAdapter implements ChatAdapter {
  readonly platform = EMAIL_PLATFORM;
  readonly capabilities: AdapterCapabilities = { threads: true, edit: false, files: true, buttons: false, maxTextLength: EMAIL_MAX_TEXT_LENGTH };
  private currentSink: MessageSink | null = null;
  private watcher: MailboxWatcher | null = null;

  constructor(private readonly sender: MailSender) {}

  /** Set once by the factory: the watcher needs the adapter's sink, the adapter the watcher. */
  attach(watcher: MailboxWatcher): void {
    this.watcher = watcher;
  }

  /** The dispatcher while started, else null. */
  get sink(): MessageSink | null {
    return this.currentSink;
  }

  async start(sink: MessageSink): Promise<void> {
    this.currentSink = sink;
    await this.watcher?.start();
  }

  /** Stops reading mail; sending keeps working (replies still being routed during shutdown go out). */
  async stop(): Promise<void> {
    this.currentSink = null;
    await this.watcher?.stop();
  }

  send(thread: ThreadRef, message: OutboundMessage): Promise<SentMessage> {
    return this.sender.send(thread, message);
  }
}
