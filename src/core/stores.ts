import type { Agent } from './agent.js';
import type { BusEvent, EventName, EventPayload } from './events.js';
import type { FanOutPlan, Job, JobState, Requester } from './job.js';
import type { ThreadRef } from './thread-ref.js';

/**
 * Storage seams. The TypeORM implementation (SQLite and MySQL/MariaDB) lives in src/store;
 * test/contract/stores.contract.ts runs the same suite against both.
 */

export interface NewJob {
  id: string;
  agent: string;
  message: string;
  requester: Requester;
  thread: ThreadRef | null;
  /** `queuing` normally; `expired` when the agent is offline at creation. */
  state: 'queuing' | 'expired';
  reason: string | null;
  timeoutMs: number;
  expiresAt: Date;
  parentId: string | null;
  createdAt: Date;
  /** The server's signature over (id, agent, message, requester, createdAt, expiresAt); see src/core/job-signature.ts. */
  signature?: string | null;
  /** Idempotency-Key of the user API, scoped to the token that sent it. */
  idempotency?: { scope: string; key: string; fingerprint: string };
  /** An audit entry written in the job's own transaction (one commit, not two). */
  audit?: AuditEntry;
}

export interface JobPatch {
  leaseId?: string | null;
  ackDeadline?: Date | null;
  /** Adds one to `attempt` (redelivery). */
  incrementAttempt?: boolean;
  exitCode?: number | null;
  /** Replace the job's output with the concatenation of its stored chunks (in seq order). */
  collectOutput?: boolean;
  /** Set the job's output to this (the service collected and redacted it); wins over collectOutput. */
  output?: string;
  /** The server dropped output beyond its cap (said so in the reply, never silently). */
  outputTruncated?: boolean;
}

export interface TransitionRequest {
  jobId: string;
  /** The transition happens only if the job is in one of these states (compare-and-set). */
  from: readonly JobState[];
  to: JobState;
  /** When set, the job's current lease must equal this (null: must have no lease). */
  expectLeaseId?: string | null;
  /** When set, the job must belong to this agent (agent API calls can touch only their own jobs). */
  expectAgent?: string;
  reason?: string | null;
  patch?: JobPatch;
  at: Date;
}

/** An event waiting in the outbox (transactional with the transition that caused it). */
export interface OutboxEvent<N extends EventName = EventName> extends BusEvent<N> {
  createdAt: Date;
}

export interface TransitionResult {
  job: Job;
  event: OutboxEvent<'EventJobStatus'>;
}

export interface JobListFilter {
  agent?: string;
  states?: readonly JobState[];
  requester?: string;
  parentId?: string;
  /** Jobs created strictly before this instant (paging, newest first). */
  before?: Date;
  limit: number;
}

export interface JobStore {
  /** Inserts the job and its first EventJobStatus (from null) in one transaction. */
  create(job: NewJob, outboxClaimUntil: Date): Promise<TransitionResult>;
  get(id: string): Promise<Job | null>;
  findByIdempotencyKey(scope: string, key: string): Promise<{ job: Job; fingerprint: string } | null>;
  list(filter: JobListFilter): Promise<Job[]>;
  /** Compare-and-set on (id, state, lease); writes the outbox event in the same transaction. Null when the CAS failed. */
  transition(req: TransitionRequest, outboxClaimUntil: Date): Promise<TransitionResult | null>;
  /**
   * Hands out up to `max` queuing jobs of `agent` (oldest first): queuing -> sent with a fresh
   * lease each and `ackDeadline`. Safe against concurrent callers in other processes.
   * `hint`: ids of jobs just queued for the agent (the wake-up that ended a held poll named them);
   * the store may claim those by primary key instead of searching the queue, and searches when
   * it cannot or when another caller took them.
   */
  claimQueued(agent: string, max: number, leases: () => string, ackDeadline: Date, at: Date, outboxClaimUntil: Date, hint?: readonly string[]): Promise<TransitionResult[]>;
  /** Jobs in `sent` whose ack deadline passed. */
  findAckOverdue(now: Date, limit: number): Promise<Job[]>;
  /** Jobs in an active state whose expiresAt passed. */
  findTimedOut(now: Date, limit: number): Promise<Job[]>;
  /** Active jobs of one agent in the given states. */
  findActiveByAgent(agent: string, states: readonly JobState[], limit: number): Promise<Job[]>;
  /** Stores a chunk of output; false if that seq was already stored (idempotent). */
  appendOutput(jobId: string, seq: number, data: string): Promise<boolean>;
  /** Number of distinct chunks stored and the total size in characters. */
  outputStats(jobId: string): Promise<{ chunks: number; maxSeq: number; size: number }>;
  readOutput(jobId: string): Promise<string>;
  /** Job counts by state (dashboard, metrics). */
  countByState(): Promise<Partial<Record<JobState, number>>>;
}

