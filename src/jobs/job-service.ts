import { randomId, newJobId } from '../core/ids.js';
import { SkadiError, NotFoundError, InvalidTransitionError } from '../core/errors.js';
import { ACTIVE_STATES, isTerminal, type Job, type JobState } from '../core/job.js';
import { AGENT_NAME_PATTERN, type Agent } from '../core/agent.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { Notifier } from '../core/event-bus.js';
import type { EventAgentStatusPayload } from '../core/events.js';
import type { JobListFilter, NewJob, OutboxEvent, Stores, TransitionRequest, TransitionResult } from '../core/stores.js';
import type { SignedJobFields } from '../core/job-signature.js';
import type { Redactor } from '../core/redaction.js';
import type { JobsApi, SubmitJobInput } from '../core/jobs-api.js';
import type { AgentInfo, JobAssignment, PollRequest, PollResponse, ResultRequest } from '../core/agent-protocol.js';
import { createAgentWaiters, type AgentWaiters } from './agent-waiters.js';

export interface JobServiceOptions {
  timeoutMs: number;
  ackTimeoutMs: number;
  offlineAfterMs: number;
  pollWaitMaxMs: number;
  maxOutput: number;
  maxMessageLength: number;
  /** How long the writer of an outbox event owns it before the relay sweep may take it. */
  outboxClaimMs?: number;
  /** A check-in is written at most this often per agent (each poll still counts). */
  checkInWriteMs?: number;
  /** Most jobs of one agent sent or running at once; 0 or absent: no limit here. */
  maxConcurrentJobs?: number;
}

export interface JobServiceDeps {
  stores: Pick<Stores, 'jobs' | 'agents' | 'audit'>;
  notifier: Notifier;
  /** Publishes freshly written outbox events (the relay's fast path). */
  relay: { relayNow(events: OutboxEvent[]): void };
  clock: Clock;
  logger: Logger;
  waiters?: AgentWaiters;
  /** An agent went offline (sweep) or came back (check-in); publishes EventAgentStatus. Must not throw. */
  onAgentStatus?: (change: EventAgentStatusPayload) => Promise<void>;
  /** A job was handed to its agent this long after it was created (dispatch latency metric). */
  onDispatched?: (latencyMs: number) => void;
  /** Signs each job at creation (stored with it, handed out with it, verified by the agent). None: jobs are unsigned. */
  signer?: { sign(fields: SignedJobFields): string };
  /** Configured secrets taken out of output and failure reasons before they are stored. */
  redactor?: Redactor;
}

/**
 * Channel of the notifier carrying wake-ups: `a <agent> [<origin>]` (work for an agent; origin
 * names the sending service, which ignores its own), `c <agent> <jobId>` (its job was
 * cancelled), `f <jobId>` (job finished).
 */
export const WAKE_CHANNEL = 'wake';

export interface JobService extends JobsApi {
  poll(agent: string, req: PollRequest, signal?: AbortSignal): Promise<PollResponse>;
  ack(agent: string, jobId: string, lease: string): Promise<Job>;
  output(agent: string, jobId: string, lease: string, seq: number, data: string): Promise<{ cancelled: boolean }>;
  result(agent: string, jobId: string, req: ResultRequest): Promise<Job>;
  /** Starts listening for wake-ups from other processes. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Puts jobs that were claimed for an agent but never delivered back in the queue. */
  releaseUndelivered(jobs: readonly { id: string; agent: string; leaseId: string | null }[]): Promise<void>;
  /** Number of long-polls held open in this process. */
  heldPolls(): number;
  /**
   * Shutdown: answers the held long-polls now and holds no new ones, so closing the HTTP server
   * does not wait up to a poll's full wait for them; the agents poll again (another process, or
   * this one after its restart).
   */
  releasePolls(): void;
  /** Applies the timer rules once: ack deadlines, job timeouts, offline agents. */
  sweep(): Promise<{ redelivered: number; timedOut: number; offline: string[] }>;
}

/**
 * The job state machine. Every transition is a compare-and-set in the store, so any number of
 * server processes may run this service (and its timers) on one database.
 */
