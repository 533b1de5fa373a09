import {
  AdapterError,
  randomId,
  type AdapterCapabilities,
  type ChatAdapter,
  type Clock,
  type MessageSink,
  type OutboundMessage,
  type SentMessage,
  type ThreadRef,
} from '../../src/core/index.js';
import type { ConversationFanout } from './conversation-fanout.js';
import type { ConversationHub } from './conversation-hub.js';
import { parseConversationKey, WEB_PLATFORM } from './normalize.js';
import { renderWebMessage } from './render.js';
import type { WebChatMessage } from './wire-types.js';

export interface WebChatAdapterDeps {
  hub: ConversationHub;
  /** Where messages go: this process's hub and, through it, the other processes'. */
  fanout: ConversationFanout;
  clock: Clock;
  /** Ends the open event streams (on stop). */
  closeStreams(): void;
}

/**
 * The ChatAdapter side of the web chat: send and edit publish to the conversation's event
 * streams (and its replay buffer) in every server process; the sink is what the plugin's POST
 * route hands messages to.
 */
export class WebChatAdapter implements ChatAdapter {
  readonly platform = WEB_PLATFORM;
  readonly capabilities: AdapterCapabilities;
  private currentSink: MessageSink | null = null;

  constructor(private readonly options: { maxTextLength: number; botName: string }, private readonly deps: WebChatAdapterDeps) {
    this.capabilities = { threads: true, edit: true, files: true, buttons: true, maxTextLength: options.maxTextLength };
  }

  /** The dispatcher's sink while started, else null. */
  get sink(): MessageSink | null {
    return this.currentSink;
  }

  async start(sink: MessageSink): Promise<void> {
    await this.deps.fanout.start();
    this.currentSink = sink;
  }

  async stop(): Promise<void> {
    this.currentSink = null;
    this.deps.closeStreams();
    await this.deps.fanout.stop();
  }

  async send(thread: ThreadRef, message: OutboundMessage): Promise<SentMessage> {
    // A dot cannot occur in client ids, so the bot's ids never collide with the user's.
    const messageId = `bot.${randomId(12)}`;
    await this.publish(thread, messageId, message, false);
    return { messageId };
  }

  /** Replaces the message for every browser; one kept in neither history nor page shows up as new. */
  async edit(thread: ThreadRef, messageId: string, message: OutboundMessage): Promise<void> {
    await this.publish(thread, messageId, message, true);
  }

  private async publish(thread: ThreadRef, messageId: string, message: OutboundMessage, edit: boolean): Promise<void> {
    if (thread.platform !== WEB_PLATFORM) throw new AdapterError(WEB_PLATFORM, `cannot send to a ${thread.platform} thread`);
    const conv = parseConversationKey(thread.conversationId);
    if (!conv) throw new AdapterError(WEB_PLATFORM, `not a web conversation: ${thread.conversationId}`);
    const now = this.deps.clock.now().toISOString();
    const previous = edit ? this.deps.hub.find(thread.conversationId, messageId) : undefined;
    const out: WebChatMessage = {
      id: messageId,
      conversationId: conv.conversationId,
      threadId: previous?.threadId ?? thread.threadId ?? messageId,
      author: { kind: 'bot', name: this.options.botName },
      ...renderWebMessage(message, this.options.maxTextLength),
      at: previous?.at ?? now,
    };
    if (edit) out.editedAt = now;
    await this.deps.fanout.publish(thread.conversationId, out);
  }
}
