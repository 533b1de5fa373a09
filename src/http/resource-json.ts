import type { Agent } from '../core/agent.js';
import type { Job } from '../core/job.js';

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
