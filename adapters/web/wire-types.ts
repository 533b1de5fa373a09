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

/** Agent row of the live side panel and the dashboard's fleet. */
export interface WebAgentSummary {
  name: string;
  /** `online` only while the last check-in is within the server's offline threshold (as the user API says). */
  status: AgentStatus;
  lastSeenAt: string | null;
  version: string | null;
  host: string | null;
  os: string | null;
  labels: Record<string, string>;
  revoked: boolean;
  /** Jobs handed to the agent or running on it. */
  running: number;
  /** Jobs waiting for it. */
  queued: number;
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
  /** When the agent was handed the job (dispatch latency is sentAt - createdAt). */
  sentAt: string | null;
  finishedAt: string | null;
  updatedAt: string;
}

/** A job as its page shows it: the whole message and every timestamp; the output comes separately. */
export interface WebJobDetail extends WebJobSummary {
  /** The whole message (the summary's is shortened). */
  message: string;
  platform: string | null;
  attempt: number;
  timeoutMs: number;
  parentId: string | null;
  runningAt: string | null;
  expiresAt: string;
  /** The server dropped output beyond its cap. */
  outputTruncated: boolean;
  /** A fan-out parent's selector and options (its children: `/web/api/jobs?parent=<id>`); null for an ordinary job. */
  fanout: { selector: string; concurrency: number; maxFailures: number; targets: string[]; skipped: Array<{ agent: string; reason: string }>; stopped: string | null } | null;
}

/**
 * Output of a job page's stream (`output` event): `text` goes at character `offset` of what the
 * page has; `reset` means it replaces everything (the stored output changed other than by growing).
 */
export interface WebOutputChunk {
  offset: number;
  text: string;
  reset?: true;
}

/** The final states the jobs-per-minute chart stacks. */
export const FINAL_STATES = ['succeeded', 'failed', 'expired', 'cancelled'] as const;
export type FinalState = (typeof FINAL_STATES)[number];

/** Dispatch latency (sentAt - createdAt) of the jobs handed out in one period, in milliseconds. */
export interface WebLatency {
  count: number;
  p50: number;
  p95: number;
  max: number;
}

/** The dashboard's charts (live `stats` event): the last hour, one bucket per minute, oldest first. */
export interface WebStats {
  /** ISO start of the first bucket; bucket i starts `i * bucketMs` later. */
  from: string;
  bucketMs: number;
  /** Jobs that finished in each minute, by final state. */
  finished: Array<Record<FinalState, number>>;
  /** Dispatch latency of the jobs handed to an agent in each minute; null for a minute without any. */
  latency: Array<WebLatency | null>;
  /** Over the whole hour. */
  totals: Record<FinalState, number> & { latency: WebLatency | null };
  /** More jobs fell in the hour than the dashboard read when it started; the charts miss some. */
  partial: boolean;
}
