import { monoMs, sleep } from '../lib/clock.js';
import type { BenchServer, ProcessLoad } from '../lib/bench-server.js';
import type { LoadProcess } from '../lib/load-process.js';
import type { LoadCounters } from '../lib/protocol.js';
import { cpuPercent } from './dispatch-latency.js';
import type { Scenario, ScenarioContext } from './scenario.js';

export interface ThroughputResult {
  agents: number;
  capacity: number;
  inFlight: number;
  measuredMs: number;
  /** Final EventJobStatus consumed by the bench group per second, over the measured window. */
  jobsPerSec: number;
  /** Results answered to the agents per second, over the same window (load-process view). */
  resultsPerSec: number;
  /** Jobs whose result was answered but whose final event never reached the bench group. */
  missingFinalEvents: number;
  /** Server-process CPU time per finished job over the window, ms: less sensitive to a busy machine than jobs/s. */
  serverCpuMsPerJob: number;
  server: ProcessLoad;
  load: LoadCounters;
}

/**
 * Closed loop on the given load process's agents (see `throughput`); used by the 10- and the
 * 100-agent scenarios.
 */
export async function measureThroughput(bench: BenchServer, load: LoadProcess, options: { agents: number; capacity: number; inFlight: number; durationMs: number; warmupMs: number }): Promise<ThroughputResult> {
  const { inFlight, durationMs, warmupMs } = options;
  let server: ProcessLoad | null = null;
  bench.reset();
  const t0 = monoMs();
  const from = t0 + warmupMs;
  const to = from + durationMs;
  let stop: (() => ProcessLoad) | null = null;
  const startMeasuring = setTimeout(() => (stop = bench.measure()), warmupMs);
  const stopMeasuring = setTimeout(() => (server = stop?.() ?? null), warmupMs + durationMs);
  const done = await load.request({ type: 'throughput', inFlight, durationMs: warmupMs + durationMs, drainMs: 10_000 }, 'throughput-done', warmupMs + durationMs + 60_000);
  clearTimeout(startMeasuring);
  clearTimeout(stopMeasuring);
  server ??= (stop as (() => ProcessLoad) | null)?.() ?? null;
  const until = monoMs() + 10_000;
  while (bench.finals.size < done.counters.completed && monoMs() < until) await sleep(10);

  const inWindow = (t: number) => t >= from && t < to;
  const finals = [...bench.finals.values()].filter(inWindow).length;
  const results = done.completions.filter(inWindow).length;
  return {
    agents: options.agents,
    capacity: options.capacity,
    inFlight,
    measuredMs: durationMs,
    jobsPerSec: Math.round((finals / durationMs) * 1000),
    resultsPerSec: Math.round((results / durationMs) * 1000),
    missingFinalEvents: Math.max(0, done.counters.completed - bench.finals.size),
    serverCpuMsPerJob: server && finals > 0 ? Math.round(((server.cpuUserMs + server.cpuSystemMs) / finals) * 1000) / 1000 : NaN,
    server: server ?? { cpuUserMs: 0, cpuSystemMs: 0, wallMs: 0, loopDelayP99: 0, loopDelayMax: 0 },
    load: done.counters,
  };
}

/**
 * Closed loop: the submitter keeps `inFlight` jobs between POST and result; the agents (with
 * `capacity` slots each) poll, ack, send at most one output chunk and report. A job counts when
 * its final EventJobStatus has been consumed by the bench group, so the relay is included.
 */
export const throughput: Scenario<ThroughputResult> = {
  id: 'throughput',
  title: (o) => `end-to-end throughput, ${o.agents} agents × ${o.capacity} slots, ${o.throughput.inFlight} jobs in flight`,

  run(ctx: ScenarioContext): Promise<ThroughputResult> {
    const { agents, capacity, throughput: t } = ctx.options;
    return measureThroughput(ctx.bench, ctx.load, { agents, capacity, ...t });
  },

  rows(r) {
    const errors = r.load.submitErrors + r.load.agentErrors;
    return [
      { label: 'jobs/s (final event consumed)', value: String(r.jobsPerSec) },
      { label: 'results/s (agent view)', value: String(r.resultsPerSec) },
      { label: 'server CPU / load CPU', value: `${cpuPercent(r.server)} % / ${cpuPercent(r.load)} %` },
      { label: 'server CPU per job', value: `${r.serverCpuMsPerJob.toFixed(2)} ms` },
      { label: 'errors, missing final events', value: `${errors}, ${r.missingFinalEvents}` },
    ];
  },
};
