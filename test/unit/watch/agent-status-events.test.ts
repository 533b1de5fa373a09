import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger, type OutboxEvent, type Stores } from '../../../src/core/index.js';
import { createTypeormStores } from '../../../src/store/create-typeorm-stores.js';
import { createInProcessNotifier } from '../../../src/bus/in-process-notifier.js';
import { createJobService, type JobService } from '../../../src/jobs/job-service.js';
import { createOutboxPublisher } from '../../../src/watch/outbox-publisher.js';
import { createAgentStatusPublisher } from '../../../src/watch/agent-status-publisher.js';
import { TEST_JOB_OPTIONS } from '../../helpers/job-service-fixture.js';
import { manualClock } from '../../helpers/manual-clock.js';

/** The JobService's hooks as main.ts wires them: agent status changes reach the outbox, hand-outs report their latency. */
describe('JobService hooks: EventAgentStatus and dispatch latency', () => {
  const clock = manualClock(new Date('2026-03-01T12:00:00.000Z'));
  let stores: Stores;
  let service: JobService;
  const relayed: OutboxEvent[] = [];
  const latencies: number[] = [];
  const statuses = () => relayed.filter((e) => e.name === 'EventAgentStatus').map((e) => e.payload);

  beforeAll(async () => {
    stores = await createTypeormStores({ url: 'sqlite::memory:', migrate: true });
    const relay = { relayNow: (events: OutboxEvent[]) => void relayed.push(...events) };
    const publish = createOutboxPublisher({ outbox: stores.outbox, relay, clock, claimMs: 5000 });
    service = createJobService(TEST_JOB_OPTIONS, {
      stores,
      notifier: createInProcessNotifier(),
      relay,
      clock,
      logger: silentLogger,
      onAgentStatus: createAgentStatusPublisher({ publish, logger: silentLogger }),
      onDispatched: (ms) => latencies.push(ms),
    });
    await stores.agents.create({ name: 'web-1', labels: {}, createdAt: clock.now() });
  });
  afterAll(() => stores.close());

  it('publishes the first check-in as coming online, with the reported version', async () => {
    await service.poll('web-1', { wait: 0, max: 0, info: { version: '1.2.0' } });
    expect(statuses()).toEqual([{ agent: 'web-1', from: 'offline', to: 'online', at: '2026-03-01T12:00:00.000Z', lastSeenAt: '2026-03-01T12:00:00.000Z', version: '1.2.0' }]);
    await service.poll('web-1', { wait: 0, max: 0, info: { version: '1.2.0' } });
    expect(statuses()).toHaveLength(1); // still online: nothing new
  });

  it('reports the time from creation to hand-out', async () => {
    await service.submit({ agent: 'web-1', message: 'uptime', requester: { identity: 'api:ci' }, thread: null });
    clock.advance(250);
    const polled = await service.poll('web-1', { wait: 0, max: 5, info: { version: '1.2.0' } });
    expect(polled.jobs).toHaveLength(1);
    expect(latencies).toEqual([250]);
  });

  it('publishes going offline from the sweep and coming back from the next poll, each once, durably', async () => {
    clock.advance(TEST_JOB_OPTIONS.offlineAfterMs + 1000);
    expect((await service.sweep()).offline).toEqual(['web-1']);
    expect((await service.sweep()).offline).toEqual([]);
    await service.poll('web-1', { wait: 0, max: 0, info: { version: '1.3.0' } });
    const [, off, back] = statuses();
    expect(off).toEqual({ agent: 'web-1', from: 'online', to: 'offline', at: '2026-03-01T12:03:01.250Z', lastSeenAt: '2026-03-01T12:00:00.250Z', version: '1.2.0' });
    expect(back).toMatchObject({ agent: 'web-1', from: 'offline', to: 'online', version: '1.3.0' });
    expect(statuses()).toHaveLength(3);
    // In the outbox, so a bus outage delays them rather than losing them.
    expect(await stores.outbox.countUnrelayed()).toBeGreaterThanOrEqual(3);
  });
});
