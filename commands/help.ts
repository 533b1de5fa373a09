import { commandUsage, type CommandContext, type CommandSpec, type OutboundMessage } from '../src/core/index.js';

const MAX_AGENTS = 20;

function findSpec(commands: readonly CommandSpec[], word: string): CommandSpec | undefined {
  const name = word.toLowerCase();
  return commands.find((spec) => spec.name === name || spec.aliases.includes(name));
}

function explain(spec: CommandSpec): OutboundMessage {
  const lines = [`${commandUsage(spec)} — ${spec.help}`];
  for (const arg of spec.args) lines.push(`  ${arg.name}: ${arg.description}${arg.required ? '' : ' (optional)'}`);
  if (spec.aliases.length) lines.push(`Also: ${spec.aliases.join(', ')}`);
  lines.push(`Needs the ${spec.name} command or the ${spec.permission} permission in an access rule.`);
  return { text: lines.join('\n'), status: 'info', title: `help ${spec.name}` };
}

async function overview(ctx: CommandContext): Promise<OutboundMessage> {
  const me = ctx.requester.identity;
  const usable = ctx.commands.filter((spec) => ctx.access.allows(me, { command: spec.name, permission: spec.permission }));
  const agents = (await ctx.jobs.listAgents()).filter((agent) => !agent.revokedAt && ctx.access.allows(me, { agent: agent.name, labels: agent.labels })).map((agent) => agent.name);
  const lines = [
    '<agent> <message…> — runs a job on an agent and replies here, e.g. "local uptime".',
    '<selector> [--concurrency N] [--max-failures N] <message…> — runs it on every matching online agent you may use, with one reply for all, e.g. "role=web uptime".',
  ];
  agents.sort();
  // A large fleet would drown the help text; `agents` lists them all.
  const shown = agents.length > MAX_AGENTS ? `${agents.slice(0, MAX_AGENTS).join(', ')} and ${agents.length - MAX_AGENTS} more (say "agents")` : agents.join(', ');
  lines.push(agents.length ? `Agents you may use: ${shown}` : `You may not run jobs on any agent yet; ask an admin to add ${me} to an access rule.`);
  if (usable.length) {
    lines.push('', 'Commands:');
    for (const spec of usable) lines.push(`  ${commandUsage(spec)} — ${spec.help}`);
    lines.push('', 'Say "help <command>" for details.');
  }
  return { text: lines.join('\n'), status: 'info', title: 'What I can do for you' };
}

/** `help [command]`: generated from the command specs, showing only what the user may use. */
export const helpCommand: CommandSpec = {
  name: 'help',
  aliases: ['?'],
  args: [{ name: 'command', description: 'a command to explain', required: false }],
  help: 'lists what you may do here, or explains one command',
  permission: 'chat:help',
  async run(ctx, args) {
    if (args.command === undefined) return overview(ctx);
    const spec = findSpec(ctx.commands, args.command);
    if (!spec) return { text: `There is no command "${args.command}". Say "help" to list them.`, status: 'error' };
    return explain(spec);
  },
};
