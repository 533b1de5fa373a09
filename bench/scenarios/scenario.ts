import type { BenchServer } from '../lib/bench-server.js';
import type { LoadProcess } from '../lib/load-process.js';
import type { PreparedStack, StackEndpoints } from '../lib/stacks.js';

export interface RunOptions {
  agents: number;
  /** Agent slots (jobs one agent runs at once). */
  capacity: number;
  outputRatio: number;
  latency: { ratePerSec: number; durationMs: number; warmupMs: number };
  throughput: { inFlight: number; durationMs: number; warmupMs: number };
  /** Agents of the second throughput scenario (issue 9: 100). */
  manyAgents: number;
  /** BullMQ anchor: worker concurrency; it runs the throughput scenario's in-flight, duration and warm-up. */
  bullmq: { concurrency: number };
  /** Scale: agents connected by long-poll, connect pace, idle measurement, jobs to random agents. */
  scale: { agents: number; rampPerSec: number; idleMs: number; ratePerSec: number; jobs: number };
  /** Offline detection: agents going silent at once, with the server's offline threshold shortened to `offlineAfterMs`. */
  offline: { agents: number; offlineAfterMs: number; pollWaitSeconds: number; timerIntervalMs: number };
  /** Chat path: messages posted through the web chat at `ratePerSec`, after `warmup` uncounted ones. */
  chat: { messages: number; ratePerSec: number; warmup: number };
}

export interface ScenarioContext {
  stack: PreparedStack;
  /** The shared in-process server and load process (10 agents); absent for a run of standalone scenarios only. */
  bench: BenchServer;
  load: LoadProcess;
  options: RunOptions;
  log(line: string): void;
  /** Where a standalone scenario prepares a fresh stack of the same kind (prepareStack(stack.id, endpoints)). */
  endpoints: StackEndpoints;
  logLevel: string;
  /** This stack's results so far (the BullMQ anchor divides the throughput by its own). */
  results: Record<string, unknown>;
}

/** One table row: a label and, per stack, the value shown. */
export interface Row {
  label: string;
  value: string;
  /** Target, when the row has one, and whether it was met. */
  target?: { text: string; met: boolean };
}

/**
 * A measurement run against one stack. Results are plain JSON (they go to
 * bench/results/*.json as they are); rows() turns one into table lines. New scenarios
 * (issue 9: more agents, BullMQ, scale, chat path) add a module and a line in run.ts.
 */
export interface Scenario<R> {
  id: string;
  /**
   * Runs on a server of its own (a fresh database, the server in its own process, see
   * bench/lib/server-process.ts) instead of the shared in-process one; `ctx.bench`/`ctx.load`
   * are not used, and the shared server is not started when only such scenarios run.
   */
  standalone?: boolean;
  title(options: RunOptions): string;
  run(ctx: ScenarioContext): Promise<R>;
  rows(result: R): Row[];
}
