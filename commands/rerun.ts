import { isFanOutParent, type CommandSpec } from '../src/core/index.js';
import { shorten } from './format.js';
import { findVisibleJob } from './job-arg.js';

/**
 * `rerun <job>`: a new job with the same agent and message, requested by whoever asks now and
 * answered in the current thread. It needs the same access as typing the message again, plus
 * the rerun command, granted together by one rule.
 */
export const rerunCommand: CommandSpec = {
  name: 'rerun',
  aliases: ['retry'],
  args: [{ name: 'job', description: 'the job to run again', required: true }],
  help: 'runs a job again with the same agent and message',
  permission: 'jobs:run',
  async run(ctx, args) {
    const found = await findVisibleJob(ctx, args.job!);
    if ('reply' in found) return found.reply;
    const { job } = found;
    if (isFanOutParent(job)) {
      return { text: `Job ${job.id} went to every agent matching ${job.fanout.selector}; to run it again, send "${job.fanout.selector} ${job.message}" (the agents are chosen again), or "rerun <job>" with one agent's job from "status ${job.id}".`, status: 'info', jobId: job.id };
    }
    const me = ctx.requester.identity;
    const decision = await ctx.access.decide(me, { agent: job.agent, command: 'rerun', permission: 'jobs:run' }, { jobId: job.id });
    if (!decision.allowed) return { text: `Sorry, ${decision.reason}.`, status: 'refused', jobId: job.id };
    const { job: next } = await ctx.jobs.submit({ agent: job.agent, message: job.message, requester: ctx.requester, thread: ctx.message.thread, parentId: job.id });
    // The new job's own acknowledgement and result come from the reply router, in this thread.
    return { text: `Running job ${job.id} again as job ${next.id} (${next.agent}: ${shorten(next.message, 60)}).`, status: 'info', jobId: next.id };
  },
};