export interface NewAgent {
  name: string;
  labels: Record<string, string>;
  createdAt: Date;
}

export interface CheckIn {
  at: Date;
  version?: string | null;
  host?: string | null;
  os?: string | null;
  /** Labels the agent reports from its own config; merged over the admin's labels. */
  labels?: Record<string, string>;
}

export interface AgentStore {
  /** Throws SkadiError SKADI_AGENT_EXISTS when the name is taken. */
  create(agent: NewAgent): Promise<Agent>;
  get(name: string): Promise<Agent | null>;
  list(): Promise<Agent[]>;
  /** Records a check-in and sets status online. Returns the status before (for came-back events). */
  checkIn(name: string, info: CheckIn): Promise<Agent['status'] | null>;
  /** online -> offline if last seen before `seenBefore` (compare-and-set). True if this call changed it. */
  markOffline(name: string, seenBefore: Date): Promise<boolean>;
  /** Agents marked online whose last check-in is before `seenBefore`. */
  findStale(seenBefore: Date, limit: number): Promise<Agent[]>;
  setLabels(name: string, labels: Record<string, string>): Promise<void>;
  /**
   * Changes the admin's labels only (never copies what the agent reports into them): sets
   * `set`, then removes the keys in `remove`, atomically. Returns the admin labels after, and
   * the labels the agent reports (which win over the admin's on read). Throws
   * SKADI_AGENT_NOT_FOUND for an unknown agent.
   */
  patchLabels(name: string, set: Record<string, string>, remove: readonly string[]): Promise<{ admin: Record<string, string>; reported: Record<string, string> }>;
  revoke(name: string, at: Date): Promise<boolean>;
}

export type TokenKind = 'agent' | 'user';

