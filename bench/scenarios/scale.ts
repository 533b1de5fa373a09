import http from 'node:http';
import { isTime, monoMs, sleep } from '../lib/clock.js';
import { forkLoadProcess, type LoadProcess } from '../lib/load-process.js';
import { postJson } from '../lib/http-json.js';
import { prepareStack } from '../lib/stacks.js';
import { startServerProcess, type ServerProcess } from '../lib/server-process.js';
import { summarize, type Summary, formatSummary } from '../lib/stats.js';
import type { ProcessLoad } from '../lib/bench-server.js';
import type { ServerStats } from '../lib/server-protocol.js';
import type { Scenario, ScenarioContext } from './scenario.js';
import { cpuPercent } from './dispatch-latency.js';

/** Issue 9 targets for 10,000 connected agents. */
export const SCALE_RSS_TARGET_MIB = 300;
export const SCALE_DISPATCH_P99_TARGET_MS = 20;

const MiB = 2 ** 20;

export interface ScaleResult {
  agents: number;
  /** Creating the agents and their tokens in the database (server process, `createAgents`, 64 at a time), ms. */
  createMs: number;
  /** From the load process starting to connect until the server held every agent's long-poll (or gave up after 2 min), ms. */
  connectMs: number;
  /** Whether the server ever held every agent's poll at once (false: it did not keep up; the rest was measured anyway). */
  connectedAll: boolean;
  pollWaitSeconds: number;
  /** Server process: before any agent connected, with all of them connected and idle, after the jobs. */
  rampPerSec: number;
  rssMiB: { before: number; idle: number; afterJobs: number };
  heapUsedMiB: { before: number; idle: number };
  /** The same right after a full garbage collection: live memory, without the garbage the heap still held. */
  afterGcMiB: { rss: number; heapUsed: number; heapTotal: number; external: number };
  /** Extra server RSS per connected agent, KiB. */
  rssPerAgentKiB: number;
  /** Server CPU and event-loop delay over `idleMs` with every agent holding a poll and no jobs. */
  idle: ProcessLoad & { ms: number; pollsPerSec: number };
  heldPolls: number;
  fdLimit: { server: number | null; load: number | null };
  openFds: { server: number | null; load: number | null };
  loadRssMiB: number;
  /** Jobs to random agents among them, open loop. */
  jobs: number;
  ratePerSec: number;
  dispatch: Summary;
  submitToAgent: Summary;
  notReceived: number;
  submitErrors: number;
  agentErrors: number;
  errorSamples: string[];
}

const mib = (bytes: number) => Math.round((bytes / MiB) * 10) / 10;

async function serverStats(server: ServerProcess, gc = false): Promise<ServerStats> {
  return (await server.request({ type: 'stats', gc }, 'stats')).stats;
}

/**
 * 10,000 agents connected at once by long-poll (issue 9). A server of its own in its own process
 * (a fresh database of the stack's kind), so the RSS and CPU are the server's alone; the agents
 * in one load process. Both processes run with Node's file-descriptor limit (Node raises the soft
 * limit to the hard one at start; see process-stats.ts), which is checked against the agents.
 */
