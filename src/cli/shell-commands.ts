import { JOB_STATES } from '../core/job.js';
import { SelectorError } from '../core/selector.js';
import { EXIT } from './exit-codes.js';
import type { AgentJson, JobJson } from './api-client.js';
import { matchingAgents, parseTarget, refineTarget, type ShellTarget } from './shell-target.js';
import { sendCommand } from './shell-send.js';
import { agentTableLines, jobListLine, jobSummaryLine, outputText, selectorErrorLines } from './user-commands.js';
import type { ShellCommandLine, ShellCommandSpec, ShellContext } from './shell-context.js';

/** Parses a selector typed in the shell; prints the error with a caret and answers null when it does not parse. */
function targetOrError(ctx: ShellContext, text: string): { target: ShellTarget | null } | null {
  try {
    return { target: parseTarget(text) };
  } catch (err) {
    if (!(err instanceof SelectorError)) throw err;
    for (const line of selectorErrorLines(err.source, err)) ctx.err(line);
    return null;
  }
}

const names = (agents: readonly AgentJson[]) => (agents.length <= 8 ? agents.map((a) => a.name).join(', ') : `${agents.slice(0, 8).map((a) => a.name).join(', ')} and ${agents.length - 8} more`);

async function use(ctx: ShellContext, line: ShellCommandLine): Promise<number> {
  const parsed = targetOrError(ctx, line.rest);
  if (!parsed) return EXIT.usage;
  if (!parsed.target) {
    ctx.target = null;
    ctx.err('no target: send needs one; list, jobs and watch cover every agent');
    return EXIT.ok;
  }
  ctx.agents.invalidate();
  // The fleet decides whether a bare word is an agent or a label; without the server the word is taken as a name.
  const agents = await ctx.agents.get().catch(() => null);
  const target = agents ? refineTarget(parsed.target, agents) : parsed.target;
  ctx.target = target;
  if (!agents) ctx.err(`target: ${target.source} (the server could not be asked which agents match)`);
  else {
    const matching = matchingAgents(target, agents);
    if (!matching.length) ctx.err(`target: ${target.source} — no agent matches it yet`);
    else ctx.err(`target: ${target.source} (${target.single ? 'one agent' : `${matching.length} agent(s): ${names(matching)}`})`);
  }
  return EXIT.ok;
}

async function list(ctx: ShellContext, line: ShellCommandLine): Promise<number> {
  const parsed = line.rest ? targetOrError(ctx, line.rest) : { target: ctx.target };
  if (!parsed) return EXIT.usage;
  const agents = await ctx.api.listAgents(parsed.target?.source, ctx.signal);
  if (!agents.length) {
    ctx.err(parsed.target ? `no agent matches ${parsed.target.source}` : 'no agents yet: an admin creates them with `skadi agent add NAME`');
    return EXIT.ok;
  }
  for (const l of agentTableLines(agents, new Date())) ctx.out(l);
  return EXIT.ok;
}

/** `jobs [STATE] [state=S] [limit=N]`: recent jobs of the target's agents. */
async function jobs(ctx: ShellContext, line: ShellCommandLine): Promise<number> {
  let state: string | undefined;
  let limit = 20;
  for (const arg of line.args) {
    const [key, value] = arg.includes('=') ? (arg.split(/=(.*)/s, 2) as [string, string]) : ['state', arg];
    if (key === 'state' && (JOB_STATES as readonly string[]).includes(value)) state = value;
    else if (key === 'limit' && /^[1-9]\d{0,2}$/.test(value) && Number(value) <= 500) limit = Number(value);
    else return ctx.usage(`jobs: ${JSON.stringify(arg)} is not a filter; try a state (${JOB_STATES.join(', ')}), state=failed or limit=50 (at most 500)`);
  }
  const target = ctx.target;
  let found: JobJson[];
  if (!target) found = await ctx.api.listJobs({ state, limit }, ctx.signal);
  else if (target.single) found = await ctx.api.listJobs({ agent: target.source, state, limit }, ctx.signal);
  else {
    // The job list filters by one agent name: for a selector, ask for a wide page and keep the target's agents.
    const covered = new Set((await ctx.api.listAgents(target.source, ctx.signal)).map((a) => a.name));
    found = covered.size ? (await ctx.api.listJobs({ state, limit: 500 }, ctx.signal)).filter((j) => covered.has(j.agent)).slice(0, limit) : [];
  }
  if (!found.length) ctx.err(`no jobs${state ? ` in state ${state}` : ''}${target ? ` for ${target.source}` : ''}`);
  for (const j of found) ctx.out(jobListLine(j));
  return EXIT.ok;
}

