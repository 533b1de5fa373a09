import type { CommandContext, Job, OutboundMessage } from '../src/core/index.js';

/**
 * Looks up the job a command names. A job on an agent the user may not use is reported as
 * unknown, like a missing one, so job ids do not leak other teams' work.
 */
export async function findVisibleJob(ctx: CommandContext, raw: string): Promise<{ job: Job } | { reply: OutboundMessage }> {
  // Ids are shown lower case; people copy them with a leading # or in upper case.
  const id = raw.replace(/^#/, '').toLowerCase();
  const job = await ctx.jobs.get(id);
  const me = ctx.requester.identity;
  // Rules may grant agents by label, so the check needs the agent's labels.
  const labels = job && job.requester.identity !== me ? (await ctx.jobs.getAgent(job.agent))?.labels : undefined;
  if (!job || (job.requester.identity !== me && !ctx.access.allows(me, { agent: job.agent, labels }))) {
    return { reply: { text: `I know no job ${id} that you may see. Say "jobs" to list recent ones.`, status: 'error' } };
  }
  return { job };
}

/** Agent names are lower-case ASCII; forgive capitals and full-width letters from an IME. */
export function normaliseAgentWord(word: string): string {
  return word.normalize('NFKC').toLowerCase();
}