export const scale: Scenario<ScaleResult> = {
  id: 'scale',
  standalone: true,
  title: (o) => `scale: ${o.scale.agents} agents connected by long-poll (server in its own process)`,

  async run(ctx: ScenarioContext): Promise<ScaleResult> {
    const { options, log } = ctx;
    const { agents: count, idleMs, ratePerSec, jobs: jobCount } = options.scale;
    const pollWaitSeconds = 25;
    // Spread over one poll wait by default, so the re-polls stay spread as agents that started at random times would be.
    const rampPerSec = options.scale.rampPerSec > 0 ? options.scale.rampPerSec : Math.ceil(count / pollWaitSeconds);
    const stack = await prepareStack(ctx.stack.id, ctx.endpoints);
    try {
      const server = await startServerProcess(stack, { logLevel: ctx.logLevel });
      try {
        const before = await serverStats(server);
        if (before.fdLimit !== null && before.fdLimit < count + 1000) throw new Error(`the server process may open only ${before.fdLimit} files; ${count} agents need more (raise the hard limit: ulimit -Hn)`);
        const created = await server.request({ type: 'create-agents', count, prefix: 'scale', concurrency: 64 }, 'agents-created', 900_000);
        log(`[${ctx.stack.id}]   created ${count} agents and tokens in ${(created.ms / 1000).toFixed(1)} s; connecting them at ${rampPerSec}/s`);
        const load = forkLoadProcess();
        try {
          const t0 = monoMs();
          let connectedAll = false;
          await server.profiled(`scale-connect-${ctx.stack.id}`, async () => {
            await load.request(
              { type: 'init', server: server.url, agents: created.agents, userToken: server.userToken, agent: { capacity: 1, outputRatio: 0, pollWaitSeconds }, submitSockets: 1, rampPerSec },
              'ready',
              (count / rampPerSec) * 1000 + 60_000,
            );
            let held = 0;
            let said = monoMs();
            connectedAll = false;
            for (const until = monoMs() + 120_000; ; ) {
              const st = await serverStats(server);
              held = st.heldPolls;
              if (held >= count) {
                connectedAll = true;
                break;
              }
              const late = monoMs() > until;
              if (late || monoMs() - said > 10_000) {
                said = monoMs();
                const ls = (await load.request({ type: 'stats' }, 'stats')).stats;
                const line = `${held} of ${count} polls held; server CPU ${Math.round(st.cpuUserMs + st.cpuSystemMs)} ms so far, RSS ${mib(st.rssBytes)} MiB; load: ${ls.polls} polls answered, ${ls.polling} out, ${ls.agentErrors} errors ${ls.errorSamples.slice(0, 2).join(' | ')}`;
                log(`[${ctx.stack.id}]   ${line}`);
                // The server does not keep up: measure it as it is (the table shows how many polls it held).
                if (late) {
                  log(`[${ctx.stack.id}]   not all connected after 2 min; measuring anyway`);
                  break;
                }
              }
              await sleep(100);
            }
          });
          const connectMs = monoMs() - t0;
          log(`[${ctx.stack.id}]   ${connectedAll ? count : 'not all'} polls held after ${(connectMs / 1000).toFixed(1)} s; measuring idle for ${idleMs / 1000} s`);
          // The connect burst's check-ins and events settle first.
          await sleep(3000);

          const loadBefore = (await load.request({ type: 'stats' }, 'stats')).stats;
          const idleLoad = await server.profiled(`scale-idle-${ctx.stack.id}`, async () => {
            await server.request({ type: 'measure-start' }, 'ok');
            await sleep(idleMs);
            return (await server.request({ type: 'measure-stop' }, 'measured')).load;
          });
          const idle = await serverStats(server);
          const idleAfterGc = await serverStats(server, true);
          await server.heapSnapshot(`scale-idle-${ctx.stack.id}`);
          const loadAfter = (await load.request({ type: 'stats' }, 'stats')).stats;

          const jobs = await server.profiled(`scale-jobs-${ctx.stack.id}`, () => submitToRandomAgents(server, created.agents.map((a) => a.name), ratePerSec, jobCount));
          const ids = jobs.map((j) => j.id);
          let received = new Map<string, number>();
          for (const until = monoMs() + 15_000; monoMs() < until; await sleep(200)) {
            received = await collectReceived(load, ids);
            if (received.size >= ids.length) break;
          }
          const serverSide = (await server.request({ type: 'collect', ids }, 'collected')).jobs;
          const accepted = new Map(serverSide.map(([id, a]) => [id, a] as const));
          const dispatch: number[] = [];
          const submitToAgent: number[] = [];
          let notReceived = 0;
          for (const job of jobs) {
            const r = received.get(job.id);
            const a = accepted.get(job.id);
            if (!isTime(r) || !isTime(a)) notReceived++;
            else {
              dispatch.push(r - a);
              submitToAgent.push(r - job.postSent);
            }
          }
          const after = await serverStats(server);
          const loadFinal = (await load.request({ type: 'stats' }, 'stats')).stats;
          return {
            agents: count,
            createMs: Math.round(created.ms),
            connectMs: Math.round(connectMs),
            connectedAll,
            pollWaitSeconds,
            rampPerSec,
            rssMiB: { before: mib(before.rssBytes), idle: mib(idle.rssBytes), afterJobs: mib(after.rssBytes) },
            heapUsedMiB: { before: mib(before.heapUsedBytes), idle: mib(idle.heapUsedBytes) },
            afterGcMiB: { rss: mib(idleAfterGc.rssBytes), heapUsed: mib(idleAfterGc.heapUsedBytes), heapTotal: mib(idleAfterGc.heapTotalBytes), external: mib(idleAfterGc.externalBytes) },
            rssPerAgentKiB: Math.round(((idle.rssBytes - before.rssBytes) / count / 1024) * 10) / 10,
            idle: { ...idleLoad, ms: idleMs, pollsPerSec: Math.round(((loadAfter.polls - loadBefore.polls) / (loadAfter.at - loadBefore.at)) * 1000) },
            heldPolls: idle.heldPolls,
            fdLimit: { server: idle.fdLimit, load: loadAfter.fdLimit },
            openFds: { server: idle.openFds, load: loadAfter.openFds },
            loadRssMiB: mib(loadAfter.rssBytes),
            jobs: jobs.length,
            ratePerSec,
            dispatch: summarize(dispatch),
            submitToAgent: summarize(submitToAgent),
            notReceived,
            submitErrors: jobCount - jobs.length,
            agentErrors: loadFinal.agentErrors,
            errorSamples: loadFinal.errorSamples,
          };
        } finally {
          await load.stop();
        }
      } finally {
        await server.stop();
      }
    } finally {
      await stack.dispose();
    }
  },

  rows(r) {
    const fmt = (x: Summary) => formatSummary(x);
    return [
      { label: 'server RSS, all connected and idle', value: `${r.rssMiB.idle} MiB`, target: { text: `< ${SCALE_RSS_TARGET_MIB} MB`, met: r.rssMiB.idle * MiB < SCALE_RSS_TARGET_MIB * 1e6 && r.connectedAll } },
      { label: '  before the agents, after the jobs', value: `${r.rssMiB.before} / ${r.rssMiB.afterJobs} MiB` },
      { label: '  per connected agent; heap used', value: `${r.rssPerAgentKiB} KiB; ${r.heapUsedMiB.idle} MiB` },
      { label: '  after a full GC: RSS, heap used/total', value: `${r.afterGcMiB.rss} MiB, ${r.afterGcMiB.heapUsed} / ${r.afterGcMiB.heapTotal} MiB` },
      { label: `server CPU at idle ${r.idle.ms / 1000} s (polls/s), loop p99`, value: `${cpuPercent(r.idle)} % (${r.idle.pollsPerSec}/s), ${r.idle.loopDelayP99.toFixed(1)} ms` },
      { label: `job to a random agent (ms, p50/p99/max)`, value: fmt(r.dispatch), target: { text: `p99 < ${SCALE_DISPATCH_P99_TARGET_MS}`, met: r.dispatch.n > 0 && r.dispatch.p99 < SCALE_DISPATCH_P99_TARGET_MS && r.notReceived === 0 } },
      { label: '  POST sent → agent has it', value: fmt(r.submitToAgent) },
      { label: 'jobs (lost), errors', value: `${r.jobs} (${r.notReceived}), ${r.submitErrors + r.agentErrors}` },
      { label: 'create agents / all connected', value: `${(r.createMs / 1000).toFixed(1)} s / ${r.connectedAll ? `${(r.connectMs / 1000).toFixed(1)} s` : `never (gave up after ${(r.connectMs / 1000).toFixed(0)} s)`}` },
      { label: 'polls held, fd limit server/load', value: `${r.heldPolls}, ${r.fdLimit.server ?? '?'} / ${r.fdLimit.load ?? '?'}` },
    ];
  },
};

