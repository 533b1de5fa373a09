import { randomUUID } from 'node:crypto';
import { isSkadiError } from '../core/errors.js';
import { EXIT, exitCodeForState } from './exit-codes.js';
import { FINAL_STATES, type ChildJobJson, type JobJson } from './api-client.js';
import { leadingOptions, restFrom } from './shell-line.js';
import { jobTargetOf } from './shell-target.js';
import { jobSummaryLine, outputText } from './user-commands.js';
import type { ShellContext, ShellCommandLine } from './shell-context.js';

const SEND_OPTIONS = ['wait', 'timeout', 'concurrency', 'max-failures'];

function positiveInt(name: string, value: string | undefined, min: number): number | undefined | { error: string } {
  if (value === undefined) return undefined;
  const n = Number(value);
  return Number.isInteger(n) && n >= min ? n : { error: `--${name} must be a whole number of at least ${min}, not ${JSON.stringify(value)}` };
}

/** A fan-out parent: the per-agent results, then one summary line. */
async function printFanout(ctx: ShellContext, parent: JobJson): Promise<number> {
  const children: ChildJobJson[] = parent.children ?? [];
  const counts = new Map<string, number>();
  let worst: number = EXIT.ok;
  for (const child of children) {
    counts.set(child.state, (counts.get(child.state) ?? 0) + 1);
    let output = child.output;
    // The parent's answer may carry only states and exit codes: the output is on the child job.
    if (output === undefined && FINAL_STATES.includes(child.state)) output = (await ctx.api.getJob(child.id, ctx.signal).catch(() => null))?.output ?? null;
    ctx.out(`== ${child.agent}: ${child.state}${child.exitCode !== null && child.exitCode !== undefined ? ` (exit ${child.exitCode})` : ''}, job ${child.id}`);
    ctx.write(outputText(output));
    if (worst === EXIT.ok && child.state !== 'succeeded') worst = exitCodeForState(child.state);
  }
  const tally = [...counts].map(([state, n]) => `${n} ${state}`).join(', ');
  ctx.out(`${jobSummaryLine(parent)}: ${children.length} agent(s)${tally ? `, ${tally}` : ''}`);
  return worst !== EXIT.ok ? worst : exitCodeForState(parent.state);
}

/**
 * `send [--wait S] [--timeout S] [--concurrency N] [--max-failures N] [--] <message…>`: a job for
 * the target — one agent by name (`agent`), or every agent of a selector (`selector`, a fan-out
 * parent with children). Waits and prints the output; Ctrl-C stops waiting, not the job.
 */
export async function sendCommand(ctx: ShellContext, line: ShellCommandLine): Promise<number> {
  const parsed = leadingOptions(line.args, SEND_OPTIONS);
  if ('error' in parsed) return ctx.usage(parsed.error);
  const message = restFrom(line, parsed.next);
  if (!ctx.target) return ctx.usage('no target: choose one first with `use <agent|selector>`, e.g. `use web-1` or `use role=web`');
  if (!message) return ctx.usage('send what? e.g. `send uptime`');
  const wait = positiveInt('wait', parsed.options.wait, 0);
  const timeout = positiveInt('timeout', parsed.options.timeout, 1);
  const concurrency = positiveInt('concurrency', parsed.options.concurrency, 1);
  const maxFailures = positiveInt('max-failures', parsed.options['max-failures'], 0);
  for (const v of [wait, timeout, concurrency, maxFailures]) if (typeof v === 'object') return ctx.usage(v.error);
  const target = jobTargetOf(ctx.target, { concurrency: concurrency as number | undefined, maxFailures: maxFailures as number | undefined });

  let job: JobJson;
  try {
    job = await ctx.api.createJob(target, message, { idempotencyKey: randomUUID(), timeoutSeconds: timeout as number | undefined, signal: ctx.signal });
  } catch (err) {
    if (isSkadiError(err) && err.code === 'SKADI_AGENT_OFFLINE') {
      ctx.err(`error ${err.code}: ${err.message}`);
      return EXIT.jobExpired;
    }
    throw err;
  }
  const fanout = job.kind === 'fanout' || Array.isArray(job.children);
  if (fanout) {
    const agents = job.targets ?? (job.children ?? []).map((c) => c.agent);
    ctx.err(`job ${job.id}: fan-out to ${agents.length} agent(s)${agents.length ? `: ${agents.join(', ')}` : ''}`);
    if (job.skipped?.length) ctx.err(`  skipped: ${job.skipped.map((s) => `${s.agent} (${s.reason})`).join(', ')}`);
  }
  if (wait === 0) {
    ctx.out(job.id);
    return EXIT.ok;
  }
  try {
    job = await ctx.api.waitForJob(job, (wait as number | undefined) ?? 600, ctx.signal);
  } catch (err) {
    if (ctx.signal.aborted) {
      ctx.err(`stopped waiting; job ${job.id} goes on (\`status ${job.id}\` to look, \`cancel ${job.id}\` to stop it)`);
      return EXIT.waitTimeout;
    }
    throw err;
  }
  if (fanout) return printFanout(ctx, job);
  ctx.write(outputText(job.output));
  if (job.outputTruncated) ctx.err('[output truncated by the server]');
  ctx.out(jobSummaryLine(job));
  return exitCodeForState(job.state);
}
