import type { Clock } from '../core/clock.js';
import { JOB_STATES } from '../core/job.js';
import type { AgentStore, JobStore, OutboxStore } from '../core/stores.js';
import { isOnlineNow } from '../watch/fleet-versions.js';
import { createMetricsRegistry, type MetricsRegistry } from './registry.js';

export interface SkadiMetricsDeps {
  jobs: Pick<JobStore, 'countByState'>;
  agents: Pick<AgentStore, 'list'>;
  outbox: Pick<OutboxStore, 'countUnrelayed'>;
  clock: Clock;
  offlineAfterMs: number;
  version: string;
}

/** What the rest of the server reports into; `/metrics` renders `registry`. */
export interface SkadiMetrics {
  registry: MetricsRegistry;
  /** A job was handed to its agent this long after it was created (the JobService's onDispatched hook). */
  observeDispatch(latencyMs: number): void;
  /** A message to a chat platform (a reply, a status edit, a watch notice) went out or failed. */
  countReply(platform: string, kind: 'send' | 'edit', outcome: 'sent' | 'failed'): void;
}

/** Seconds: long-poll hand-outs take milliseconds, queued jobs for a busy agent minutes. */
const DISPATCH_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];

/**
 * Skadi's metrics. Counters and the histogram belong to this process (sum them over processes);
 * the gauges read the shared database at scrape time, so every process reports the same values.
 */
export function createSkadiMetrics(deps: SkadiMetricsDeps): SkadiMetrics {
  const registry = createMetricsRegistry();
  registry.gauge('skadi_build_info', 'Skadi version of this process (value 1).').set(1, { version: deps.version });
  registry.gauge('skadi_jobs', 'Jobs by state, from the job store.', async () => {
    const counts = await deps.jobs.countByState();
    return JOB_STATES.map((state) => ({ labels: { state }, value: counts[state] ?? 0 }));
  });
  registry.gauge('skadi_agents_online', 'Agents that checked in within agents.offlineAfter (not revoked).', async () => {
    const now = deps.clock.now();
    return [{ value: (await deps.agents.list()).filter((agent) => isOnlineNow(agent, now, deps.offlineAfterMs)).length }];
  });
  registry.gauge('skadi_bus_lag_events', 'Events in the outbox not yet relayed to the bus.', async () => [{ value: await deps.outbox.countUnrelayed() }]);
  const dispatch = registry.histogram('skadi_dispatch_latency_seconds', 'Time from a job being created to it being handed to its agent, in this process.', DISPATCH_BUCKETS);
  const replies = registry.counter('skadi_replies_total', 'Messages sent to chat platforms by this process, by platform, kind (send, edit) and outcome (sent, failed).');
  return {
    registry,
    observeDispatch: (latencyMs) => dispatch.observe(Math.max(0, latencyMs) / 1000),
    countReply: (platform, kind, outcome) => replies.inc({ platform, kind, outcome }),
  };
}
