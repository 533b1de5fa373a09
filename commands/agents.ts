import { globMatch, type Agent, type CommandSpec } from '../src/core/index.js';
import { formatAgo } from './format.js';

/** `role=db` matches a label; anything else is a name glob (`web-*`) or a plain name. */
function matches(agent: Agent, selector: string): boolean {
  const eq = selector.indexOf('=');
  if (eq > 0) return agent.labels[selector.slice(0, eq)] === selector.slice(eq + 1);
  return globMatch(selector.toLowerCase(), agent.name);
}

function describe(agent: Agent, now: Date): string {
  const labels = Object.entries(agent.labels).map(([k, v]) => `${k}=${v}`).join(',');
  const state = agent.revokedAt ? 'revoked' : agent.status;
  const seen = agent.status === 'online' ? '' : `, last seen ${formatAgo(agent.lastSeenAt, now)}`;
  return `${agent.name}  ${state}${seen}${labels ? `  ${labels}` : ''}`;
}

/** `agents [selector]`: the agents the user may use, with status and labels. */
export const agentsCommand: CommandSpec = {
  name: 'agents',
  aliases: [],
  args: [{ name: 'selector', description: 'a name, a glob such as web-*, or a label such as role=db', required: false }],
  help: 'lists the agents you may use, online or not',
  permission: 'agents:read',
  async run(ctx, args) {
    const me = ctx.requester.identity;
    const now = ctx.clock.now();
    const mine = (await ctx.jobs.listAgents()).filter((agent) => ctx.access.allows(me, { agent: agent.name }));
    if (mine.length === 0) return { text: `You may not use any agent yet; ask an admin to add ${me} to an access rule.`, status: 'info' };
    const selected = args.selector === undefined ? mine : mine.filter((agent) => matches(agent, args.selector!));
    if (selected.length === 0) return { text: `None of your agents matches "${args.selector}". Say "agents" to list them all.`, status: 'info' };
    selected.sort((a, b) => a.name.localeCompare(b.name));
    const online = selected.filter((agent) => agent.status === 'online' && !agent.revokedAt).length;
    return { text: [`${selected.length} agent(s), ${online} online:`, ...selected.map((agent) => describe(agent, now))].join('\n'), status: 'info', title: 'Agents' };
  },
};
