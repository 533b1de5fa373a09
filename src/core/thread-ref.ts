/**
 * Where to reply. Stored as JSON on the job row so that any server process, even after a
 * restart, can answer in the original thread.
 */
export interface ThreadRef {
  /** Platform name: `web`, `slack`, `teams`, `wechat`, `email`, `api`. */
  platform: string;
  /** Channel, chat, room, mailbox or API client the message came from. */
  conversationId: string;
  /** Thread within the conversation (Slack thread_ts, Teams replyToId, email root Message-ID); absent when the platform has no threads. */
  threadId?: string;
  /** Adapter-private data (a Teams ConversationReference, email References); only the adapter reads it. */
  opaque?: Record<string, unknown>;
}
