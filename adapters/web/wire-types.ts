import type { AgentStatus, JobState, MessageStatus } from '../../src/core/index.js';

/**
 * What the web adapter sends to the browser. Every string in here may be hostile (job output,
 * agent names, display names): the page renders them with textContent only.
 */

/** A downloadable text attachment: job output, or a text longer than the adapter's limit. */
export interface WebFile {
  name: string;
  content: string;
  /** `output` for a message's code block, `text` for the full text of an over-long message. */
  kind: 'output' | 'text';
}

/** One chat message as the browser sees it (SSE `message.new` / `message.edit`). */
export interface WebChatMessage {
  /** Client message id for the user's messages, server id for the bot's. */
  id: string;
  /** The browser's conversation id (without the user prefix the server keeps). */
  conversationId: string;
  threadId: string;
  author: { kind: 'user' | 'bot'; name: string };
  text: string;
  status?: MessageStatus;
  title?: string;
  fields?: Array<{ label: string; value: string }>;
  files?: WebFile[];
  jobId?: string;
  actions?: Array<{ id: 'cancel' | 'rerun'; label: string; jobId: string }>;
  /** ISO time the message was first sent. */
  at: string;
  /** ISO time of the last edit, when edited. */
  editedAt?: string;
}

export type WebChatEventName = 'message.new' | 'message.edit';

/** Agent row of the live side panel. */
export interface WebAgentSummary {
  name: string;
  status: AgentStatus;
  lastSeenAt: string | null;
  version: string | null;
  host: string | null;
  labels: Record<string, string>;
  revoked: boolean;
}

/** Job row of the live side panel. */
export interface WebJobSummary {
  id: string;
  agent: string;
  state: JobState;
  reason: string | null;
  requester: string;
  requesterName: string | null;
  /** The job's message, shortened for the list. */
  message: string;
  exitCode: number | null;
  createdAt: string;
  updatedAt: string;
}
