import { monitorEventLoopDelay } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { startServer, type SkadiServer } from '../../src/main.js';
import { loadConfig } from '../../src/config/load-config.js';
import { createLogger } from '../../src/logging.js';
import { isTerminal } from '../../src/core/job.js';
import type { Subscription } from '../../src/core/event-bus.js';
import type { AgentCredentials } from './protocol.js';
import type { PreparedStack } from './stacks.js';
import { monoMs, sleep } from './clock.js';
import { onCleanup } from './cleanup.js';

/** The server under test, in this process, with what the benchmark observes of it. */
export interface BenchServer {
  server: SkadiServer;
  url: string;
  agents: AgentCredentials[];
  userToken: string;
  /** monoMs() when the job's row (and first event) was committed: the moment it was accepted. */
  accepted: Map<string, number>;
  /** monoMs() when the bench consumer group received the job's final EventJobStatus. */
  finals: Map<string, number>;
  /** Per job handed out: monoMs() when the claim that handed it out started and ended (claimQueued). */
  claims: Map<string, { start: number; end: number }>;
  /** With `watchAgentStatus`: monoMs() when the bench group received each agent's latest EventAgentStatus offline / online. */
  agentStatus: { offline: Map<string, number>; online: Map<string, number> };
  /** Creates `count` more agents named `<prefix>-00000`… with tokens, `concurrency` at a time. */
  createAgents(count: number, prefix: string, concurrency?: number): Promise<AgentCredentials[]>;
  /** Clears what the observers collected (between scenarios). */
  reset(): void;
  /** Server-process CPU and event-loop delay over a measured stretch. */
  measure(): () => ProcessLoad;
  close(): Promise<void>;
}

export interface ProcessLoad {
  cpuUserMs: number;
  cpuSystemMs: number;
  wallMs: number;
  /** Event-loop delay of the server process, ms. */
  loopDelayP99: number;
  loopDelayMax: number;
}

export interface BenchServerOptions {
  agents: number;
  logLevel: string;
  /** More configuration keys (e.g. `agents.offlineAfter`, `web.enabled`); they win over the bench's own. */
  flags?: Record<string, unknown>;
  /** Subscribe the bench group to EventAgentStatus too (offline detection). */
  watchAgentStatus?: boolean;
}

/**
 * Starts the real server (startServer from src/main.ts, as `skadi serve` does) on a free port,
 * with the embedded agent and the web chat off, creates the agents and tokens, and subscribes a
 * `bench` consumer group to EventJobStatus, so "done" means the final event came out of the
 * outbox relay and the bus.
 */
