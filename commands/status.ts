import { isFanOutParent, isTerminal, type Agent, type CommandSpec, type Job, type OutboundMessage } from '../src/core/index.js';
import { describeReason, formatAgo, formatDuration, jobDuration } from './format.js';
import { fanOutStatusMessage } from './fan-out-format.js';
import { findVisibleJob } from './job-arg.js';

/** The job as `status` shows it: state, timings and the output so far. */
export function statusMessage(job: Job, agent: Agent | null, now: Date): OutboundMessage {
  const reason = describeReason(job, agent, now);
  const fields = [
    { label: 'Agent', value: job.agent },
    { label: 'State', value: job.state },
    { label: 'Message', value: job.message },
    { label: 'Requested by', value: job.requester.displayName ?? job.requester.identity },
    { label: 'Created', value: formatAgo(job.createdAt, now) },
  ];
  if (job.runningAt || isTerminal(job.state)) fields.push({ label: isTerminal(job.state) ? 'Duration' : 'Running for', value: formatDuration(jobDuration(job, now)) });
  if (job.exitCode !== null) fields.push({ label: 'Exit code', value: String(job.exitCode) });
  if (job.attempt > 1) fields.push({ label: 'Attempt', value: String(job.attempt) });
  if (reason) fields.push({ label: 'Reason', value: reason });
  const message: OutboundMessage = {
    text: `Job ${job.id} on ${job.agent} is ${job.state}${reason ? `: ${reason}` : ''}.`,
    status: job.state === 'queuing' || job.state === 'sent' ? 'queued' : job.state,
    title: `Job ${job.id}`,
    fields,
    jobId: job.id,
    actions: isTerminal(job.state) ? [{ id: 'rerun', label: 'Run again', jobId: job.id }] : [{ id: 'cancel', label: 'Cancel', jobId: job.id }],
  };
  if (job.output) {
    message.code = { content: job.output, filename: `${job.id}.txt` };
    if (job.outputTruncated) message.text += ' The agent cut the output at its limit; what it kept is below.';
  }
  return message;
}

/** `status <job>`: where a job is, and its output so far. */
export const statusCommand: CommandSpec = {
  name: 'status',
  aliases: [],
  args: [{ name: 'job', description: 'the job id from the acknowledgement', required: true }],
  help: 'shows a job: its state, timings and output',
  permission: 'jobs:read',
  async run(ctx, args) {
    const found = await findVisibleJob(ctx, args.job!);
    if ('reply' in found) return found.reply;
    // A fan-out: one line per agent (state, exit code, child job id); `status <child>` shows that agent's output.
    if (isFanOutParent(found.job)) return fanOutStatusMessage(found.job, (await ctx.jobs.list({ parentId: found.job.id, limit: 10_000 })).reverse());
    const agent = await ctx.jobs.getAgent(found.job.agent);
    return statusMessage(found.job, agent, ctx.clock.now());
  },
};
