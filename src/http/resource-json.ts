import type { Agent } from '../core/agent.js';
import type { Job } from '../core/job.js';
import { viewOf } from '../core/fan-out-view.js';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** A job as the user API shows it. */
export function jobJson(job: Job) {
  return {
    id: job.id,
    agent: job.agent,
    message: job.message,
    requester: job.requester.identity,
    platform: job.thread?.platform ?? null,
    state: job.state,
    reason: job.reason,
    attempt: job.attempt,
    version: job.version,
    exitCode: job.exitCode,
    output: job.output,
    outputTruncated: job.outputTruncated,
    parentId: job.parentId,
    timeoutMs: job.timeoutMs,
    createdAt: iso(job.createdAt),
    sentAt: iso(job.sentAt),
    runningAt: iso(job.runningAt),
    finishedAt: iso(job.finishedAt),
    expiresAt: iso(job.expiresAt),
    ...(job.fanout ? { kind: 'fanout' as const, selector: job.fanout.selector, concurrency: job.fanout.concurrency, maxFailures: job.fanout.maxFailures } : {}),
  };
}

/**
 * A fan-out parent with its children (`kind: "fanout"`): each child's id, agent, state and exit
 * code, the counts so far, and the matching agents that got no child (offline, not allowed).
 */
export function fanOutJson(job: Job & { fanout: NonNullable<Job['fanout']> }, children: readonly Job[]) {
  const view = viewOf(job.fanout, children);
  return {
    ...jobJson(job),
    kind: 'fanout' as const,
    targets: job.fanout.targets,
    skipped: job.fanout.skipped.map((s) => ({ agent: s.agent, reason: s.why })),
    stopped: job.fanout.stopped,
    counts: view.counts,
    children: children.map((c) => ({ id: c.id, agent: c.agent, state: c.state, exitCode: c.exitCode })),
  };
}

/** An agent as the user API shows it (online is derived from the last check-in). */
export function agentJson(agent: Agent, now: Date, offlineAfterMs: number) {
  const online = !agent.revokedAt && agent.status === 'online' && agent.lastSeenAt !== null && now.getTime() - agent.lastSeenAt.getTime() < offlineAfterMs;
  return {
    name: agent.name,
    online,
    status: agent.revokedAt ? 'revoked' : online ? 'online' : 'offline',
    labels: agent.labels,
    lastSeenAt: iso(agent.lastSeenAt),
    version: agent.version,
    host: agent.host,
    os: agent.os,
    createdAt: iso(agent.createdAt),
    revokedAt: iso(agent.revokedAt),
  };
}
