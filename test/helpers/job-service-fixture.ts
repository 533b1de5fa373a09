import type { Stores } from '../../src/core/stores.js';
import type { OutboxEvent } from '../../src/core/stores.js';
import type { Clock } from '../../src/core/clock.js';
import type { Notifier } from '../../src/core/event-bus.js';
import { silentLogger } from '../../src/core/logger.js';
import { createJobService, type JobService, type JobServiceOptions } from '../../src/jobs/job-service.js';
import { createInProcessNotifier } from '../../src/bus/in-process-notifier.js';

export const TEST_JOB_OPTIONS: JobServiceOptions = {
  timeoutMs: 600_000,
  ackTimeoutMs: 15_000,
  offlineAfterMs: 180_000,
  pollWaitMaxMs: 30_000,
  maxOutput: 1024,
  maxMessageLength: 4000,
  checkInWriteMs: 0,
};

/** A JobService over real stores, recording what it hands to the outbox relay. */
export function jobServiceFixture(stores: Stores, clock: Clock, options: Partial<JobServiceOptions> = {}, notifier: Notifier = createInProcessNotifier()) {
  const relayed: OutboxEvent[] = [];
  const service: JobService = createJobService({ ...TEST_JOB_OPTIONS, ...options }, { stores, notifier, relay: { relayNow: (e) => relayed.push(...e) }, clock, logger: silentLogger });
  return { service, relayed, statuses: () => relayed.filter((e) => e.name === 'EventJobStatus').map((e) => (e.payload as { to: string }).to) };
}
