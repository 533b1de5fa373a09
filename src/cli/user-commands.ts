import { randomUUID } from 'node:crypto';
import type { Command } from 'commander';
import { isSkadiError } from '../core/errors.js';
import { createApiClient } from './api-client.js';
import { EXIT, exitCodeForState } from './exit-codes.js';
import { registerWatchCommand } from './watch-command.js';
import { formatAgo } from '../../commands/format.js';

interface JobJson {
  id: string;
  agent: string;
  state: string;
  reason: string | null;
  exitCode: number | null;
  output: string | null;
  outputTruncated: boolean;
  requester: string;
  createdAt: string;
  message: string;
}

interface AgentJson {
  name: string;
  online: boolean;
  status: string;
  labels: Record<string, string>;
  lastSeenAt: string | null;
  version: string | null;
}

const DEFAULT_SERVER = 'http://127.0.0.1:8080';

const target = (opts: { server?: string; token?: string }) => ({ server: opts.server ?? process.env.SKADI_SERVER ?? DEFAULT_SERVER, token: opts.token ?? process.env.SKADI_TOKEN });

function clientFrom(opts: { server?: string; token?: string }) {
  return createApiClient(target(opts));
}

/** A selector the server refused, with a caret under the place it names. */
function printSelectorError(selector: string, err: { message: string; details?: Record<string, unknown> }): void {
  console.error(`error SKADI_BAD_REQUEST: ${err.message}`);
  const position = err.details?.position;
  if (typeof position === 'number') console.error(`  ${selector}\n  ${' '.repeat(Math.min(position, selector.length))}^`);
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
      const query = opts.selector ? `?${new URLSearchParams({ selector: opts.selector })}` : '';
      let agents: AgentJson[];
      try {
        agents = (await clientFrom(opts).call<{ agents: AgentJson[] }>('GET', `/api/v1/agents${query}`)).body.agents;
      } catch (err) {
        if (isSkadiError(err) && err.code === 'SKADI_BAD_REQUEST' && opts.selector !== undefined) {
          printSelectorError(opts.selector, err);
          return setExit(EXIT.usage);
        }
        throw err;
      }
      if (opts.json) return console.log(JSON.stringify(agents));
      if (!agents.length) return console.error(opts.selector ? `no agent matches ${opts.selector}` : 'no agents yet: an admin creates them with `skadi agent add NAME`');
      const now = new Date();
      const seen = (a: AgentJson) => (a.status === 'online' ? 'now' : formatAgo(a.lastSeenAt ? new Date(a.lastSeenAt) : null, now));
      console.log(['NAME'.padEnd(16), 'STATUS'.padEnd(8), 'LAST SEEN'.padEnd(14), 'VERSION'.padEnd(10), 'LABELS'].join(' '));
      for (const a of agents) console.log([a.name.padEnd(16), a.status.padEnd(8), seen(a).padEnd(14), (a.version ?? '-').padEnd(10), Object.entries(a.labels).map(([k, v]) => `${k}=${v}`).join(',')].join(' '));
    });

  registerWatchCommand(program, { target });

  program
    .command('send')
    .description('send a job to an agent through the user API')
    .argument('<agent>', 'agent name')
    .argument('<message...>', 'the job message (first word selects the agent\'s handler)')
    .option('--server <url>', `server URL (env SKADI_SERVER, default ${DEFAULT_SERVER})`)
    .option('--token <token>', 'user API token (env SKADI_TOKEN)')
    .option('--wait [seconds]', 'wait for the job to finish, print its output, exit with its status')
    .option('--timeout <seconds>', 'job timeout in seconds')
    .option('--idempotency-key <key>', 'send the same key again to get the same job instead of a second one')
    .option('--json', 'print JSON')
    // `skadi send web-1 ls -la` must not read -la as an option of send; use `--` before a message word that is one of send's own options.
    .allowUnknownOption()
    .action(async (agent: string, words: string[], opts: { server?: string; token?: string; wait?: string | boolean; timeout?: string; idempotencyKey?: string; json?: boolean }) => {
      const api = clientFrom(opts);
      const key = opts.idempotencyKey ?? randomUUID();
      let job: JobJson;
      try {
        job = (await api.call<JobJson>('POST', '/api/v1/jobs', { agent, message: words.join(' '), ...(opts.timeout ? { timeoutSeconds: Number(opts.timeout) } : {}) }, { 'idempotency-key': key })).body;
      } catch (err) {
        if (isSkadiError(err) && err.code === 'SKADI_AGENT_OFFLINE') {
          console.error(`error ${err.code}: ${err.message}`);
          return setExit(EXIT.jobExpired);
        }
        throw err;
      }
      if (opts.wait === undefined) {
        console.log(opts.json ? JSON.stringify(job) : job.id);
        return;
      }
      const waitSeconds = opts.wait === true ? 600 : Number(opts.wait);
      const deadline = Date.now() + waitSeconds * 1000;
      while (!['succeeded', 'failed', 'expired', 'cancelled'].includes(job.state) && Date.now() < deadline) {
        const chunk = Math.min(60, Math.max(1, Math.ceil((deadline - Date.now()) / 1000)));
        job = (await api.call<JobJson>('GET', `/api/v1/jobs/${encodeURIComponent(job.id)}?wait=${chunk}`)).body;
      }
      if (opts.json) console.log(JSON.stringify(job));
      else {
        if (job.output) process.stdout.write(job.output.endsWith('\n') ? job.output : `${job.output}\n`);
        if (job.outputTruncated) console.error('[output truncated by the server]');
        console.error(`job ${job.id} ${job.state}${job.exitCode !== null ? ` (exit ${job.exitCode})` : ''}${job.reason ? `: ${job.reason}` : ''}`);
      }
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
      const q = new URLSearchParams({ limit: opts.limit, ...(opts.agent ? { agent: opts.agent } : {}), ...(opts.state ? { state: opts.state } : {}) });
      const { body } = await clientFrom(opts).call<{ jobs: JobJson[] }>('GET', `/api/v1/jobs?${q}`);
      if (opts.json) return console.log(JSON.stringify(body.jobs));
      for (const j of body.jobs) console.log([j.id, j.agent.padEnd(12), j.state.padEnd(9), j.createdAt, j.requester, j.message.slice(0, 60)].join('  '));
    });
}
