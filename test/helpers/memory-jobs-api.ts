import { InvalidTransitionError, NotFoundError, SkadiError, isTerminal } from '../../src/core/index.js';
import type { Agent, BusEvent, Clock, Job, JobState, JobsApi, SubmitJobInput } from '../../src/core/index.js';

let counter = 0;

/** An agent row for tests: online, seen now, no labels. */
export function testAgent(name: string, over: Partial<Agent> = {}): Agent {
  return { name, labels: {}, status: 'online', lastSeenAt: new Date(), version: '1.0.0', host: null, os: null, revokedAt: null, createdAt: new Date('2026-01-01T00:00:00Z'), ...over };
}

/** A job row for tests; ids are short and readable (`job001`). */
export function testJob(over: Partial<Job> & { agent: string }, now = new Date()): Job {
  counter += 1;
  return {
    id: `job${String(counter).padStart(3, '0')}`,
    message: 'uptime',
    requester: { identity: 'web:alice', displayName: 'alice' },
    thread: null,
    state: 'queuing',
    reason: null,
    version: 1,
    attempt: 1,
    leaseId: null,
    ackDeadline: null,
    expiresAt: new Date(now.getTime() + 600_000),
    timeoutMs: 600_000,
    exitCode: null,
    output: null,
    outputTruncated: false,
    parentId: null,
    createdAt: now,
    sentAt: null,
    runningAt: null,
    finishedAt: null,
    updatedAt: now,
    ...over,
  };
}

/**
 * In-memory JobsApi with the JobService's observable rules: unknown or revoked agents throw,
 * an offline agent's job is stored expired (`agent-offline`), cancel refuses finished jobs.
 * `move` changes a job's state the way the service would and returns the EventJobStatus.
 */
export class MemoryJobsApi implements JobsApi {
  readonly agents = new Map<string, Agent>();
  readonly jobs = new Map<string, Job>();
  readonly submitted: SubmitJobInput[] = [];

  constructor(private readonly clock: Clock = { now: () => new Date() }) {}

  addAgent(name: string, over: Partial<Agent> = {}): Agent {
    const agent = testAgent(name, { lastSeenAt: this.clock.now(), ...over });
    this.agents.set(name, agent);
    return agent;
  }

  addJob(over: Partial<Job> & { agent: string }): Job {
    const job = testJob(over, over.createdAt ?? this.clock.now());
    this.jobs.set(job.id, job);
    return job;
  }

  /** Moves a job to `to` (with a reason and fields such as output) and returns its event. */
  move(id: string, to: JobState, patch: Partial<Job> = {}): BusEvent<'EventJobStatus'> {
    const job = this.jobs.get(id);
    if (!job) throw new Error(`no job ${id}`);
    const at = this.clock.now();
    const stamps: Partial<Job> = to === 'sent' ? { sentAt: at } : to === 'running' ? { runningAt: at } : isTerminal(to) ? { finishedAt: at } : {};
    const next: Job = { ...job, ...stamps, ...patch, state: to, version: job.version + 1, updatedAt: at };
    this.jobs.set(id, next);
    return this.eventOf(next, job.state, next.reason);
  }

  /** The EventJobStatus of a job's latest transition (`from` null: its creation). */
  eventOf(job: Job, from: JobState | null, reason: string | null = job.reason): BusEvent<'EventJobStatus'> {
    return {
      id: `${job.id}:${job.version}`,
      name: 'EventJobStatus',
      payload: { jobId: job.id, agent: job.agent, from, to: job.state, reason, at: job.updatedAt.toISOString(), version: job.version, attempt: job.attempt, platform: job.thread?.platform ?? null },
    };
  }

  /** Jobs by idempotency scope and key, as the job store's unique index keeps them. */
  private readonly byIdempotency = new Map<string, Job>();

  async submit(input: SubmitJobInput): Promise<{ job: Job; created: boolean }> {
    this.submitted.push(input);
    const idempotencyId = input.idempotency ? `${input.idempotency.scope}\u0000${input.idempotency.key}` : null;
    const prior = idempotencyId ? this.byIdempotency.get(idempotencyId) : undefined;
    if (prior) return { job: prior, created: false };
    const agent = this.agents.get(input.agent);
    if (!agent) throw new NotFoundError('SKADI_AGENT_NOT_FOUND', `no agent named ${input.agent}`);
    if (agent.revokedAt) throw new SkadiError('SKADI_AGENT_REVOKED', `agent ${input.agent} was revoked`);
    const online = agent.status === 'online';
    const job = this.addJob({
      agent: input.agent,
      message: input.message,
      requester: input.requester,
      thread: input.thread,
      parentId: input.parentId ?? null,
      state: online ? 'queuing' : 'expired',
      reason: online ? null : 'agent-offline',
      finishedAt: online ? null : this.clock.now(),
    });
    if (idempotencyId) this.byIdempotency.set(idempotencyId, job);
    return { job, created: true };
  }

  async get(id: string): Promise<Job | null> {
    return this.jobs.get(id) ?? null;
  }

  async list(filter: Parameters<JobsApi['list']>[0]): Promise<Job[]> {
    return [...this.jobs.values()]
      .filter((j) => filter.agent === undefined || j.agent === filter.agent)
      .filter((j) => filter.states === undefined || filter.states.includes(j.state))
      .filter((j) => filter.requester === undefined || j.requester.identity === filter.requester)
      .filter((j) => filter.parentId === undefined || j.parentId === filter.parentId)
      .filter((j) => filter.before === undefined || j.createdAt < filter.before)
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.id.localeCompare(a.id))
      .slice(0, filter.limit);
  }

  async readOutput(id: string): Promise<string> {
    return this.jobs.get(id)?.output ?? '';
  }

  async cancel(id: string, by: string): Promise<Job> {
    const job = this.jobs.get(id);
    if (!job) throw new NotFoundError('SKADI_JOB_NOT_FOUND', `no job ${id}`);
    if (isTerminal(job.state)) throw new InvalidTransitionError(`job ${id} already ${job.state}`, { state: job.state });
    this.move(id, 'cancelled', { reason: `cancelled by ${by}` });
    return this.jobs.get(id)!;
  }

  async waitForFinal(id: string): Promise<Job | null> {
    return this.jobs.get(id) ?? null;
  }

  async listAgents(): Promise<Agent[]> {
    return [...this.agents.values()];
  }

  async getAgent(name: string): Promise<Agent | null> {
    return this.agents.get(name) ?? null;
  }
}
