import type { Agent, Job } from '../../src/core/index.js';
import type { WebAgentSummary, WebJobDetail, WebJobSummary } from './wire-types.js';

const MESSAGE_PREVIEW = 200;

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

/** How many of an agent's jobs are out (sent or running) and waiting (queuing). */
export interface AgentLoad {
  running: number;
  queued: number;
}

/**
 * True while the agent counts as online: marked online and seen within the offline threshold,
 * the rule of the user API (agentJson), so the page never shows online what the server
 * already treats as gone, even before the server's timer has marked it.
 */
export function isAgentOnline(agent: Agent, now: Date, offlineAfterMs: number): boolean {
  return !agent.revokedAt && agent.status === 'online' && agent.lastSeenAt !== null && now.getTime() - agent.lastSeenAt.getTime() < offlineAfterMs;
}

/** The agent fields the side panel and the fleet view show. */
export function toAgentSummary(agent: Agent, now: Date, offlineAfterMs: number, load: AgentLoad = { running: 0, queued: 0 }): WebAgentSummary {
  return {
    name: agent.name,
    status: isAgentOnline(agent, now, offlineAfterMs) ? 'online' : 'offline',
    lastSeenAt: iso(agent.lastSeenAt),
    version: agent.version,
    host: agent.host,
    os: agent.os,
    labels: { ...agent.labels },
    revoked: agent.revokedAt !== null,
    running: load.running,
    queued: load.queued,
  };
}

/** Running and queued jobs per agent, from a list of active jobs. */
export function loadByAgent(active: readonly Job[]): Map<string, AgentLoad> {
  const load = new Map<string, AgentLoad>();
  for (const job of active) {
    let l = load.get(job.agent);
    if (!l) load.set(job.agent, (l = { running: 0, queued: 0 }));
    if (job.state === 'queuing') l.queued++;
    else if (job.state === 'sent' || job.state === 'running') l.running++;
  }
  return load;
}

/** The job fields the lists show; the message is shortened, the output left out. */
export function toJobSummary(job: Job): WebJobSummary {
  const chars = [...job.message];
  return {
    id: job.id,
    agent: job.agent,
    state: job.state,
    reason: job.reason,
    requester: job.requester.identity,
    requesterName: job.requester.displayName ?? null,
    message: chars.length > MESSAGE_PREVIEW ? `${chars.slice(0, MESSAGE_PREVIEW - 1).join('')}…` : job.message,
    exitCode: job.exitCode,
    createdAt: job.createdAt.toISOString(),
    sentAt: iso(job.sentAt),
    finishedAt: iso(job.finishedAt),
    updatedAt: job.updatedAt.toISOString(),
  };
}

/** Everything the job page shows but the output (which streams separately). */
export function toJobDetail(job: Job): WebJobDetail {
  return {
    ...toJobSummary(job),
    message: job.message,
    platform: job.thread?.platform ?? null,
    attempt: job.attempt,
    timeoutMs: job.timeoutMs,
    parentId: job.parentId,
    runningAt: iso(job.runningAt),
    expiresAt: job.expiresAt.toISOString(),
    outputTruncated: job.outputTruncated,
    fanout: job.fanout
      ? { selector: job.fanout.selector, concurrency: job.fanout.concurrency, maxFailures: job.fanout.maxFailures, targets: job.fanout.targets, skipped: job.fanout.skipped.map((s) => ({ agent: s.agent, reason: s.why })), stopped: job.fanout.stopped }
      : null,
  };
}
