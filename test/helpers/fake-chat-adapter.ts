import { AdapterError, splitText } from '../../src/core/index.js';
import type { AdapterCapabilities, ChatAdapter, InboundMessage, MessageSink, OutboundMessage, SentMessage, ThreadRef } from '../../src/core/index.js';

/** One message on the fake platform, as its peer sees it. */
export interface FakePlatformMessage {
  conversationId: string;
  threadId?: string;
  messageId: string;
  text: string;
  edited: boolean;
  file?: { name: string; content: string };
  /** The OutboundMessage it was rendered from (the first piece carries it when split). */
  source: OutboundMessage;
}

export interface FakeChatAdapterOptions {
  platform?: string;
  capabilities?: Partial<AdapterCapabilities>;
}

export interface FakeDelivery {
  text: string;
  user: string;
  conversation?: string;
  thread?: string;
  id?: string;
  isBot?: boolean;
  mentionsBot?: boolean;
}

const DEFAULT_CAPABILITIES: AdapterCapabilities = { threads: true, edit: true, files: true, buttons: false, maxTextLength: 1_000 };

/**
 * An in-memory chat platform and its adapter in one object: tests deliver user messages with
 * `deliver`, read what the "platform" shows with `messages`, and make calls fail with `failNext`.
 * Renders like a plain-text platform: the text, then the code block; over the limit, code goes
 * as a file (when `files`) and text is split with splitText.
 */
export class FakeChatAdapter implements ChatAdapter {
  readonly platform: string;
  readonly capabilities: AdapterCapabilities;
  /** Every message on the platform, oldest first (edits update in place). */
  readonly messages: FakePlatformMessage[] = [];
  readonly calls: Array<{ op: 'send' | 'edit'; thread: ThreadRef; messageId?: string; message: OutboundMessage }> = [];
  private sink: MessageSink | null = null;
  private failures: Array<Error> = [];
  private nextId = 1;

  constructor(options: FakeChatAdapterOptions = {}) {
    this.platform = options.platform ?? 'fake';
    this.capabilities = { ...DEFAULT_CAPABILITIES, ...options.capabilities };
    if (!this.capabilities.edit) this.edit = undefined;
  }

  async start(sink: MessageSink): Promise<void> {
    this.sink = sink;
  }

  async stop(): Promise<void> {
    this.sink = null;
  }

  /** The next `count` send/edit calls throw an AdapterError (or `error`). */
  failNext(count = 1, error?: Error): void {
    for (let i = 0; i < count; i++) this.failures.push(error ?? new AdapterError(this.platform, 'platform unavailable (fake)'));
  }

  /** The platform delivers a user message to the adapter; resolves when the sink accepted it. */
  async deliver(input: FakeDelivery): Promise<InboundMessage | null> {
    const sink = this.sink;
    if (!sink) return null;
    const conversationId = input.conversation ?? 'C1';
    const id = input.id ?? `in-${this.nextId++}`;
    const message: InboundMessage = {
      id,
      platform: this.platform,
      thread: { platform: this.platform, conversationId, threadId: input.thread ?? id },
      sender: { id: input.user, identity: `${this.platform}:${input.user}`, displayName: input.user, isBot: input.isBot ?? false },
      text: input.text.trim(),
      mentionsBot: input.mentionsBot ?? true,
      receivedAt: new Date(),
    };
    await sink(message);
    return message;
  }

  async send(thread: ThreadRef, message: OutboundMessage): Promise<SentMessage> {
    this.calls.push({ op: 'send', thread, message });
    this.maybeFail();
    const rendered = this.render(message);
    let first: string | null = null;
    for (const piece of rendered) {
      const messageId = `m${this.nextId++}`;
      first ??= messageId;
      this.messages.push({ conversationId: thread.conversationId, threadId: thread.threadId, messageId, edited: false, source: message, ...piece });
    }
    return { messageId: first! };
  }

  edit?: (thread: ThreadRef, messageId: string, message: OutboundMessage) => Promise<void> = async (thread, messageId, message) => {
    this.calls.push({ op: 'edit', thread, messageId, message });
    this.maybeFail();
    const target = this.messages.find((m) => m.messageId === messageId);
    if (!target) throw new AdapterError(this.platform, `no message ${messageId}`, undefined, true);
    const [piece, ...rest] = this.render(message);
    if (rest.length > 0) throw new AdapterError(this.platform, 'edit too long for one message');
    Object.assign(target, piece, { edited: true, source: message });
  };

  /** Messages in one thread, oldest first. */
  inThread(thread: ThreadRef): FakePlatformMessage[] {
    return this.messages.filter((m) => m.conversationId === thread.conversationId && m.threadId === thread.threadId);
  }

  private maybeFail(): void {
    const failure = this.failures.shift();
    if (failure) throw failure;
  }

  private render(message: OutboundMessage): Array<{ text: string; file?: { name: string; content: string } }> {
    const max = this.capabilities.maxTextLength;
    const code = message.code ? `\n\`\`\`\n${message.code.content}\n\`\`\`` : '';
    if (message.text.length + code.length <= max) return [{ text: message.text + code }];
    if (message.code && this.capabilities.files) {
      const [head, ...rest] = splitText(message.text, max);
      return [{ text: head!, file: { name: message.code.filename ?? 'output.txt', content: message.code.content } }, ...rest.map((text) => ({ text }))];
    }
    return splitText(message.text + code, max).map((text) => ({ text }));
  }
}
