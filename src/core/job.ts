import type { ThreadRef } from './thread-ref.js';

/** Job states; see DESIGN.md. */
export const JOB_STATES = ['queuing', 'sent', 'running', 'succeeded', 'failed', 'expired', 'cancelled'] as const;
export type JobState = (typeof JOB_STATES)[number];

export const TERMINAL_STATES: readonly JobState[] = ['succeeded', 'failed', 'expired', 'cancelled'];
export const ACTIVE_STATES: readonly JobState[] = ['queuing', 'sent', 'running'];

/** Allowed transitions. Anything else is refused with SKADI_INVALID_TRANSITION. */
export const TRANSITIONS: Readonly<Record<JobState, readonly JobState[]>> = {
  queuing: ['sent', 'expired', 'cancelled'],
  sent: ['running', 'queuing', 'expired', 'cancelled'],
  running: ['succeeded', 'failed', 'expired', 'cancelled'],
  succeeded: [],
  failed: [],
  expired: [],
  cancelled: [],
};

export function isTerminal(state: JobState): boolean {
  return TERMINAL_STATES.includes(state);
}

export function canTransition(from: JobState, to: JobState): boolean {
  return TRANSITIONS[from].includes(to);
}

/** Who asked for the job: an access-control identity such as `slack:T1/U2`, `web:alice`, `api:ci`. */
export interface Requester {
  identity: string;
  displayName?: string;
}

export interface Job {
  id: string;
  agent: string;
  message: string;
  requester: Requester;
  thread: ThreadRef | null;
  state: JobState;
  /** Why the job is in its state, for expired/cancelled/failed (e.g. `agent-offline`, `timeout`). */
  reason: string | null;
  /** Increments on every transition; the version of the last EventJobStatus. */
  version: number;
  /** Delivery attempt; increments when an unacknowledged job goes back to the queue. */
  attempt: number;
  leaseId: string | null;
  ackDeadline: Date | null;
  /** After this instant a job that has not finished expires (job timeout). */
  expiresAt: Date;
  timeoutMs: number;
  exitCode: number | null;
  output: string | null;
  outputTruncated: boolean;
  /** Job this one re-runs or belongs to (fan-out parent), if any. */
  parentId: string | null;
  /**
   * The server's Ed25519 signature over the job (src/core/job-signature.ts), made at creation;
   * `createdAt` is its `issuedAt`. Null or absent for jobs created unsigned.
   */
  signature?: string | null;
  /** Set on a fan-out parent (src/core/fan-out.ts): its selector, options, targets and progress. */
  fanout?: FanOutPlan | null;
  createdAt: Date;
  sentAt: Date | null;
  runningAt: Date | null;
  finishedAt: Date | null;
  updatedAt: Date;
}

/** Why a matching agent got no child job. */
export type FanOutSkipReason = 'offline' | 'not-allowed' | 'unavailable';

export interface FanOutSkip {
  agent: string;
  why: FanOutSkipReason;
  /** The refusal sentence, or the error that kept the child from being created. */
  detail?: string;
}

/** The parent's plan and progress, changed only by a compare-and-set on the parent's version. */
export interface FanOutPlan {
  selector: string;
  /** Most children in flight (queuing, sent, running) at once. */
  concurrency: number;
  /** Stop starting children once failed + expired reach this; 0: never stop. */
  maxFailures: number;
  /** Agents that get a child, in start order. */
  targets: string[];
  /** Matching agents that get none (offline, not allowed at planning; unavailable when the child could not be created). */
  skipped: FanOutSkip[];
  /** targets[0 .. started) have a child (or are having one created). */
  started: number;
  /** Why no further child starts (`max-failures`), or null. */
  stopped: string | null;
  /** Finished children when the last progress event was written (one event per change). */
  reported: number;
}