async function status(ctx: ShellContext, line: ShellCommandLine): Promise<number> {
  const [id] = line.args;
  if (!id || line.args.length > 1) return ctx.usage('usage: status <job>');
  const job = await ctx.api.getJob(id, ctx.signal);
  ctx.out(`${jobSummaryLine(job)}`);
  ctx.out(`  agent: ${job.agent}   requester: ${job.requester}   created: ${job.createdAt}`);
  ctx.out(`  message: ${job.message}`);
  for (const child of job.children ?? []) ctx.out(`  ${child.agent.padEnd(16)} ${child.state.padEnd(9)} ${child.exitCode !== null && child.exitCode !== undefined ? `exit ${child.exitCode}` : ''}  job ${child.id}`);
  ctx.write(outputText(job.output));
  return EXIT.ok;
}

async function cancel(ctx: ShellContext, line: ShellCommandLine): Promise<number> {
  const [id] = line.args;
  if (!id || line.args.length > 1) return ctx.usage('usage: cancel <job>');
  ctx.out(jobSummaryLine(await ctx.api.cancelJob(id)));
  return EXIT.ok;
}

/** `watch [SECONDS]`: agent and job events about the target until Ctrl-C (or SECONDS). */
async function watch(ctx: ShellContext, line: ShellCommandLine): Promise<number> {
  const [seconds] = line.args;
  if (line.args.length > 1 || (seconds !== undefined && !/^[1-9]\d*$/.test(seconds))) return ctx.usage('usage: watch [SECONDS]');
  const signal = seconds ? AbortSignal.any([ctx.signal, AbortSignal.timeout(Number(seconds) * 1000)]) : ctx.signal;
  await ctx.watch({ server: ctx.server, token: ctx.token, selector: ctx.target?.source, types: 'EventAgentStatus,EventFleetDrift,EventJobStatus', signal, out: ctx.out, err: ctx.err });
  return EXIT.ok;
}

async function help(ctx: ShellContext, line: ShellCommandLine): Promise<number> {
  const [name] = line.args;
  if (name) {
    const spec = findShellCommand(name);
    if (!spec) return ctx.usage(`no command ${JSON.stringify(name)}; \`help\` lists them`);
    ctx.out(`${spec.usage}\n  ${spec.summary}${spec.aliases?.length ? `\n  also: ${spec.aliases.join(', ')}` : ''}`);
    if (spec.details) ctx.out(spec.details.replace(/^/gm, '  '));
    return EXIT.ok;
  }
  const width = Math.max(...SHELL_COMMANDS.map((c) => c.usage.length));
  for (const spec of SHELL_COMMANDS) ctx.out(`  ${spec.usage.padEnd(width)}  ${spec.summary}`);
  ctx.out('TAB completes commands, agent names and labels; Ctrl-C stops a command; Ctrl-D leaves.');
  return EXIT.ok;
}

/** The shell's commands, in the order `help` lists them. */
export const SHELL_COMMANDS: readonly ShellCommandSpec[] = [
  { name: 'use', usage: 'use [agent|selector]', summary: 'set the target of the next commands: web-1, web-*, role=web,region=eu, "role in (web,api)", !canary; alone: clear it', run: use },
  { name: 'list', aliases: ['agents'], usage: 'list [selector]', summary: 'agents of the target (or the selector): online or offline, last seen, version, labels', run: list },
  {
    name: 'send',
    usage: 'send [options] <message…>',
    summary: 'send a job to the target (a selector fans out to every matching agent), wait and print the output',
    details: [
      'options, before the message (`--` ends them):',
      '  --wait S          wait at most S seconds (default 600; 0: print the job id and go on)',
      '  --timeout S       the job\'s own timeout',
      '  --concurrency N   fan-out: at most N agents at once',
      '  --max-failures N  fan-out: stop starting children after N failed',
      'The message reaches the agent as typed, quotes included. Ctrl-C stops waiting, not the job.',
    ].join('\n'),
    run: sendCommand,
  },
  { name: 'jobs', usage: 'jobs [state] [limit=N]', summary: 'recent jobs of the target', run: jobs },
  { name: 'watch', usage: 'watch [seconds]', summary: 'agent and job events about the target until Ctrl-C', run: watch },
  { name: 'status', usage: 'status <job>', summary: "a job's state, exit code and output", run: status },
  { name: 'cancel', usage: 'cancel <job>', summary: 'cancel a job', run: cancel },
  { name: 'help', usage: 'help [command]', summary: 'this list, or one command', run: help },
  { name: 'exit', aliases: ['quit'], usage: 'exit', summary: 'leave the shell (also Ctrl-D)', run: async (ctx) => (ctx.exit(), EXIT.ok) },
];

/** Every word that starts a command, for completion. */
export const SHELL_COMMAND_WORDS: readonly string[] = SHELL_COMMANDS.flatMap((c) => [c.name, ...(c.aliases ?? [])]).sort();

export function findShellCommand(word: string): ShellCommandSpec | undefined {
  return SHELL_COMMANDS.find((c) => c.name === word || c.aliases?.includes(word));
}
