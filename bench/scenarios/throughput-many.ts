import { forkLoadProcess } from '../lib/load-process.js';
import { monoMs, sleep } from '../lib/clock.js';
import type { BenchServer } from '../lib/bench-server.js';
import { measureThroughput, throughput, type ThroughputResult } from './throughput.js';
import type { Scenario, ScenarioContext } from './scenario.js';

/**
 * The throughput scenario with more agents (issue 9: 100): they are created on the shared server
 * next to the 10 of the other scenarios and run in a second load process of their own; the
 * submitter in that process sends round-robin to them only. The 10 stay connected, idle.
 */
export const throughputMany: Scenario<ThroughputResult> = {
  id: 'throughput100',
  title: (o) => `end-to-end throughput, ${o.manyAgents} agents × ${o.capacity} slots, ${o.throughput.inFlight} jobs in flight`,

  async run(ctx: ScenarioContext): Promise<ThroughputResult> {
    const { bench, options } = ctx;
    const credentials = await bench.createAgents(options.manyAgents, `bench-m${options.manyAgents}`);
    const load = forkLoadProcess();
    try {
      await load.request({ type: 'init', server: bench.url, agents: credentials, userToken: bench.userToken, agent: { capacity: options.capacity, outputRatio: options.outputRatio, pollWaitSeconds: 25 }, submitSockets: 32 }, 'ready');
      await waitForHeldPolls(bench, bench.agents.length + credentials.length);
      return await measureThroughput(bench, load, { agents: options.manyAgents, capacity: options.capacity, ...options.throughput });
    } finally {
      await load.stop();
    }
  },

  rows: (r) => throughput.rows(r),
};

export async function waitForHeldPolls(bench: BenchServer, count: number, timeoutMs = 30_000): Promise<void> {
  const until = monoMs() + timeoutMs;
  while (bench.server.service.heldPolls() < count) {
    if (monoMs() > until) throw new Error(`only ${bench.server.service.heldPolls()} of ${count} polls held after ${timeoutMs} ms`);
    await sleep(20);
  }
}
