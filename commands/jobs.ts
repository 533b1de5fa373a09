import type { CommandSpec } from '../src/core/index.js';
import { jobLine } from './format.js';
import { normaliseAgentWord } from './job-arg.js';

const SHOWN = 10;
/** Read more than shown, since jobs on agents the user may not use are filtered out afterwards. */
const SCANNED = 200;

/** `jobs [agent]`: the most recent jobs the user may see. */
export const jobsCommand: CommandSpec = {
  name: 'jobs',
  aliases: ['ps'],
  args: [{ name: 'agent', description: 'only jobs of this agent', required: false }],
  help: 'lists recent jobs, newest first',
  permission: 'jobs:read',
  async run(ctx, args) {
    const me = ctx.requester.identity;
    const now = ctx.clock.now();
    const agent = args.agent === undefined ? undefined : normaliseAgentWord(args.agent);
    if (agent !== undefined) {
      const decision = await ctx.access.decide(me, { agent }, { command: 'jobs' });
      if (!decision.allowed) return { text: `Sorry, ${decision.reason}.`, status: 'refused' };
    }
    const found = await ctx.jobs.list({ agent, limit: agent === undefined ? SCANNED : SHOWN });
    // Rules may grant agents by label, so the filter needs every listed agent's labels.
    const labels = new Map((await ctx.jobs.listAgents()).map((a) => [a.name, a.labels]));
    const visible = found.filter((job) => job.requester.identity === me || ctx.access.allows(me, { agent: job.agent, labels: labels.get(job.agent) })).slice(0, SHOWN);
    if (visible.length === 0) return { text: agent ? `No jobs on ${agent} yet.` : 'No jobs yet.', status: 'info' };
    const title = agent ? `Recent jobs on ${agent}` : 'Recent jobs';
    return { text: [`${title}:`, ...visible.map((job) => jobLine(job, now))].join('\n'), status: 'info', title };
  },
};
