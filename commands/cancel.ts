import { CANCEL_ANY_PERMISSION, isSkadiError, isTerminal, type CommandSpec, type OutboundMessage } from '../src/core/index.js';
import { shorten } from './format.js';
import { findVisibleJob } from './job-arg.js';

function alreadyOver(id: string, state: string): OutboundMessage {
  return { text: `Job ${id} already ended (${state}); there is nothing to cancel.`, status: 'info', jobId: id };
}

/**
 * `cancel <job>`. Allowed for the job's requester (with the cancel command), and for anyone
 * else only with the `jobs:cancel:any` permission — so in a shared channel people cannot stop
 * each other's jobs by accident, while on-call admins can.
 */
export const cancelCommand: CommandSpec = {
  name: 'cancel',
  aliases: ['kill'],
  args: [{ name: 'job', description: 'the job id from the acknowledgement', required: true }],
  help: `cancels one of your jobs (anyone's with the ${CANCEL_ANY_PERMISSION} permission)`,
  permission: 'jobs:cancel',
  async run(ctx, args) {
    const found = await findVisibleJob(ctx, args.job!);
    if ('reply' in found) return found.reply;
    const { job } = found;
    if (isTerminal(job.state)) return alreadyOver(job.id, job.state);
    const me = ctx.requester.identity;
    if (job.requester.identity !== me) {
      const decision = await ctx.access.decide(me, { permission: CANCEL_ANY_PERMISSION }, { command: 'cancel', jobId: job.id, owner: job.requester.identity });
      if (!decision.allowed) {
        return { text: `Sorry, job ${job.id} was started by ${job.requester.displayName ?? job.requester.identity}; only they can cancel it, or someone with the ${CANCEL_ANY_PERMISSION} permission (${decision.reason}).`, status: 'refused', jobId: job.id };
      }
    }
    try {
      const cancelled = await ctx.jobs.cancel(job.id, me);
      return { text: `Cancelled job ${cancelled.id} (${cancelled.agent}: ${shorten(cancelled.message, 60)}).`, status: 'cancelled', jobId: cancelled.id };
    } catch (err) {
      // It finished between our read and the cancel: say so rather than failing.
      if (isSkadiError(err) && err.code === 'SKADI_INVALID_TRANSITION') return alreadyOver(job.id, String(err.details?.state ?? 'finished'));
      throw err;
    }
  },
};
