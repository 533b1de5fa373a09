import type { BenchServer } from '../lib/bench-server.js';
import type { LoadProcess } from '../lib/load-process.js';
import type { PreparedStack } from '../lib/stacks.js';

export interface RunOptions {
  agents: number;
  /** Agent slots (jobs one agent runs at once). */
  capacity: number;
  outputRatio: number;
  latency: { ratePerSec: number; durationMs: number; warmupMs: number };
  throughput: { inFlight: number; durationMs: number; warmupMs: number };
}

export interface ScenarioContext {
  stack: PreparedStack;
  bench: BenchServer;
  load: LoadProcess;
  options: RunOptions;
  log(line: string): void;
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
  title(options: RunOptions): string;
  run(ctx: ScenarioContext): Promise<R>;
  rows(result: R): Row[];
}
