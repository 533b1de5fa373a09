import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { isSkadiError } from '../core/errors.js';
import { createApiClient, createUserApi, type AgentJson, type JobJson, type JobTarget } from './api-client.js';
import { EXIT, exitCodeForState } from './exit-codes.js';
import { registerWatchCommand } from './watch-command.js';
import { formatAgo } from '../../commands/format.js';

const DEFAULT_SERVER = 'http://127.0.0.1:8080';

/** Where and as whom the user-API commands (and `skadi shell`) connect: flags, then SKADI_SERVER / SKADI_TOKEN. */
export const userTarget = (opts: { server?: string; token?: string }) => ({ server: opts.server ?? process.env.SKADI_SERVER ?? DEFAULT_SERVER, token: opts.token ?? process.env.SKADI_TOKEN });

function userApiFrom(opts: { server?: string; token?: string }) {
  return createUserApi(createApiClient(userTarget(opts)));
}

/** A selector that was refused (by the server or parseSelector), with a caret under the place it names. */
export function selectorErrorLines(selector: string, err: { code?: string; message: string; details?: Record<string, unknown> }): string[] {
  const lines = [`error ${err.code ?? 'SKADI_BAD_REQUEST'}: ${err.message}`];
  const position = err.details?.position;
  if (typeof position === 'number') lines.push(`  ${selector}`, `  ${' '.repeat(Math.min(position, selector.length))}^`);
  return lines;
}

/** The agents table of `skadi agents` and the shell's `list`. */
export function agentTableLines(agents: readonly AgentJson[], now: Date): string[] {
  const seen = (a: AgentJson) => (a.status === 'online' ? 'now' : formatAgo(a.lastSeenAt ? new Date(a.lastSeenAt) : null, now));
  const lines = [['NAME'.padEnd(16), 'STATUS'.padEnd(8), 'LAST SEEN'.padEnd(14), 'VERSION'.padEnd(10), 'LABELS'].join(' ')];
  for (const a of agents) lines.push([a.name.padEnd(16), a.status.padEnd(8), seen(a).padEnd(14), (a.version ?? '-').padEnd(10), Object.entries(a.labels).map(([k, v]) => `${k}=${v}`).join(',')].join(' '));
  return lines;
}

/** One line of `skadi jobs` and the shell's `jobs`. */
export function jobListLine(j: JobJson): string {
  return [j.id, j.agent.padEnd(12), j.state.padEnd(9), j.createdAt, j.requester, j.message.slice(0, 60)].join('  ');
}

/** `job <id> succeeded (exit 0)`, `job <id> expired: agent-offline`. */
export function jobSummaryLine(job: Pick<JobJson, 'id' | 'state' | 'exitCode' | 'reason'>): string {
  return `job ${job.id} ${job.state}${job.exitCode !== null && job.exitCode !== undefined ? ` (exit ${job.exitCode})` : ''}${job.reason ? `: ${job.reason}` : ''}`;
}

/** `fan-out <id> failed: 3 succeeded, 1 failed, 0 expired (4 agents)`. */
export function fanOutSummaryLine(job: JobJson): string {
  const children = job.children ?? [];
  const count = (state: string) => children.filter((c) => c.state === state).length;
  const extra = ['cancelled'].map((s) => (count(s) ? `, ${count(s)} ${s}` : '')).join('');
  return `fan-out ${job.id} ${job.state}: ${count('succeeded')} succeeded, ${count('failed')} failed, ${count('expired')} expired${extra} (${children.length} agent${children.length === 1 ? '' : 's'})${job.reason ? `; ${job.reason}` : ''}`;
}

interface SendOptions {
  selector?: string;
  concurrency?: string;
  maxFailures?: string;
  server?: string;
  token?: string;
  wait?: string | boolean;
  timeout?: string;
  idempotencyKey?: string;
  json?: boolean;
}

/** What `skadi send` targets: the first word as the agent, or the selector of --selector (then every word is the message). */
export function sendTarget(words: readonly string[], opts: Pick<SendOptions, 'selector' | 'concurrency' | 'maxFailures'>): { target: JobTarget; message: string } | { usage: string } {
  const whole = (raw: string | undefined, min: number, flag: string): number | undefined | string => {
    if (raw === undefined) return undefined;
    return /^\d+$/.test(raw) && Number(raw) >= min ? Number(raw) : `${flag} needs a whole number of at least ${min}, not "${raw}"`;
  };
  if (opts.selector === undefined) {
    if (opts.concurrency !== undefined || opts.maxFailures !== undefined) return { usage: '--concurrency and --max-failures go with --selector' };
    if (words.length < 2) return { usage: 'missing the message: skadi send AGENT MESSAGE…  (or skadi send --selector SELECTOR MESSAGE…)' };
    return { target: { agent: words[0]! }, message: words.slice(1).join(' ') };
  }
  const concurrency = whole(opts.concurrency, 1, '--concurrency');
  const maxFailures = whole(opts.maxFailures, 0, '--max-failures');
  if (typeof concurrency === 'string') return { usage: concurrency };
  if (typeof maxFailures === 'string') return { usage: maxFailures };
  return { target: { selector: opts.selector, ...(concurrency !== undefined ? { concurrency } : {}), ...(maxFailures !== undefined ? { maxFailures } : {}) }, message: words.join(' ') };
}

