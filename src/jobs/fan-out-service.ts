import { SkadiError, isSkadiError } from '../core/errors.js';
import { newJobId } from '../core/ids.js';
import { ACTIVE_STATES, isTerminal, type FanOutPlan, type FanOutSkip, type Job } from '../core/job.js';
import type { Agent } from '../core/agent.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import type { Notifier } from '../core/event-bus.js';
import type { EventJobStatusPayload } from '../core/events.js';
import type { OutboxEvent, Stores } from '../core/stores.js';
import type { JobsApi } from '../core/jobs-api.js';
import { fanOutAgentLabel, isFanOutParent, type FanOutApi, type FanOutJob, type SubmitFanOutInput, type SubmitFanOutResult } from '../core/fan-out.js';
import { parseSelector, selectorMatches } from '../core/selector.js';
import { summaryLines, viewOf } from '../core/fan-out-view.js';
import { decide } from './fan-out-plan.js';
import { WAKE_CHANNEL } from './job-service.js';

export interface FanOutServiceOptions {
  /** Defaults (config `fanout.concurrency`, `fanout.maxFailures`). */
  concurrency: number;
  maxFailures: number;
  /** Each child's timeout (config `jobs.timeout`) unless the request gives one. */
  timeoutMs: number;
  offlineAfterMs: number;
  maxMessageLength: number;
  outboxClaimMs?: number;
}

export interface FanOutServiceDeps {
  stores: Pick<Stores, 'jobs' | 'agents' | 'fanOuts' | 'audit'>;
  /** The job service itself (not the rate-limited wrapper): children are signed, queued and woken like any job. */
  jobs: Pick<JobsApi, 'submit' | 'cancel'>;
  relay: { relayNow(events: OutboxEvent[]): void };
  /** Wakes `?wait` on the parent in every process when it ends (JobService's `f <jobId>`). */
  notifier?: Notifier;
  clock: Clock;
  logger: Logger;
}

export interface FanOutService extends FanOutApi {
  /** Looks at the parent again: starts children, stops, records progress or ends it. Safe to call from any process at any time. */
  advance(parentId: string): Promise<void>;
  /** Consumer of EventJobStatus (group `fan-out`): a child that ended advances its parent; a parent that ended cancels its children. */
  handleEvent(payload: EventJobStatusPayload): Promise<void>;
  /** Advances every running parent and cancels children of ended ones, in case an event was missed. */
  sweep(): Promise<{ advanced: number; cancelled: number }>;
}

const MAX_ROUNDS = 8;

/** Errors that mean the agent cannot get a child at all (as opposed to the database being away). */
const PERMANENT = new Set(['SKADI_AGENT_NOT_FOUND', 'SKADI_AGENT_REVOKED', 'SKADI_BAD_REQUEST']);

/**
 * Fan-out jobs: one parent, one child job per target agent, at most `concurrency` in flight.
 * Every change to the parent's plan is a compare-and-set on its version, made from whatever
 * process sees a child end (or by the sweep), so several server processes and crashes at any
 * point neither stall a fan-out nor start a child twice (children are idempotent per agent).
 */