interface Submitted {
  id: string;
  postSent: number;
}

/** Open loop from the runner (neither the server's process nor the agents'): `count` jobs at `ratePerSec`, each to a random agent. */
export async function submitToRandomAgents(server: ServerProcess, names: readonly string[], ratePerSec: number, count: number): Promise<Submitted[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  const out: Submitted[] = [];
  const url = new URL('/api/v1/jobs', server.url);
  const t0 = monoMs();
  const posts: Promise<void>[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const wait = t0 + (i * 1000) / ratePerSec - monoMs();
      if (wait > 0) await sleep(wait);
      const name = names[Math.floor(Math.random() * names.length)]!;
      const postSent = monoMs();
      posts.push(
        postJson(agent, url, server.userToken, { agent: name, message: `echo scale ${i}` }).then(
          (res) => {
            const id = (res.body as { id?: string })?.id;
            if (res.status === 201 && typeof id === 'string') out.push({ id, postSent });
          },
          () => undefined,
        ),
      );
    }
    await Promise.all(posts);
  } finally {
    agent.destroy();
  }
  return out;
}

export async function collectReceived(load: LoadProcess, ids: string[]): Promise<Map<string, number>> {
  const answer = await load.request({ type: 'collect', ids }, 'collected');
  return new Map(answer.received.filter(([, r]) => isTime(r)).map(([id, r]) => [id, r] as const));
}
