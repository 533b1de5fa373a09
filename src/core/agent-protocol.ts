/**
 * The agent API (HTTP, JSON, under /api/v1/agent), shared by the server and the reference agent.
 * Every request carries `Authorization: Bearer <agent token>`.
 */

export const AGENT_API_PREFIX = '/api/v1/agent';

/** What an agent says about itself on each poll (check-in). */
export interface AgentInfo {
  version?: string;
  host?: string;
  os?: string;
  labels?: Record<string, string>;
}

/** POST /api/v1/agent/poll */
export interface PollRequest {
  /** Seconds to hold the request when no job is waiting (0-30, default 25). */
  wait?: number;
  /** Most jobs to hand out in this response (0-100, default 1); 0 polls for cancels only. */
  max?: number;
  /** Ids of jobs the agent is running now; the answer lists those cancelled since. */
  running?: string[];
  info?: AgentInfo;
}

export interface JobAssignment {
  id: string;
  lease: string;
  message: string;
  requester: string;
  attempt: number;
  /** ISO time after which the server will expire the job; the agent should stop before. */
  expiresAt: string;
  timeoutMs: number;
  /** ISO time by which the agent must ack, or the job goes back to the queue. */
  ackDeadline: string;
  /** ISO time the job was created: the `issuedAt` of its signature. Absent from servers older than signed jobs. */
  issuedAt?: string;
  /**
   * Base64 Ed25519 signature by the server's job-signing key over the canonical JSON of
   * {id, agent, message, requester, issuedAt, expiresAt} (src/core/job-signature.ts). Absent
   * when the job was created unsigned. The reference agent verifies it against its pinned key.
   */
  signature?: string;
}

export interface PollResponse {
  /** The agent the token belongs to, so the agent's own logs can name it (its config does not). */
  agent?: string;
  jobs: JobAssignment[];
  /** Ids of the agent's running jobs that were cancelled: stop them (SIGTERM, then SIGKILL). */
  cancels: string[];
}

/** POST /api/v1/agent/jobs/:id/ack */
export interface AckRequest {
  lease: string;
}

/** POST /api/v1/agent/jobs/:id/output — idempotent by seq (0, 1, 2, …). */
export interface OutputRequest {
  lease: string;
  seq: number;
  data: string;
}

export interface OutputResponse {
  /** True when the job was cancelled: stop it. */
  cancelled: boolean;
}

/** POST /api/v1/agent/jobs/:id/result — idempotent. */
export interface ResultRequest {
  lease: string;
  /** Process exit code; -1 if it could not be started or was killed. */
  exitCode: number;
  /** Number of output chunks sent (seq 0 … chunks-1); the server checks it has all of them. */
  chunks: number;
  /** Set when the agent refused or failed the job itself (no handler, spawn error, timeout). */
  error?: string;
}

export interface JobStateResponse {
  id: string;
  state: string;
}
