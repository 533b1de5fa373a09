import { randomId } from '../../src/core/index.js';
import type { WebChatEventName, WebChatMessage } from './wire-types.js';

/** One message as kept for replay: its latest version, serialised once. */
export interface HubEntry {
  message: WebChatMessage;
  /** JSON of `message`, reused for every stream it is written to. */
  json: string;
  /** Sequence number of the message's creation and of its latest change. */
  createdSeq: number;
  seq: number;
}

/** An event as written to a stream: `id` is what the browser sends back as Last-Event-ID. */
export interface HubEvent {
  id: string;
  event: WebChatEventName;
  json: string;
}

export interface ConversationHubOptions {
  /** Messages kept per conversation for replay. */
  perConversation: number;
  /** Bytes (of JSON) kept across all conversations; the least recently active lose theirs first. */
  maxBytes: number;
}

type Listener = (event: HubEvent) => void;

interface Conversation {
  entries: Map<string, HubEntry>;
  listeners: Set<Listener>;
}

/**
 * Recent chat messages per conversation and the streams listening to them, in this process;
 * ConversationFanout feeds it the messages other server processes send. Only the latest version of each message is kept, ordered by its last change,
 * so an edited status message costs one slot and a replay sends each message once.
 */
export class ConversationHub {
  /** Event ids carry this process's epoch: after a restart, old ids are recognised as foreign. */
  readonly epoch = randomId(8);
  private seq = 0;
  private bytes = 0;
  /** Insertion order is activity order: the first conversation is the least recently active. */
  private readonly conversations = new Map<string, Conversation>();

  constructor(private readonly options: ConversationHubOptions) {}

  /** The latest version of a message, if still kept. */
  find(key: string, messageId: string): WebChatMessage | undefined {
    return this.conversations.get(key)?.entries.get(messageId)?.message;
  }

  /** Stores a new message or a new version of one, and pushes it to the conversation's streams. */
  publish(key: string, message: WebChatMessage): HubEvent {
    const conv = this.touch(key);
    const seq = ++this.seq;
    const json = JSON.stringify(message);
    const previous = conv.entries.get(message.id);
    if (previous) {
      conv.entries.delete(message.id);
      this.bytes -= previous.json.length;
    }
    conv.entries.set(message.id, { message, json, createdSeq: previous?.createdSeq ?? seq, seq });
    this.bytes += json.length;
    this.evict(key);
    const event: HubEvent = { id: this.eventId(seq), event: previous ? 'message.edit' : 'message.new', json };
    for (const listener of conv.listeners) listener(event);
    return event;
  }

  /**
   * Applies a message as another server process published it (see ConversationFanout). The same
   * version delivered twice pushes nothing the second time, and the first version of a message
   * arriving after an edit of it is dropped, so a browser never sees a message twice or go back
   * to its acknowledgement. Returns the event pushed, or null.
   */
  merge(key: string, message: WebChatMessage): HubEvent | null {
    const kept = this.conversations.get(key)?.entries.get(message.id);
    if (kept) {
      if (kept.message.editedAt !== undefined && message.editedAt === undefined) return null;
      if (kept.json === JSON.stringify(message)) return null;
    }
    return this.publish(key, message);
  }

  /**
   * Events a stream should get on (re)connecting: those after `lastEventId`, or everything kept
   * when the id is absent, from another process or restart, or older than what is kept.
   */
  replay(key: string, lastEventId: string | null): HubEvent[] {
    const conv = this.conversations.get(key);
    if (!conv) return [];
    const after = this.parseEventId(lastEventId);
    const out: HubEvent[] = [];
    for (const entry of conv.entries.values()) {
      if (entry.seq <= after) continue;
      out.push({ id: this.eventId(entry.seq), event: entry.createdSeq > after ? 'message.new' : 'message.edit', json: entry.json });
    }
    return out;
  }

  /** Adds a listener for new events of a conversation; returns the function that removes it. */
  subscribe(key: string, listener: Listener): () => void {
    const conv = this.touch(key);
    conv.listeners.add(listener);
    return () => {
      conv.listeners.delete(listener);
      if (conv.listeners.size === 0 && conv.entries.size === 0) this.conversations.delete(key);
    };
  }

  /** Bytes currently kept (for tests and metrics). */
  get size(): number {
    return this.bytes;
  }

  private eventId(seq: number): string {
    return `${this.epoch}.${seq}`;
  }

  /** Sequence number to replay after; 0 (everything) for unknown ids. */
  private parseEventId(id: string | null): number {
    if (!id) return 0;
    const [epoch, seq] = id.split('.');
    const n = Number(seq);
    return epoch === this.epoch && Number.isSafeInteger(n) && n > 0 && n <= this.seq ? n : 0;
  }

  private touch(key: string): Conversation {
    let conv = this.conversations.get(key);
    if (conv) this.conversations.delete(key);
    else conv = { entries: new Map(), listeners: new Set() };
    this.conversations.set(key, conv);
    return conv;
  }

  private evict(activeKey: string): void {
    const active = this.conversations.get(activeKey)!;
    while (active.entries.size > this.options.perConversation) this.dropOldest(activeKey, active);
    for (const [key, conv] of this.conversations) {
      if (this.bytes <= this.options.maxBytes) break;
      // Never drop the message just published: the budget is a bound, not a veto.
      while (this.bytes > this.options.maxBytes && conv.entries.size > (key === activeKey ? 1 : 0)) this.dropOldest(key, conv);
    }
  }

  private dropOldest(key: string, conv: Conversation): void {
    const first = conv.entries.entries().next();
    if (first.done) return;
    conv.entries.delete(first.value[0]);
    this.bytes -= first.value[1].json.length;
    if (conv.entries.size === 0 && conv.listeners.size === 0) this.conversations.delete(key);
  }
}
