import type { Agent } from './agent.js';
import type { Job, JobState, Requester } from './job.js';
import type { AuditEntry, JobListFilter } from './stores.js';
import type { ThreadRef } from './thread-ref.js';

export interface SubmitJobInput {
  agent: string;
  message: string;
  requester: Requester;
  thread: ThreadRef | null;
  timeoutMs?: number;
  parentId?: string | null;
  idempotency?: { scope: string; key: string; fingerprint: string };
  /** Audited with the job, in its transaction, only if it is created: `target` is the new job's id, `at` its creation. */
  audit?: Omit<AuditEntry, 'at' | 'target'>;
}

/**
 * What the chat layer and the user API may do with jobs and agents. Implemented by
 * JobService (src/jobs); commands receive it, never the stores.
 */
export interface JobsApi {
  /**
   * Creates a job. Throws SKADI_AGENT_NOT_FOUND / SKADI_AGENT_REVOKED. A job for an offline
   * agent is stored and expires at once (state `expired`, reason `agent-offline`).
   * With an idempotency key already used, returns the first job (`created: false`).
   */
  submit(input: SubmitJobInput): Promise<{ job: Job; created: boolean }>;
  get(id: string): Promise<Job | null>;
  list(filter: JobListFilter): Promise<Job[]>;
  /** The job's output so far: the chunks stored while it runs, its collected output once finished ('' if none). */
  readOutput(id: string): Promise<string>;
  /** Cancels an active job; throws SKADI_JOB_NOT_FOUND or SKADI_INVALID_TRANSITION when it already finished. */
  cancel(id: string, by: string): Promise<Job>;
  /** Resolves with the job once it is terminal, or as it is when `timeoutMs` passes. */
  waitForFinal(id: string, timeoutMs: number): Promise<Job | null>;
  listAgents(): Promise<Agent[]>;
  getAgent(name: string): Promise<Agent | null>;
}

export type { JobState };