export interface ApiToken {
  /** Public part of the token (its prefix), used to look it up. */
  id: string;
  kind: TokenKind;
  /** Agent name for agent tokens; access-control identity (e.g. `api:ci`) for user tokens. */
  subject: string;
  name: string;
  /** SHA-256 (hex) of the secret part. */
  hash: string;
  createdAt: Date;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

export interface TokenStore {
  create(token: Omit<ApiToken, 'revokedAt' | 'lastUsedAt'>): Promise<void>;
  get(id: string): Promise<ApiToken | null>;
  list(kind?: TokenKind): Promise<ApiToken[]>;
  revoke(id: string, at: Date): Promise<boolean>;
  revokeAllOf(kind: TokenKind, subject: string, at: Date): Promise<number>;
}

export interface AuditEntry {
  at: Date;
  /** Identity that acted: `web:alice`, `agent:web-1`, `cli`, `system`. */
  actor: string;
  action: string;
  target: string | null;
  decision: 'allow' | 'deny' | 'info';
  detail: Record<string, unknown> | null;
}

export interface AuditStore {
  append(entry: AuditEntry): Promise<void>;
  list(limit: number, actor?: string): Promise<(AuditEntry & { id: number })[]>;
}

export interface OutboxStore {
  /** Adds an event that is not tied to a job transition (e.g. EventMessage). */
  add<N extends EventName>(name: N, payload: EventPayload<N>, id: string, at: Date, claimUntil: Date): Promise<OutboxEvent<N>>;
  /** Takes up to `limit` unrelayed events whose claim expired, oldest first, claiming them until `claimUntil`. */
  claimUnrelayed(now: Date, claimUntil: Date, limit: number): Promise<OutboxEvent[]>;
  markRelayed(ids: readonly string[], at: Date): Promise<void>;
  /** Number of events not yet relayed (bus lag, /metrics). */
  countUnrelayed(): Promise<number>;
  /** Deletes relayed events older than `before`. */
  prune(before: Date): Promise<number>;
}

/** A reply the router must send at most once per (job, key), across processes and restarts. */
export interface ReplyRecord {
  jobId: string;
  /** `queued`, `running`, `result`, … */
  key: string;
  state: 'claimed' | 'sent';
  owner: string;
  claimedUntil: Date;
  messageId: string | null;
  sentAt: Date | null;
}

export interface ReplyStore {
  /** Claims (job, key) for `owner` if unclaimed, or claimed by someone whose claim expired. False if sent or held. */
  claim(jobId: string, key: string, owner: string, now: Date, until: Date): Promise<boolean>;
  markSent(jobId: string, key: string, owner: string, messageId: string | null, at: Date): Promise<void>;
  /** Gives a claim back after a failed send so it can be retried. */
  release(jobId: string, key: string, owner: string): Promise<void>;
  /**
   * Deletes the unsent claims whose owner starts with `ownerPrefix`, except `keep`'s: a restarted
   * process frees what its previous run held when it died, instead of waiting out the claims.
   * Returns how many were freed.
   */
  releaseAbandoned(ownerPrefix: string, keep: string): Promise<number>;
  get(jobId: string, key: string): Promise<ReplyRecord | null>;
  list(jobId: string): Promise<ReplyRecord[]>;
}

/** Small durable values for adapters (e.g. the email adapter's last UID). */
export interface KeyValueStore {
  get<T>(key: string): Promise<T | null>;
  /** Stores a value, replacing any entry; with `expiresAt` it counts as absent after that instant (default: never expires). */
  set<T>(key: string, value: T, expiresAt?: Date | null): Promise<void>;
  /** Inserts only if absent; true if inserted. Used to de-duplicate inbound messages across processes. */
  setIfAbsent<T>(key: string, value: T, expiresAt: Date | null): Promise<boolean>;
  /** Deletes entries whose expiry passed. */
  prune(now: Date): Promise<number>;
}

/** Storage of fan-out parents (the children are stored as ordinary jobs). */
export interface FanOutStore {
  /** Inserts the parent in state `running` with its plan, and its first EventJobStatus (null → running), in one transaction. */
  createParent(job: NewJob, plan: FanOutPlan, outboxClaimUntil: Date): Promise<TransitionResult>;
  /**
   * Compare-and-set of the plan on (id, version, state running): writes `plan`, bumps the version
   * and writes a progress EventJobStatus (running → running, reason `progress`) in one
   * transaction. Null when another writer got there first.
   */
  advance(parentId: string, expectVersion: number, plan: FanOutPlan, at: Date, outboxClaimUntil: Date): Promise<TransitionResult | null>;
  /** Parents still running (the sweep advances them in case an event was missed). */
  findRunningParents(limit: number): Promise<Job[]>;
  /** Active children whose fan-out parent already ended (the sweep cancels them). */
  findOrphanedChildren(limit: number): Promise<Job[]>;
}

/** All stores over one database connection. */
export interface Stores {
  jobs: JobStore;
  agents: AgentStore;
  tokens: TokenStore;
  audit: AuditStore;
  outbox: OutboxStore;
  replies: ReplyStore;
  kv: KeyValueStore;
  /** Fan-out parents (their children are ordinary jobs). */
  fanOuts: FanOutStore;
  /** Throws if the database is unreachable (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