export async function startBenchServer(stack: PreparedStack, options: BenchServerOptions): Promise<BenchServer> {
  const config = loadConfig({
    env: {},
    flags: {
      'server.port': 0,
      'database.url': stack.databaseUrl,
      'redis.url': stack.redisUrl ?? '',
      'redis.keyPrefix': stack.keyPrefix,
      'node.id': `bench-${process.pid}`,
      'demoAgent.enabled': false,
      'web.enabled': false,
      'data.dir': stack.dataDir,
      'log.level': options.logLevel,
      ...options.flags,
    },
  });
  // The agents of a finished scenario (throughput100) go offline 3 min later, one warning each: not wanted among the bench's lines.
  const stderr = new Writable({
    write(chunk: Buffer, _encoding, done) {
      if (!chunk.includes('"msg":"agent offline"')) process.stderr.write(chunk);
      done();
    },
  });
  const logger = createLogger(config.log.level, stderr);
  const server = await startServer(config, { logger });
  const closeServer = onCleanup('close the server', () => server.close());

  // The moment a job is accepted: its row and first event committed. Observed by wrapping the
  // store's create() on this instance (the service calls it through the same object).
  const accepted = new Map<string, number>();
  const jobs = server.stores.jobs;
  const create = jobs.create.bind(jobs);
  jobs.create = async (job, claimUntil) => {
    const result = await create(job, claimUntil);
    accepted.set(result.job.id, monoMs());
    return result;
  };

  // Where dispatch time goes: the claim (SELECT + compare-and-set transaction) that handed the job out.
  const claims = new Map<string, { start: number; end: number }>();
  const claimQueued = jobs.claimQueued.bind(jobs);
  jobs.claimQueued = async (...args) => {
    const start = monoMs();
    const results = await claimQueued(...args);
    const end = monoMs();
    for (const r of results) claims.set(r.job.id, { start, end });
    return results;
  };

  const finals = new Map<string, number>();
  const subscription: Subscription = await server.bus.subscribe('EventJobStatus', 'bench', async (event) => {
    if (isTerminal(event.payload.to) && !finals.has(event.payload.jobId)) finals.set(event.payload.jobId, monoMs());
  });

  const agentStatus = { offline: new Map<string, number>(), online: new Map<string, number>() };
  const statusSubscription: Subscription | null = options.watchAgentStatus
    ? await server.bus.subscribe('EventAgentStatus', 'bench', async (event) => {
        agentStatus[event.payload.to === 'offline' ? 'offline' : 'online'].set(event.payload.agent, monoMs());
      })
    : null;

  async function createAgents(count: number, prefix: string, concurrency = 32): Promise<AgentCredentials[]> {
    const out: AgentCredentials[] = new Array(count);
    const width = Math.max(3, String(count - 1).length);
    const createdAt = new Date();
    let next = 0;
    // A few at a time: on SQLite the group commit folds them into few transactions; on MySQL the pool works in parallel.
    const worker = async () => {
      for (let i = next++; i < count; i = next++) {
        const name = `${prefix}-${String(i).padStart(width, '0')}`;
        await server.stores.agents.create({ name, labels: { role: 'bench' }, createdAt });
        out[i] = { name, token: (await server.tokens.create('agent', name, 'bench')).token };
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
    return out;
  }

  const agents: AgentCredentials[] = [];
  const now = new Date();
  for (let i = 0; i < options.agents; i++) {
    const name = `bench-${String(i).padStart(3, '0')}`;
    await server.stores.agents.create({ name, labels: { role: 'bench' }, createdAt: now });
    agents.push({ name, token: (await server.tokens.create('agent', name, 'bench')).token });
  }
  const userToken = (await server.tokens.create('user', 'api:bench', 'bench')).token;

  return {
    server,
    url: server.url,
    agents,
    userToken,
    accepted,
    finals,
    claims,
    agentStatus,
    createAgents,
    reset() {
      accepted.clear();
      finals.clear();
      claims.clear();
      agentStatus.offline.clear();
      agentStatus.online.clear();
    },
    measure() {
      const cpu = process.cpuUsage();
      const t0 = monoMs();
      const delay = monitorEventLoopDelay({ resolution: 1 });
      delay.enable();
      return () => {
        delay.disable();
        const used = process.cpuUsage(cpu);
        return {
          cpuUserMs: used.user / 1000,
          cpuSystemMs: used.system / 1000,
          wallMs: monoMs() - t0,
          loopDelayP99: delay.percentile(99) / 1e6,
          loopDelayMax: delay.max / 1e6,
        };
      };
    },
    async close() {
      await subscription.close();
      await statusSubscription?.close();
      await closeServer();
    },
  };
}

/** Waits until every agent has checked in and holds a long-poll (jobs to an offline agent expire at once). */
export async function waitForAgents(bench: BenchServer, timeoutMs = 15_000): Promise<void> {
  const until = monoMs() + timeoutMs;
  for (;;) {
    const listed = await bench.server.service.listAgents();
    const online = listed.filter((a) => a.status === 'online').length;
    if (online >= bench.agents.length && bench.server.service.heldPolls() >= bench.agents.length) return;
    if (monoMs() > until) throw new Error(`only ${online} of ${bench.agents.length} agents online (${bench.server.service.heldPolls()} polls held) after ${timeoutMs} ms`);
    await sleep(20);
  }
}
