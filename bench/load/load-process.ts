/**
 * The load process: forked by the bench runner, so that agents and the job submitter do their
 * HTTP work on their own event loop and CPU, not on the server's. It exits when the runner
 * says stop or when the IPC channel closes (the runner died).
 */
import http from 'node:http';
import { monoMs, sleep } from '../lib/clock.js';
import { postJson } from '../lib/http-json.js';
import type { FromLoad, JobRecord, LoadCounters, ToLoad } from '../lib/protocol.js';
import { BenchAgent, type AgentRecorder } from './bench-agent.js';
import { processStats } from '../lib/process-stats.js';

interface Job {
  id: string;
  postSent: number;
  postAnswered: number;
  received: number;
  resulted: number;
}

let agents: BenchAgent[] = [];
let submitAgent: http.Agent | null = null;
let server = '';
let userToken = '';

const jobs = new Map<string, Job>();
/** Agent events that arrived before the POST's answer named the job. */
const early = new Map<string, { received?: number; resulted?: number }>();
let counters = freshCounters();
let onComplete: (() => void) | null = null;

function freshCounters(): LoadCounters {
  return { submitted: 0, submitErrors: 0, received: 0, completed: 0, agentErrors: 0, polls: 0, cpuUserMs: 0, cpuSystemMs: 0, wallMs: 0, errorSamples: [] };
}

function noteError(what: string, err: unknown): void {
  if (counters.errorSamples.length < 5) counters.errorSamples.push(`${what}: ${err instanceof Error ? err.message : JSON.stringify(err)}`);
}

const recorder: AgentRecorder = {
  received(jobId, at) {
    counters.received++;
    const job = jobs.get(jobId);
    if (job) job.received = at;
    else early.set(jobId, { ...early.get(jobId), received: at });
  },
  completed(jobId, at) {
    counters.completed++;
    const job = jobs.get(jobId);
    if (job) job.resulted = at;
    else early.set(jobId, { ...early.get(jobId), resulted: at });
    completions.push(at);
    onComplete?.();
  },
  error(what, err) {
    counters.agentErrors++;
    noteError(what, err);
  },
  polled() {
    counters.polls++;
  },
};
let completions: number[] = [];

function send(msg: FromLoad): void {
  process.send?.(msg);
}

let nextAgent = 0;
/** Submits one job to the next agent (round-robin) through the user API. */
async function submit(): Promise<void> {
  const agent = agents[nextAgent++ % agents.length]!;
  const postSent = monoMs();
  counters.submitted++;
  try {
    const res = await postJson(submitAgent!, new URL('/api/v1/jobs', server), userToken, { agent: agent.name, message: `echo bench ${counters.submitted}` });
    const postAnswered = monoMs();
    const body = res.body as { id?: string; code?: string; message?: string };
    if (res.status !== 201 || typeof body?.id !== 'string') throw new Error(`POST /api/v1/jobs answered ${res.status} ${body?.code ?? ''} ${body?.message ?? ''}`);
    const seen = early.get(body.id);
    early.delete(body.id);
    jobs.set(body.id, { id: body.id, postSent, postAnswered, received: seen?.received ?? NaN, resulted: seen?.resulted ?? NaN });
  } catch (err) {
    counters.submitErrors++;
    noteError('submit', err);
    onComplete?.();
  }
}

function outstanding(): number {
  return counters.submitted - counters.submitErrors - counters.completed;
}

async function drain(drainMs: number): Promise<void> {
  const until = monoMs() + drainMs;
  while (outstanding() > 0 && monoMs() < until) await sleep(10);
}

function startRun(): () => void {
  jobs.clear();
  early.clear();
  completions = [];
  counters = freshCounters();
  const cpu = process.cpuUsage();
  const t0 = monoMs();
  return () => {
    const used = process.cpuUsage(cpu);
    counters.cpuUserMs = used.user / 1000;
    counters.cpuSystemMs = used.system / 1000;
    counters.wallMs = monoMs() - t0;
  };
}