export function createFanOutService(options: FanOutServiceOptions, deps: FanOutServiceDeps): FanOutService {
  const { stores, jobs, relay, clock } = deps;
  const log = deps.logger.child({ component: 'fan-out' });
  const claimMs = options.outboxClaimMs ?? 5000;
  const claimUntil = () => new Date(clock.now().getTime() + claimMs);

  function isOnline(agent: Agent, now: Date): boolean {
    return agent.status === 'online' && agent.lastSeenAt !== null && now.getTime() - agent.lastSeenAt.getTime() < options.offlineAfterMs;
  }

  async function childrenOf(parentId: string): Promise<Job[]> {
    return (await stores.jobs.list({ parentId, limit: 10_000 })).reverse();
  }

  /** Creates the children of `agents` (idempotent per agent); returns those that cannot have one. */
  async function createChildren(parent: FanOutJob, agents: readonly string[]): Promise<FanOutSkip[]> {
    const unavailable: FanOutSkip[] = [];
    for (const agent of agents) {
      try {
        await jobs.submit({
          agent,
          message: parent.message,
          requester: parent.requester,
          // The parent's one aggregated reply speaks for the children: they have no thread of their own.
          thread: null,
          timeoutMs: parent.timeoutMs,
          parentId: parent.id,
          idempotency: { scope: `fanout:${parent.id}`, key: agent, fingerprint: parent.id },
        });
      } catch (err) {
        if (!isSkadiError(err) || !PERMANENT.has(err.code)) throw err;
        unavailable.push({ agent, why: 'unavailable', detail: err.message });
      }
    }
    return unavailable;
  }

  async function cancelChildren(children: readonly Job[], by: string, only: readonly string[] = ACTIVE_STATES): Promise<number> {
    let n = 0;
    for (const child of children) {
      if (!only.includes(child.state)) continue;
      try {
        await jobs.cancel(child.id, by);
        n++;
      } catch (err) {
        // It ended meanwhile: nothing to stop.
        if (!isSkadiError(err) || (err.code !== 'SKADI_INVALID_TRANSITION' && err.code !== 'SKADI_JOB_NOT_FOUND')) throw err;
      }
    }
    return n;
  }

  async function finish(parent: FanOutJob, children: readonly Job[], to: 'succeeded' | 'failed'): Promise<void> {
    const plan = parent.fanout;
    const view = viewOf(plan, children);
    const reason = plan.stopped === 'max-failures' ? `stopped after ${view.failures} failure${view.failures === 1 ? '' : 's'} (--max-failures ${plan.maxFailures})` : null;
    const done = await stores.jobs.transition({ jobId: parent.id, from: ['running'], to, reason, patch: { output: `${summaryLines(plan, view).join('\n')}\n` }, at: clock.now() }, claimUntil());
    if (!done) return;
    relay.relayNow([done.event]);
    deps.notifier?.notify(WAKE_CHANNEL, `f ${parent.id}`).catch(() => undefined);
    log.info({ jobId: parent.id, agent: parent.agent, state: to, ...view.counts }, 'fan-out finished');
  }

  async function recordUnavailable(parentId: string, skips: readonly FanOutSkip[]): Promise<void> {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const parent = await stores.jobs.get(parentId);
      if (!isFanOutParent(parent) || parent.state !== 'running') return;
      const known = new Set(parent.fanout.skipped.map((s) => s.agent));
      const fresh = skips.filter((s) => !known.has(s.agent));
      if (!fresh.length) return;
      const plan: FanOutPlan = { ...parent.fanout, skipped: [...parent.fanout.skipped, ...fresh] };
      const done = await stores.fanOuts.advance(parentId, parent.version, plan, clock.now(), claimUntil());
      if (done) return relay.relayNow([done.event]);
    }
  }

  async function advance(parentId: string): Promise<void> {
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const parent = await stores.jobs.get(parentId);
      if (!isFanOutParent(parent)) return;
      const children = await childrenOf(parentId);
      if (isTerminal(parent.state)) {
        await cancelChildren(children, `fan-out ${parent.id} (${parent.state})`);
        return;
      }
      const plan = parent.fanout;
      const view = viewOf(plan, children);
      if (view.missing.length) {
        const unavailable = await createChildren(parent, view.missing);
        if (unavailable.length) await recordUnavailable(parentId, unavailable);
        continue;
      }
      // Stopped: children still waiting in the queue never start.
      if (plan.stopped !== null && (await cancelChildren(children, `fan-out ${parent.id}: stopped after ${view.failures} failures`, ['queuing'])) > 0) continue;
      const decision = decide(plan, view);
      if (decision.kind === 'wait') return;
      if (decision.kind === 'finish') return finish(parent, children, decision.to);
      const advanced = await stores.fanOuts.advance(parentId, parent.version, decision.plan, clock.now(), claimUntil());
      if (!advanced) continue; // another process moved it first: look again
      relay.relayNow([advanced.event]);
      if (decision.start.length) {
        const unavailable = await createChildren(advanced.job as FanOutJob, decision.start);
        if (unavailable.length) await recordUnavailable(parentId, unavailable);
      }
      if (decision.plan.stopped !== null && plan.stopped === null) log.info({ jobId: parentId, failures: view.failures, maxFailures: plan.maxFailures }, 'fan-out stopped after too many failures');
    }
  }

  function validate(input: SubmitFanOutInput): { message: string; concurrency: number; maxFailures: number } {
    const message = input.message.trim();
    if (!message) throw new SkadiError('SKADI_BAD_REQUEST', 'the job message is empty');
    if (message.length > options.maxMessageLength) throw new SkadiError('SKADI_BAD_REQUEST', `the job message is ${message.length} characters; the limit is ${options.maxMessageLength}`);
    const concurrency = input.concurrency ?? options.concurrency;
    const maxFailures = input.maxFailures ?? options.maxFailures;
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new SkadiError('SKADI_BAD_REQUEST', `concurrency must be a whole number of at least 1, not ${concurrency}`);
    if (!Number.isInteger(maxFailures) || maxFailures < 0) throw new SkadiError('SKADI_BAD_REQUEST', `maxFailures must be a whole number of at least 0 (0: never stop), not ${maxFailures}`);
    return { message, concurrency, maxFailures };
  }

  async function priorFor(input: SubmitFanOutInput): Promise<SubmitFanOutResult | null> {
    if (!input.idempotency) return null;
    const prior = await stores.jobs.findByIdempotencyKey(input.idempotency.scope, input.idempotency.key);
    if (!prior) return null;
    if (prior.fingerprint !== input.idempotency.fingerprint || !isFanOutParent(prior.job)) throw new SkadiError('SKADI_IDEMPOTENCY_CONFLICT', 'this Idempotency-Key was used with a different request');
    return { kind: 'created', job: prior.job, created: false };
  }

  async function submit(input: SubmitFanOutInput): Promise<SubmitFanOutResult> {
    const { message, concurrency, maxFailures } = validate(input);
    const selector = parseSelector(input.selector.trim());
    const prior = await priorFor(input);
    if (prior) return prior;
    const now = clock.now();
    const matched = (await stores.agents.list()).filter((a) => !a.revokedAt && selectorMatches(selector, a)).sort((a, b) => a.name.localeCompare(b.name));
    const targets: string[] = [];
    const skipped: FanOutSkip[] = [];
    for (const agent of matched) {
      // Access first: an agent the user may not use is reported as such whether or not it is online.
      const decision = await input.authorize(agent);
      if (!decision.allowed) skipped.push({ agent: agent.name, why: 'not-allowed', detail: decision.reason });
      else if (!isOnline(agent, now)) skipped.push({ agent: agent.name, why: 'offline' });
      else targets.push(agent.name);
    }
    if (!targets.length) return { kind: 'no-targets', matched: matched.length, skipped };
    const plan: FanOutPlan = { selector: selector.source, concurrency, maxFailures, targets, skipped, started: 0, stopped: null, reported: 0 };
    const timeoutMs = input.timeoutMs ?? options.timeoutMs;
    // Children run in waves of `concurrency`, each wave within the job timeout; the parent's own expiry is the backstop.
    const waves = Math.ceil(targets.length / concurrency) + 1;
    const parentJob = {
      id: newJobId(),
      agent: fanOutAgentLabel(selector.source),
      message,
      requester: input.requester,
      thread: input.thread,
      state: 'queuing' as const,
      reason: null,
      timeoutMs,
      expiresAt: new Date(now.getTime() + timeoutMs * waves),
      parentId: null,
      createdAt: now,
      idempotency: input.idempotency,
    };
    let created;
    try {
      created = await stores.fanOuts.createParent(parentJob, plan, claimUntil());
    } catch (err) {
      const raced = isSkadiError(err) && err.code === 'SKADI_IDEMPOTENCY_CONFLICT' ? await priorFor(input) : null;
      if (raced) return raced;
      throw err;
    }
    relay.relayNow([created.event]);
    await stores.audit.append({ at: now, actor: input.requester.identity, action: 'job.fanout', target: created.job.id, decision: 'info', detail: { selector: selector.source, targets, skipped: skipped.map((s) => `${s.agent}:${s.why}`), concurrency, maxFailures } });
    log.info({ jobId: created.job.id, agent: created.job.agent, targets: targets.length, skipped: skipped.length, concurrency, maxFailures }, 'fan-out created');
    await advance(created.job.id);
    const job = await stores.jobs.get(created.job.id);
    return { kind: 'created', job: (isFanOutParent(job) ? job : created.job) as FanOutJob, created: true };
  }

  return {
    defaults: { concurrency: options.concurrency, maxFailures: options.maxFailures },
    submit,
    advance,
    async children(parentId) {
      const [parent, children] = await Promise.all([stores.jobs.get(parentId), childrenOf(parentId)]);
      if (!isFanOutParent(parent)) return children;
      // In the plan's order (children made in one instant have no order of their own).
      const order = new Map(parent.fanout.targets.map((agent, i) => [agent, i]));
      return children.sort((x, y) => (order.get(x.agent) ?? Infinity) - (order.get(y.agent) ?? Infinity));
    },

    async handleEvent(payload) {
      if (!isTerminal(payload.to)) return;
      // Every job's final event comes here: only fan-out parents and children are read. (Events
      // written before these fields existed are skipped; the sweep advances their parents.)
      if (!payload.fanOut && payload.parentId === undefined) return;
      const job = await stores.jobs.get(payload.jobId);
      if (!job) return;
      if (isFanOutParent(job)) return advance(job.id); // the parent ended (cancelled, expired): stop its children
      if (job.parentId === null) return;
      const parent = await stores.jobs.get(job.parentId);
      if (isFanOutParent(parent)) await advance(parent.id);
    },

    async sweep() {
      let advanced = 0;
      for (const parent of await stores.fanOuts.findRunningParents(200)) {
        try {
          await advance(parent.id);
          advanced++;
        } catch (err) {
          log.warn({ err, jobId: parent.id }, 'fan-out sweep could not advance a parent; trying again next time');
        }
      }
      let cancelled = 0;
      for (const child of await stores.fanOuts.findOrphanedChildren(200)) cancelled += await cancelChildren([child], `fan-out ${child.parentId ?? ''} (ended)`);
      return { advanced, cancelled };
    },
  };
}
