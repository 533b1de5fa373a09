import type { ChatAdapter } from '../../src/core/index.js';

/** A message as the platform peer (the fake Slack, the browser, the mailbox) received it. */
export interface ReceivedMessage {
  conversationId: string;
  threadId?: string;
  /** The id send() returned for it; an edit keeps the id. */
  messageId: string;
  /** What the peer shows as the message body (markup is fine: the suite compares content loosely). */
  text: string;
  /** True once the adapter edited the message. */
  edited: boolean;
  /** An attachment (file, snippet) that came with the message. */
  file?: { name: string; content: string };
}

export interface DeliverInput {
  text: string;
  /** The platform user id; the adapter's identity for it must be `<platform>:…` and contain it. */
  user: string;
  /** Platform conversation (channel, chat, mailbox folder); the harness picks one when absent. */
  conversation?: string;
  /** Thread within the conversation; absent starts a new thread (or none, on platforms without threads). */
  thread?: string;
  /** The platform's message/event id; the harness generates one when absent. Reused to simulate a platform retry. */
  id?: string;
  isBot?: boolean;
}

/**
 * What each adapter's test provides to run `chatAdapterContract` against it: the adapter and a
 * peer that plays the platform (an in-process fake server, a real browser page, …).
 */
export interface ChatAdapterHarness {
  adapter: ChatAdapter;
  /**
   * Makes the platform peer deliver a user message addressed to the bot (adding the platform's
   * mention syntax if it has one). Resolves when the peer got the platform's acknowledgement.
   */
  deliver(input: DeliverInput): Promise<void>;
  /**
   * What the platform peer has received from the adapter so far, oldest first. An edit may either
   * update the entry in place or appear as a later entry with the same messageId and
   * `edited: true`; the suite reads the last entry for each messageId.
   */
  received(): Promise<ReceivedMessage[]>;
  /** Releases what the harness holds (servers, browsers). The suite calls adapter.stop() itself first. */
  close(): Promise<void>;
}
