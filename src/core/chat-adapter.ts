import type { ThreadRef } from './thread-ref.js';

export interface Sender {
  /** Platform user id (Slack U…, Teams aadObjectId, WeChat contact id, email address). */
  id: string;
  /** Access-control identity: `<platform>:<id>`, e.g. `slack:T1/U2`, `web:alice`. */
  identity: string;
  displayName: string;
  isBot: boolean;
}

export interface InboundMessage {
  /** Platform event id; the dispatcher drops a second message with the same (platform, id). */
  id: string;
  platform: string;
  thread: ThreadRef;
  sender: Sender;
  /** Text with the bot mention already removed by the normaliser. */
  text: string;
  /** True when the bot was addressed (mention, DM, slash command, mail to the mailbox). */
  mentionsBot: boolean;
  receivedAt: Date;
  raw?: unknown;
}

export type MessageStatus = 'info' | 'queued' | 'running' | 'succeeded' | 'failed' | 'expired' | 'cancelled' | 'refused' | 'error';

/** Platform-neutral reply; each adapter renders it within its own limits. */
export interface OutboundMessage {
  /** Plain-text rendering, always present: the fallback every platform can show. */
  text: string;
  status?: MessageStatus;
  title?: string;
  fields?: Array<{ label: string; value: string }>;
  /** Long, preformatted content (job output). Never silently cut: split or sent as a file. */
  code?: { content: string; filename?: string };
  /** Job the message is about, for buttons (cancel) and for platforms without threads. */
  jobId?: string;
  actions?: Array<{ id: 'cancel' | 'rerun'; label: string; jobId: string }>;
}

export interface AdapterCapabilities {
  threads: boolean;
  edit: boolean;
  files: boolean;
  buttons: boolean;
  /** Largest text one message may carry, in characters. */
  maxTextLength: number;
}

/** Called by an adapter for every inbound message; resolves once the message is accepted. */
export type MessageSink = (message: InboundMessage) => Promise<void>;

export interface SentMessage {
  messageId: string;
}

export interface ChatAdapter {
  readonly platform: string;
  readonly capabilities: AdapterCapabilities;
  start(sink: MessageSink): Promise<void>;
  stop(): Promise<void>;
  send(thread: ThreadRef, message: OutboundMessage): Promise<SentMessage>;
  edit?(thread: ThreadRef, messageId: string, message: OutboundMessage): Promise<void>;
}