export function createJobService(options: JobServiceOptions, deps: JobServiceDeps): JobService {
  const { stores, notifier, relay, clock, logger } = deps;
  const waiters = deps.waiters ?? createAgentWaiters();
  const claimMs = options.outboxClaimMs ?? 5000;
  const checkInWriteMs = options.checkInWriteMs ?? Math.min(5000, options.offlineAfterMs / 4);
  const lastCheckInWrite = new Map<string, { at: number; info: string }>();
  const finalWaiters = new Map<string, Set<() => void>>();
  let unlisten: (() => Promise<void>) | null = null;
  /** Tells this service's wake-ups from other processes' on the notifier. */
  const origin = randomId(8);
  let releasing = false;

  const claimUntil = () => new Date(clock.now().getTime() + claimMs);

  /** `queuedJobId`: the job just queued (by this process) that the wake-up is for. */
  function wakeAgent(agent: string, cancelledJobId?: string, queuedJobId?: string): void {
    waiters.wake(agent, cancelledJobId, queuedJobId);
    notifier.notify(WAKE_CHANNEL, cancelledJobId ? `c ${agent} ${cancelledJobId}` : `a ${agent} ${origin}`).catch((err) => logger.warn({ err, agent, ...(cancelledJobId ? { jobId: cancelledJobId } : {}) }, 'wake-up not sent; the agent finds the job on its next poll'));
  }

  function announceFinal(jobId: string): void {
    fireFinal(jobId);
    notifier.notify(WAKE_CHANNEL, `f ${jobId}`).catch(() => undefined);
  }

  function fireFinal(jobId: string): void {
    const set = finalWaiters.get(jobId);
    if (set) for (const fire of [...set]) fire();
  }

  function published(results: TransitionResult[]): void {
    if (results.length) relay.relayNow(results.map((r) => r.event));
  }

  async function transition(req: Omit<TransitionRequest, 'at'>): Promise<Job | null> {
    const result = await stores.jobs.transition({ ...req, at: clock.now() }, claimUntil());
    if (!result) return null;
    published([result]);
    if (isTerminal(result.job.state)) announceFinal(result.job.id);
    logger.debug({ jobId: result.job.id, agent: result.job.agent, from: result.event.payload.from, to: result.job.state, reason: result.job.reason }, 'job transition');
    return result.job;
  }

  function isOnline(agent: Agent, now: Date): boolean {
    return agent.status === 'online' && agent.lastSeenAt !== null && now.getTime() - agent.lastSeenAt.getTime() < options.offlineAfterMs;
  }

  /** The agent's job, or SKADI_JOB_NOT_FOUND: an agent never learns about another agent's jobs. */
  async function ownJob(agent: string, jobId: string): Promise<Job> {
    const job = await stores.jobs.get(jobId);
    if (!job || job.agent !== agent) throw new NotFoundError('SKADI_JOB_NOT_FOUND', `no job ${jobId} for agent ${agent}`);
    return job;
  }

  function assertLease(job: Job, lease: string): void {
    if (job.leaseId !== lease) throw new SkadiError('SKADI_LEASE_MISMATCH', `lease ${lease} is not the current lease of job ${job.id} (it was redelivered or finished)`, { state: job.state });
  }

  async function checkIn(agent: string, info: AgentInfo | undefined): Promise<void> {
    const now = clock.now();
    const infoKey = info ? JSON.stringify(info) : '';
    const last = lastCheckInWrite.get(agent);
    if (last && now.getTime() - last.at < checkInWriteMs && last.info === infoKey) return;
    lastCheckInWrite.set(agent, { at: now.getTime(), info: infoKey });
    const before = await stores.agents.checkIn(agent, { at: now, version: info?.version ?? null, host: info?.host ?? null, os: info?.os ?? null, labels: info?.labels });
    if (before === 'offline') {
      logger.info({ agent }, 'agent is back online');
      await stores.audit.append({ at: now, actor: `agent:${agent}`, action: 'agent.online', target: agent, decision: 'info', detail: null });
      await deps.onAgentStatus?.({ agent, from: 'offline', to: 'online', at: now.toISOString(), lastSeenAt: now.toISOString(), version: info?.version ?? null });
    }
  }

  function assignment(job: Job): JobAssignment {
    return {
      id: job.id,
      lease: job.leaseId!,
      message: job.message,
      requester: job.requester.identity,
      attempt: job.attempt,
      expiresAt: job.expiresAt.toISOString(),
      timeoutMs: job.timeoutMs,
      ackDeadline: (job.ackDeadline ?? job.expiresAt).toISOString(),
      issuedAt: job.createdAt.toISOString(),
      ...(job.signature ? { signature: job.signature } : {}),
    };
  }

  /** Signed at creation, not at hand-out: a row forged in the database later has no valid signature. */
  function signed(job: NewJob): NewJob {
    if (!deps.signer) return job;
    const fields = { id: job.id, agent: job.agent, message: job.message, requester: job.requester.identity, issuedAt: job.createdAt.toISOString(), expiresAt: job.expiresAt.toISOString() };
    return { ...job, signature: deps.signer.sign(fields) };
  }

  /** `max`, lowered so the agent holds at most maxConcurrentJobs (approximate across processes polling at once). */
  async function room(agent: string, max: number): Promise<number> {
    const cap = options.maxConcurrentJobs ?? 0;
    if (cap <= 0 || max <= 0) return max;
    const busy = await stores.jobs.findActiveByAgent(agent, ['sent', 'running'], cap);
    return Math.min(max, cap - busy.length);
  }

  /** The job's final output: collected by the store, or here when it must be redacted first. */
  async function finalOutput(jobId: string): Promise<{ collectOutput: true } | { output: string }> {
    if (!deps.redactor || deps.redactor.empty) return { collectOutput: true };
    // Again over the whole text: a secret split across two chunks escaped the per-chunk pass.
    return { output: deps.redactor.redact(await stores.jobs.readOutput(jobId)) };
  }

  async function claim(agent: string, max: number, hint?: readonly string[]): Promise<Job[]> {
    if (max <= 0) return [];
    const now = clock.now();
    const results = await stores.jobs.claimQueued(agent, max, () => randomId(16), new Date(now.getTime() + options.ackTimeoutMs), now, claimUntil(), hint);
    published(results);
    if (deps.onDispatched) for (const r of results) deps.onDispatched(now.getTime() - r.job.createdAt.getTime());
    return results.map((r) => r.job);
  }

  async function cancelsFor(agent: string, running: readonly string[]): Promise<string[]> {
    if (!running.length) return [];
    const jobs = await Promise.all(running.slice(0, 100).map((id) => stores.jobs.get(id)));
    return jobs.filter((j): j is Job => j !== null && j.agent === agent && (j.state === 'cancelled' || j.state === 'expired')).map((j) => j.id);
  }

  /** Jobs claimed for a poll whose answer never reached the agent go back to the queue, same attempt. */
  async function releaseUndelivered(jobs: readonly { id: string; agent: string; leaseId: string | null }[]): Promise<void> {
    for (const job of jobs) {
      await transition({ jobId: job.id, from: ['sent'], to: 'queuing', expectLeaseId: job.leaseId, reason: 'poll-aborted', patch: { leaseId: null, ackDeadline: null } });
    }
    if (jobs.length) wakeAgent(jobs[0]!.agent);
  }

  async function expireJobsOf(agent: string, reason: string): Promise<number> {
    let n = 0;
    for (;;) {
      const active = await stores.jobs.findActiveByAgent(agent, ACTIVE_STATES, 200);
      if (!active.length) return n;
      for (const job of active) if (await transition({ jobId: job.id, from: [job.state], to: 'expired', reason, patch: { leaseId: null, ackDeadline: null } })) n++;
      if (active.length < 200) return n;
    }
  }

  const service: JobService = {
    async submit(input: SubmitJobInput) {
      const message = input.message.trim();
      if (!message) throw new SkadiError('SKADI_BAD_REQUEST', 'the job message is empty');
      if (message.length > options.maxMessageLength) throw new SkadiError('SKADI_BAD_REQUEST', `the job message is ${message.length} characters; the limit is ${options.maxMessageLength}`);
      if (!AGENT_NAME_PATTERN.test(input.agent)) throw new NotFoundError('SKADI_AGENT_NOT_FOUND', `no agent named ${JSON.stringify(input.agent)}`);
      if (input.idempotency) {
        const prior = await stores.jobs.findByIdempotencyKey(input.idempotency.scope, input.idempotency.key);
        if (prior) {
          if (prior.fingerprint !== input.idempotency.fingerprint) throw new SkadiError('SKADI_IDEMPOTENCY_CONFLICT', 'this Idempotency-Key was used with a different request');
          return { job: prior.job, created: false };
        }
      }
      const agent = await stores.agents.get(input.agent);
      if (!agent) throw new NotFoundError('SKADI_AGENT_NOT_FOUND', `no agent named ${input.agent}`);
      if (agent.revokedAt) throw new SkadiError('SKADI_AGENT_REVOKED', `agent ${input.agent} was revoked`);
      const now = clock.now();
      const online = isOnline(agent, now);
      const timeoutMs = input.timeoutMs ?? options.timeoutMs;
      let result: TransitionResult;
      const id = newJobId();
      try {
        result = await stores.jobs.create(
          signed({
            id,
            agent: agent.name,
            message,
            requester: input.requester,
            thread: input.thread,
            state: online ? 'queuing' : 'expired',
            reason: online ? null : 'agent-offline',
            timeoutMs,
            expiresAt: new Date(now.getTime() + timeoutMs),
            parentId: input.parentId ?? null,
            createdAt: now,
            idempotency: input.idempotency,
            ...(input.audit ? { audit: { ...input.audit, at: now, target: id } } : {}),
          }),
          claimUntil(),
        );
      } catch (err) {
        // Two requests with one Idempotency-Key raced: the loser answers with the winner's job.
        if (input.idempotency) {
          const prior = await stores.jobs.findByIdempotencyKey(input.idempotency.scope, input.idempotency.key);
          if (prior && prior.fingerprint === input.idempotency.fingerprint) return { job: prior.job, created: false };
          if (prior) throw new SkadiError('SKADI_IDEMPOTENCY_CONFLICT', 'this Idempotency-Key was used with a different request');
        }
        throw err;
      }
      published([result]);
      if (online) wakeAgent(agent.name, undefined, result.job.id);
      else announceFinal(result.job.id);
      return { job: result.job, created: true };
    },

    get: (id) => stores.jobs.get(id),
    list: (filter: JobListFilter) => stores.jobs.list(filter),
    readOutput: (id) => stores.jobs.readOutput(id),
    listAgents: () => stores.agents.list(),
    getAgent: (name) => stores.agents.get(name),

    async cancel(id, by) {
      const job = await stores.jobs.get(id);
      if (!job) throw new NotFoundError('SKADI_JOB_NOT_FOUND', `no job ${id}`);
      if (isTerminal(job.state)) throw new InvalidTransitionError(`job ${id} already ${job.state}`, { state: job.state });
      const done = await transition({ jobId: id, from: ACTIVE_STATES, to: 'cancelled', reason: `cancelled by ${by}` });
      if (!done) {
        const now = await stores.jobs.get(id);
        throw new InvalidTransitionError(`job ${id} already ${now?.state ?? 'gone'}`, { state: now?.state });
      }
      if (job.state !== 'queuing') wakeAgent(job.agent, job.id);
      return done;
    },

    async waitForFinal(id, timeoutMs) {
      let fire!: () => void;
      const woken = new Promise<void>((r) => (fire = r));
      let set = finalWaiters.get(id);
      if (!set) finalWaiters.set(id, (set = new Set()));
      set.add(fire);
      const deadline = Date.now() + timeoutMs;
      try {
        for (;;) {
          const job = await stores.jobs.get(id);
          if (!job || isTerminal(job.state)) return job;
          const left = deadline - Date.now();
          if (left <= 0) return job;
          // Wake-ups are lossy across processes: look again every 2 s regardless.
          await Promise.race([woken, new Promise((r) => setTimeout(r, Math.min(left, 2000)))]);
        }
      } finally {
        set.delete(fire);
        if (!set.size) finalWaiters.delete(id);
      }
    },

    async poll(agent, req, signal) {
      await checkIn(agent, req.info);
      const max = Math.max(0, Math.min(req.max ?? 1, 100));
      const waitMs = Math.max(0, Math.min((req.wait ?? 25) * 1000, options.pollWaitMaxMs));
      const running = req.running ?? [];
      const deadline = Date.now() + waitMs;
      let cancelledMeanwhile: readonly string[] = [];
      /** After a wait: the jobs queued meanwhile, when the wake-ups named every one (claimed by id, no search). */
      let queuedMeanwhile: readonly string[] | undefined;
      for (;;) {
        const waiter = waiters.register(agent);
        try {
          // Without a cap no await: a woken poll starts its claim within the tick of the wake-up,
          // ahead of the submitter's own continuation (which answers the POST).
          const n = (options.maxConcurrentJobs ?? 0) > 0 ? await room(agent, max) : max;
          const [jobs, cancels] = await Promise.all([claim(agent, n, queuedMeanwhile), cancelsFor(agent, [...new Set([...running, ...cancelledMeanwhile])])]);
          if (jobs.length || cancels.length) {
            // The agent hung up while the jobs were being claimed: they go back at once rather than after the ack deadline.
            if (signal?.aborted && jobs.length) {
              await releaseUndelivered(jobs);
              return { jobs: [], cancels: [] };
            }
            return { jobs: jobs.map(assignment), cancels };
          }
          const left = deadline - Date.now();
          if (left <= 0 || releasing || signal?.aborted || !(await waiter.wait(left, signal))) return { jobs: [], cancels: [] };
          cancelledMeanwhile = waiter.cancelled;
          // Only when this round searched the queue (room for a job) and found it empty: then the
          // named jobs are all that can be queued now. Otherwise the next round searches.
          queuedMeanwhile = n > 0 && waiter.namedOnly && waiter.queued.length > 0 ? [...waiter.queued] : undefined;
        } finally {
          waiter.dispose();
        }
      }
    },

    releaseUndelivered: (jobs) => releaseUndelivered(jobs),

    async ack(agent, jobId, lease) {
      const done = await transition({ jobId, from: ['sent'], to: 'running', expectLeaseId: lease, expectAgent: agent, patch: { ackDeadline: null } });
      if (done) return done;
      const job = await ownJob(agent, jobId);
      if (job.state === 'running' && job.leaseId === lease) return job; // a repeated ack
      assertLease(job, lease);
      throw new InvalidTransitionError(`job ${jobId} is ${job.state}; only a sent job can be acknowledged`, { state: job.state });
    },

    async output(agent, jobId, lease, seq, data) {
      // Both reads at once (on MySQL side by side, not one after the other); the stats are used only once the job is known to be the agent's.
      const statsRead = stores.jobs.outputStats(jobId);
      statsRead.catch(() => undefined);
      const job = await ownJob(agent, jobId);
      if (job.state === 'cancelled' || job.state === 'expired') return { cancelled: true };
      assertLease(job, lease);
      if (job.state !== 'running') throw new InvalidTransitionError(`job ${jobId} is ${job.state}; output is taken only while it runs`, { state: job.state });
      const stats = await statsRead;
      const space = options.maxOutput - stats.size;
      const text = deps.redactor ? deps.redactor.redact(data) : data;
      // Past the cap the chunk is kept empty, so the chunk count still adds up and the reply says the output was cut.
      await stores.jobs.appendOutput(jobId, seq, space >= text.length ? text : text.slice(0, Math.max(0, space)));
      return { cancelled: false };
    },

    async result(agent, jobId, req) {
      // The usual case first: the output is complete and the compare-and-set (running, this
      // lease, this agent) takes the result. Only when it does not is the job read to say why,
      // in the order an agent needs: not its job, a repeated result, a stale lease, the wrong
      // state, missing output.
      const stats = await stores.jobs.outputStats(jobId);
      const complete = stats.chunks === req.chunks && (req.chunks === 0 || stats.maxSeq === req.chunks - 1);
      if (complete) {
        const to: JobState = req.exitCode === 0 && !req.error ? 'succeeded' : 'failed';
        const done = await transition({
          jobId,
          from: ['running'],
          to,
          expectLeaseId: req.lease,
          expectAgent: agent,
          reason: req.error === undefined ? null : deps.redactor ? deps.redactor.redact(req.error) : req.error,
          patch: { exitCode: req.exitCode, ...(await finalOutput(jobId)), outputTruncated: stats.size >= options.maxOutput },
        });
        if (done) {
          // A slot freed: a poll held while the agent was at its limit may take the next job now.
          if ((options.maxConcurrentJobs ?? 0) > 0) wakeAgent(agent);
          return done;
        }
      }
      const job = await ownJob(agent, jobId);
      if ((job.state === 'succeeded' || job.state === 'failed') && job.leaseId === req.lease) return job; // a repeated result
      assertLease(job, req.lease);
      if (job.state !== 'running') throw new InvalidTransitionError(`job ${jobId} is ${job.state}; a result is taken only for a running job`, { state: job.state });
      if (!complete) {
        throw new SkadiError('SKADI_OUTPUT_INCOMPLETE', `the server has ${stats.chunks} of ${req.chunks} output chunks; send the missing ones, then the result again`, { have: stats.chunks });
      }
      throw new InvalidTransitionError(`job ${jobId} is ${job.state}; the result was not recorded`, { state: job.state });
    },

    async sweep() {
      const now = clock.now();
      let redelivered = 0;
      for (const job of await stores.jobs.findAckOverdue(now, 500)) {
        const done = await transition({ jobId: job.id, from: ['sent'], to: 'queuing', expectLeaseId: job.leaseId, reason: 'ack-timeout', patch: { leaseId: null, ackDeadline: null, incrementAttempt: true } });
        if (done) {
          redelivered++;
          wakeAgent(job.agent);
        }
      }
      let timedOut = 0;
      for (const job of await stores.jobs.findTimedOut(now, 500)) {
        if (await transition({ jobId: job.id, from: [job.state], to: 'expired', reason: 'timeout', patch: { ackDeadline: null } })) {
          timedOut++;
          if (job.state !== 'queuing') wakeAgent(job.agent, job.id);
        }
      }
      const offline: string[] = [];
      const seenBefore = new Date(now.getTime() - options.offlineAfterMs);
      for (const agent of await stores.agents.findStale(seenBefore, 500)) {
        // Jobs first, then the flag: a crash in between leaves the agent stale, so the next sweep finishes the work.
        const expired = await expireJobsOf(agent.name, 'agent-offline');
        if (await stores.agents.markOffline(agent.name, seenBefore)) {
          offline.push(agent.name);
          lastCheckInWrite.delete(agent.name);
          logger.warn({ agent: agent.name, lastSeenAt: agent.lastSeenAt, expiredJobs: expired }, 'agent offline');
          await stores.audit.append({ at: now, actor: 'system', action: 'agent.offline', target: agent.name, decision: 'info', detail: { expiredJobs: expired } });
          await deps.onAgentStatus?.({ agent: agent.name, from: 'online', to: 'offline', at: now.toISOString(), lastSeenAt: agent.lastSeenAt?.toISOString() ?? null, version: agent.version });
        }
      }
      return { redelivered, timedOut, offline };
    },

    async start() {
      unlisten = await notifier.listen(WAKE_CHANNEL, (msg) => {
        if (msg.startsWith('a ')) {
          // Our own wake-up comes back from Redis a moment later: the polls it was for are
          // answered already, and waking their successors would only cost an empty claim.
          const [, agent, from] = msg.split(' ');
          if (agent && from !== origin) waiters.wake(agent);
        }
        else if (msg.startsWith('c ')) {
          const [, agent, jobId] = msg.split(' ');
          if (agent && jobId) waiters.wake(agent, jobId);
        }
        else if (msg.startsWith('f ')) fireFinal(msg.slice(2));
      });
    },
    async stop() {
      await unlisten?.();
      unlisten = null;
    },
    heldPolls: () => waiters.size(),
    releasePolls() {
      releasing = true;
      waiters.wakeAll();
    },
  };
  return service;
}