/** A job's output as it is, ending in one newline ('' when there is none). */
export function outputText(output: string | null | undefined): string {
  if (!output) return '';
  return output.endsWith('\n') ? output : `${output}\n`;
}

/** `skadi send`, `skadi jobs`, `skadi agents` and `skadi watch`: the user API from the terminal. */
export function registerUserCommands(program: Command, setExit: (code: number) => void): void {
  program
    .command('agents')
    .description('list agents through the user API: online or offline, last seen, version, labels')
    .option('-s, --selector <selector>', 'only agents matching a selector: web-*, role=web,region=eu, role in (web,api), !canary')
    .option('--server <url>', `server URL (env SKADI_SERVER, default ${DEFAULT_SERVER})`)
    .option('--token <token>', 'user API token (env SKADI_TOKEN)')
    .option('--json', 'print JSON')
    .action(async (opts: { selector?: string; server?: string; token?: string; json?: boolean }) => {
      let agents: AgentJson[];
      try {
        agents = await userApiFrom(opts).listAgents(opts.selector);
      } catch (err) {
        if (isSkadiError(err) && err.code === 'SKADI_BAD_REQUEST' && opts.selector !== undefined) {
          for (const line of selectorErrorLines(opts.selector, err)) console.error(line);
          return setExit(EXIT.usage);
        }
        throw err;
      }
      if (opts.json) return console.log(JSON.stringify(agents));
      if (!agents.length) return console.error(opts.selector ? `no agent matches ${opts.selector}` : 'no agents yet: an admin creates them with `skadi agent add NAME`');
      for (const line of agentTableLines(agents, new Date())) console.log(line);
    });

  registerWatchCommand(program, { target: userTarget });

  program
    .command('send')
    .description('send a job to an agent, or to every agent a selector matches (fan-out), through the user API')
    .argument('<words...>', 'AGENT MESSAGE… — or, with --selector, only the MESSAGE… (its first word selects the agent\'s handler)')
    .option('--selector <selector>', 'send to every online agent matching it (fan-out): role=web, web-*, "role in (web,api)", !canary')
    .option('--concurrency <n>', 'with --selector: most agents running it at once (server default: fanout.concurrency)')
    .option('--max-failures <n>', 'with --selector: stop starting more agents after this many failed (0: never)')
    .option('--server <url>', `server URL (env SKADI_SERVER, default ${DEFAULT_SERVER})`)
    .option('--token <token>', 'user API token (env SKADI_TOKEN)')
    .option('--wait [seconds]', 'wait for the job to finish, print its output, exit with its status')
    .option('--timeout <seconds>', 'job timeout in seconds')
    .option('--idempotency-key <key>', 'send the same key again to get the same job instead of a second one')
    .option('--json', 'print JSON')
    // `skadi send web-1 ls -la` must not read -la as an option of send; use `--` before a message word that is one of send's own options.
    .allowUnknownOption()
    .action(async (words: string[], opts: SendOptions) => {
      const target = sendTarget(words, opts);
      if ('usage' in target) {
        console.error(`error: ${target.usage}`);
        return setExit(EXIT.usage);
      }
      const api = userApiFrom(opts);
      let job: JobJson;
      try {
        job = await api.createJob(target.target, target.message, { idempotencyKey: opts.idempotencyKey ?? randomUUID(), timeoutSeconds: opts.timeout ? Number(opts.timeout) : undefined });
      } catch (err) {
        if (isSkadiError(err) && err.code === 'SKADI_AGENT_OFFLINE') {
          console.error(`error ${err.code}: ${err.message}`);
          return setExit(EXIT.jobExpired);
        }
        if (isSkadiError(err) && err.code === 'SKADI_BAD_REQUEST' && opts.selector !== undefined && typeof err.details?.position === 'number') {
          for (const line of selectorErrorLines(opts.selector, err)) console.error(line);
          return setExit(EXIT.usage);
        }
        throw err;
      }
      if (opts.wait === undefined) {
        console.log(opts.json ? JSON.stringify(job) : job.id);
        return;
      }
      job = await api.waitForJob(job, opts.wait === true ? 600 : Number(opts.wait));
      if (opts.json) console.log(JSON.stringify(job));
      else {
        process.stdout.write(outputText(job.output));
        if (job.outputTruncated) console.error('[output truncated by the server]');
        console.error(job.kind === 'fanout' ? fanOutSummaryLine(job) : jobSummaryLine(job));
      }
      // A fan-out succeeds only when every child did (the parent's state says so).
      setExit(exitCodeForState(job.state));
    });

  program
    .command('jobs')
    .description('list recent jobs through the user API')
    .option('--agent <name>', 'only this agent\'s jobs')
    .option('--state <state>', 'only jobs in this state')
    .option('--limit <n>', 'how many', '20')
    .option('--server <url>', `server URL (env SKADI_SERVER, default ${DEFAULT_SERVER})`)
    .option('--token <token>', 'user API token (env SKADI_TOKEN)')
    .option('--json', 'print JSON')
    .action(async (opts: { agent?: string; state?: string; limit: string; server?: string; token?: string; json?: boolean }) => {
      const jobs = await userApiFrom(opts).listJobs({ agent: opts.agent, state: opts.state, limit: Number(opts.limit) });
      if (opts.json) return console.log(JSON.stringify(jobs));
      for (const j of jobs) console.log(jobListLine(j));
    });
}
