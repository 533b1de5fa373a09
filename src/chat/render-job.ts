import { displayText, type AdapterCapabilities, type Agent, type Job, type OutboundMessage } from '../core/index.js';
import { describeReason, formatDuration, jobDuration, shorten } from '../../commands/format.js';

/**
 * Pure renderings of a job for its replies. `text` never contains the output: adapters show
 * `code` after it (as a block, a snippet or a file), so the text alone is the summary.
 */

const ROOM_FOR_MARKUP = 32; // code fences, a title line: what an adapter may add around `code`

function requesterField(job: Job): { label: string; value: string } {
  return { label: 'Requested by', value: displayText(job.requester.displayName ?? job.requester.identity) };
}

/** A job not finished yet: one status message, edited as the job moves, with a cancel button. */
function inFlight(job: Job, status: 'queued' | 'running', text: string): OutboundMessage {
  return {
    text: `${text}: ${shorten(job.message, 200)}`,
    status,
    fields: [{ label: 'Agent', value: job.agent }, requesterField(job)],
    jobId: job.id,
    actions: [{ id: 'cancel', label: 'Cancel', jobId: job.id }],
  };
}

/** The acknowledgement: "Job abc123 queued for local: uptime". */
export function renderQueued(job: Job): OutboundMessage {
  return inFlight(job, 'queued', `Job ${job.id} queued for ${job.agent}`);
}

/** The status message once the agent took the job (only sent as an edit). */
export function renderRunning(job: Job): OutboundMessage {
  return inFlight(job, 'running', `Job ${job.id} running on ${job.agent}`);
}

function headline(job: Job, agent: Agent | null, now: Date): string {
  const reason = describeReason(job, agent, now);
  const what = shorten(job.message, 200);
  switch (job.state) {
    case 'succeeded':
    case 'failed': {
      const facts = [`exit ${job.exitCode ?? '?'}`, formatDuration(jobDuration(job, now))].join(', ');
      return `Job ${job.id} on ${job.agent} ${job.state} (${facts}): ${what}${reason ? ` — ${reason}` : ''}`;
    }
    case 'expired':
      return `Job ${job.id} for ${job.agent} expired: ${reason ?? 'it did not finish in time'}. (${what})`;
    case 'cancelled':
      return `Job ${job.id} on ${job.agent} was ${reason?.startsWith('cancelled') ? reason : 'cancelled'}: ${what}`;
    default:
      return `Job ${job.id} on ${job.agent} is ${job.state}: ${what}`;
  }
}

/**
 * The result of a finished job: exit code, duration and output (as `code`, named `<id>.txt`),
 * or for an expired job why it expired, in words. `agent` lets an offline expiry say when the
 * agent was last seen.
 */
export function renderResult(job: Job, agent: Agent | null, now: Date): OutboundMessage {
  const fields = [{ label: 'Agent', value: job.agent }, requesterField(job)];
  if (job.exitCode !== null) fields.push({ label: 'Exit code', value: String(job.exitCode) });
  if (job.runningAt) fields.push({ label: 'Duration', value: formatDuration(jobDuration(job, now)) });
  const message: OutboundMessage = {
    text: headline(job, agent, now),
    status: job.state === 'sent' || job.state === 'queuing' ? 'queued' : job.state,
    fields,
    jobId: job.id,
    actions: [{ id: 'rerun', label: 'Run again', jobId: job.id }],
  };
  if (job.output) message.code = { content: job.output, filename: `${job.id}.txt` };
  else if (job.state === 'succeeded' || job.state === 'failed') message.text += ' (no output)';
  // Output cut by a limit is said out loud, never cut silently.
  if (job.outputTruncated) message.text += ' The output was longer than the server keeps; only its beginning is shown.';
  return message;
}

/** Whether `message` fits in one message of the platform, code block included. */
export function fitsInOneMessage(message: OutboundMessage, capabilities: AdapterCapabilities): boolean {
  const code = message.code ? message.code.content.length + ROOM_FOR_MARKUP : 0;
  return message.text.length + code <= capabilities.maxTextLength;
}

/** The same message without its output, with a note where the output went. */
export function withoutOutput(message: OutboundMessage, note: string): OutboundMessage {
  const { code: _code, ...rest } = message;
  return { ...rest, text: `${message.text} ${note}` };
}

/** Characters of output one split message can carry next to its `(i/n)` header. */
export function outputRoom(capabilities: AdapterCapabilities): number {
  return Math.max(1, capabilities.maxTextLength - ROOM_FOR_MARKUP - 80);
}

/** One piece of split output: "Output of job abc123 (2/3)" and the piece as a code block. */
export function renderOutputPiece(job: Job, piece: string, index: number, total: number): OutboundMessage {
  return { text: `Output of job ${job.id} (${index}/${total})`, status: 'info', jobId: job.id, code: { content: piece } };
}