/** Open loop: one job every 1000/rate ms, whatever the answers do (no coordinated omission). */
async function runLatency(ratePerSec: number, durationMs: number, drainMs: number): Promise<void> {
  const finish = startRun();
  const interval = 1000 / ratePerSec;
  const total = Math.round((durationMs / 1000) * ratePerSec);
  const t0 = monoMs();
  const posts: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const wait = t0 + i * interval - monoMs();
    if (wait > 0) await sleep(wait);
    posts.push(submit());
  }
  await Promise.all(posts);
  await drain(drainMs);
  finish();
  const records: JobRecord[] = [...jobs.values()].map((j) => [j.id, j.postSent, j.postAnswered, j.received, j.resulted]);
  send({ type: 'latency-done', records, counters });
}

/** Closed loop: keep `inFlight` jobs submitted but not finished, for `durationMs`. */
async function runThroughput(inFlight: number, durationMs: number, drainMs: number): Promise<void> {
  const finish = startRun();
  let stopping = false;
  const pump = () => {
    while (!stopping && outstanding() < inFlight) void submit();
  };
  onComplete = pump;
  pump();
  await sleep(durationMs);
  stopping = true;
  onComplete = null;
  await drain(drainMs);
  finish();
  send({ type: 'throughput-done', counters, completions });
}

async function stopAll(): Promise<void> {
  await Promise.all(agents.map((a) => a.stop()));
  submitAgent?.destroy();
}

async function handle(msg: ToLoad): Promise<void> {
  switch (msg.type) {
    case 'init':
      server = msg.server;
      userToken = msg.userToken;
      submitAgent = new http.Agent({ keepAlive: true, maxSockets: msg.submitSockets });
      agents = msg.agents.map((a) => new BenchAgent(a.name, a.token, msg.server, msg.agent, recorder));
      if (msg.rampPerSec && msg.rampPerSec > 0) {
        // Many agents: connect them at a steady pace rather than all in one burst.
        const t0 = monoMs();
        for (let i = 0; i < agents.length; i++) {
          const wait = t0 + (i * 1000) / msg.rampPerSec - monoMs();
          if (wait > 0) await sleep(wait);
          agents[i]!.start();
        }
      } else for (const a of agents) a.start();
      send({ type: 'ready' });
      return;
    case 'silence': {
      const names = new Set(msg.names);
      const silenced = agents.filter((a) => names.has(a.name));
      // Every one stops now: the aborts go out in one go, before any stop() is awaited.
      const stopping = silenced.map((a) => a.stop());
      const lastPollSent = silenced.map((a): [string, number] => [a.name, a.lastPollSent]);
      await Promise.all(stopping);
      agents = agents.filter((a) => !names.has(a.name));
      send({ type: 'silenced', lastPollSent });
      return;
    }
    case 'collect':
      send({
        type: 'collected',
        received: msg.ids.map((id): [string, number, number] => {
          const job = jobs.get(id);
          const seen = early.get(id);
          return [id, job?.received ?? seen?.received ?? NaN, job?.resulted ?? seen?.resulted ?? NaN];
        }),
      });
      return;
    case 'stats':
      send({ type: 'stats', stats: { ...processStats(), agents: agents.length, polling: agents.filter((a) => a.polling).length, polls: counters.polls, agentErrors: counters.agentErrors, errorSamples: counters.errorSamples } });
      return;
    case 'clock':
      send({ type: 'clock', seq: msg.seq, t: monoMs() });
      return;
    case 'latency':
      return runLatency(msg.ratePerSec, msg.durationMs, msg.drainMs);
    case 'throughput':
      return runThroughput(msg.inFlight, msg.durationMs, msg.drainMs);
    case 'stop':
      await stopAll();
      process.disconnect?.();
      process.exit(0);
  }
}

process.on('message', (msg: ToLoad) => {
  handle(msg).catch((err: unknown) => send({ type: 'failed', message: err instanceof Error ? (err.stack ?? err.message) : String(err) }));
});
// The runner is gone (crashed or killed): nobody will read our results, and nobody else will stop us.
process.on('disconnect', () => process.exit(0));
