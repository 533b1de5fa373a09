import type { Agent, Job } from '../../src/core/index.js';
import type { WebAgentSummary, WebJobSummary } from './wire-types.js';

const MESSAGE_PREVIEW = 200;

/** The agent fields the side panel shows. */
export function toAgentSummary(agent: Agent): WebAgentSummary {
  return {
    name: agent.name,
    status: agent.status,
    lastSeenAt: agent.lastSeenAt ? agent.lastSeenAt.toISOString() : null,
    version: agent.version,
    host: agent.host,
    labels: { ...agent.labels },
    revoked: agent.revokedAt !== null,
  };
}

/** The job fields the side panel shows; the message is shortened, the output left out. */
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
    updatedAt: job.updatedAt.toISOString(),
  };
}
