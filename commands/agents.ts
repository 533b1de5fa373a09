import { SelectorError, parseSelector, selectorMatches, type Agent, type CommandSpec, type OutboundMessage, type Selector } from '../src/core/index.js';
import { formatAgo } from './format.js';

function describe(agent: Agent, now: Date): string {
  const labels = Object.entries(agent.labels).map(([k, v]) => `${k}=${v}`).join(',');
  const state = agent.revokedAt ? 'revoked' : agent.status;
  const seen = agent.status === 'online' ? '' : `, last seen ${formatAgo(agent.lastSeenAt, now)}`;
  return `${agent.name}  ${state}${seen}${labels ? `  ${labels}` : ''}${agent.version ? `  v${agent.version.replace(/^v/, '')}` : ''}`;
}

/** The parse error with a caret under the position, so the user sees where it went wrong and what would fit. */
function badSelector(err: SelectorError): OutboundMessage {
  const at = Math.min(err.position, err.source.length);
  return {
    text: `That selector does not parse: ${err.message.replace(/^selector "(?:[^"\\]|\\.)*": /, '')}.`,
    status: 'error',
    code: { content: `${err.source}\n${' '.repeat(at)}^` },
  };
}

/** `agents [selector]`: the agents the user may use, with status, last seen, labels and version. */
export const agentsCommand: CommandSpec = {
  name: 'agents',
  aliases: [],
  // `rest`: selectors may hold spaces (`role in (web, api)`).
  args: [{ name: 'selector', description: 'a name, a glob (web-*), or labels: role=db,region=eu, role in (web,api), !canary', required: false, rest: true }],
  help: 'lists the agents you may use, online or not',
  permission: 'agents:read',
  async run(ctx, args) {
    let selector: Selector | null = null;
    if (args.selector !== undefined) {
      try {
        selector = parseSelector(args.selector);
      } catch (err) {
        if (err instanceof SelectorError) return badSelector(err);
        throw err;
      }
    }
    const me = ctx.requester.identity;
    const now = ctx.clock.now();
    const mine = (await ctx.jobs.listAgents()).filter((agent) => ctx.access.allows(me, { agent: agent.name, labels: agent.labels }));
    if (mine.length === 0) return { text: `You may not use any agent yet; ask an admin to add ${me} to an access rule.`, status: 'info' };
    const selected = selector === null ? mine : mine.filter((agent) => selectorMatches(selector, agent));
    if (selected.length === 0) return { text: `None of your agents matches "${args.selector}". Say "agents" to list them all.`, status: 'info' };
    selected.sort((a, b) => a.name.localeCompare(b.name));
    const online = selected.filter((agent) => agent.status === 'online' && !agent.revokedAt).length;
    return { text: [`${selected.length} agent(s), ${online} online:`, ...selected.map((agent) => describe(agent, now))].join('\n'), status: 'info', title: 'Agents' };
  },
};
