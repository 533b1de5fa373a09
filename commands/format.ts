import { displayText, type Agent, type Job } from '../src/core/index.js';

/**
 * Wording shared by the commands and the reply router (src/chat/render-job.ts), so a job reads
 * the same in `status` as in its reply.
 */

/** `850 ms`, `4.2 s`, `3 min 5 s`, `2 h 10 min`. */
export function formatDuration(ms: number): string {
  if (ms < 0) ms = 0;
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 60) {
    const seconds = Math.floor((ms % 60_000) / 1_000);
    return seconds ? `${minutes} min ${seconds} s` : `${minutes} min`;
  }
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
  return `${Math.floor(hours / 24)} days`;
}

/** `just now`, `5 min ago`, `never`. */
export function formatAgo(at: Date | null, now: Date): string {
  if (!at) return 'never';
  const ms = now.getTime() - at.getTime();
  if (ms < 5_000) return 'just now';
  return `${formatDuration(ms).replace(/ \d+ s$/, '')} ago`;
}

/** How long the job ran (or has been running, or waited before it ended). */
export function jobDuration(job: Job, now: Date): number {
  const start = job.runningAt ?? job.createdAt;
  const end = job.finishedAt ?? now;
  return end.getTime() - start.getTime();
}

/** A message shortened for one line of a list, on a code-point boundary. */
export function shorten(text: string, max: number): string {
  // Shown in replies: direction and control characters made harmless (see displayText).
  const oneLine = displayText(text.replace(/\s+/g, ' ').trim());
  const chars = [...oneLine];
  return chars.length <= max ? oneLine : `${chars.slice(0, max - 1).join('')}…`;
}

/**
 * Why a job ended, in words. `agent` (when known) lets an offline expiry say when the agent was
 * last seen. Unknown reasons (an agent's own error text) are passed through.
 */
export function describeReason(job: Job, agent: Agent | null, now: Date): string | null {
  const reason = job.reason;
  if (!reason) return null;
  switch (reason) {
    case 'agent-offline':
      return `${job.agent} is offline (last seen ${formatAgo(agent?.lastSeenAt ?? null, now)})`;
    case 'timeout':
      return `no result within the job timeout of ${formatDuration(job.timeoutMs)}`;
    case 'ack-timeout':
    case 'ack':
      return `${job.agent} did not acknowledge the job in time`;
    case 'agent-revoked':
      return `${job.agent} was revoked`;
    default:
      return reason;
  }
}

/** `abc123  local  succeeded  uptime  (2 min ago, by web:alice)` — one job in a list. */
export function jobLine(job: Job, now: Date): string {
  const who = job.requester.displayName ?? job.requester.identity;
  return `${job.id}  ${job.agent}  ${job.state}  ${shorten(job.message, 40)}  (${formatAgo(job.createdAt, now)}, by ${who})`;
}
