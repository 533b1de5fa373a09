import { afterEach, describe, expect, it } from 'vitest';
import { createInProcessBus } from '../../../src/bus/in-process-bus.js';
import { createOutboxRelay, type OutboxRelay, type OutboxRelayOptions } from '../../../src/bus/outbox-relay.js';
import type { Clock, EventBus, EventName, EventPayload, OutboxEvent } from '../../../src/core/index.js';
import { jobStatusPayload, recordingLogger, sleep, waitFor, type LogLine } from '../../helpers/bus-kit.js';
import { MemoryOutbox } from '../../helpers/memory-outbox.js';

/** Records publish calls in the order they were issued; can fail or be slow on demand. */
class FakeBus implements EventBus {
  readonly issued: string[] = [];
  readonly published: string[] = [];
  failing = false;
  delayMs = 0;

  async publish<N extends EventName>(_name: N, _payload: EventPayload<N>, id: string): Promise<void> {
    this.issued.push(id);
    if (this.delayMs) await sleep(this.delayMs);
    if (this.failing) throw new Error('bus down');
    this.published.push(id);
  }
  async subscribe(): Promise<never> {
    throw new Error('not used');
  }
  async ping(): Promise<void> {}
  async close(): Promise<void> {}
}

const clock: Clock = { now: () => new Date() };
const relays: OutboxRelay[] = [];

function setup(options: OutboxRelayOptions, bus: EventBus = new FakeBus(), outbox = new MemoryOutbox()) {
  const lines: LogLine[] = [];
  const relay = createOutboxRelay(options, { outbox, bus, clock, logger: recordingLogger(lines) });
  relays.push(relay);
  return { relay, outbox, lines };
}

/** Inserts an outbox row as a writer does; `claimMs` 0 plays a writer that crashed long ago. */
function write(outbox: MemoryOutbox, n: number, claimMs: number, at = new Date()): Promise<OutboxEvent> {
  return outbox.add('EventJobStatus', jobStatusPayload(n), `e${n}`, at, new Date(Date.now() + claimMs));
}

const count = (list: string[], id: string): number => list.filter((x) => x === id).length;

afterEach(async () => {
  await Promise.all(relays.splice(0).map((r) => r.stop()));
});

describe('outbox relay', () => {
  it('publishes on the fast path and marks relayed, coalescing the marks', async () => {
    const bus = new FakeBus();
    const { relay, outbox } = setup({ claimMs: 5000 }, bus);
    for (let i = 0; i < 20; i++) relay.relayNow([await write(outbox, i, 5000)]);
    await waitFor('all relayed', async () => (await outbox.countUnrelayed()) === 0);
    expect(bus.published).toEqual(Array.from({ length: 20 }, (_, i) => `e${i}`));
    expect(outbox.markCalls.length).toBeLessThanOrEqual(2);
  });

  it('loses nothing while the bus fails; the sweep publishes once it works, logging once per outage', async () => {
    const bus = new FakeBus();
    bus.failing = true;
    const { relay, outbox, lines } = setup({ claimMs: 50, sweepIntervalMs: 10, maxBackoffMs: 40 }, bus);
    relay.start();
    for (let i = 0; i < 10; i++) relay.relayNow([await write(outbox, i, 50)]);
    await sleep(300);
    expect(await outbox.countUnrelayed()).toBe(10);
    expect(bus.issued.length).toBeGreaterThan(10); // the sweep kept trying

    bus.failing = false;
    await waitFor('all relayed after recovery', async () => (await outbox.countUnrelayed()) === 0);
    expect([...new Set(bus.published)].sort()).toEqual(Array.from({ length: 10 }, (_, i) => `e${i}`).sort());
    const warnings = lines.filter((l) => l.level === 'warn').map((l) => l.msg);
    expect(warnings.filter((m) => m === 'event bus publish failing')).toHaveLength(1);
    expect(warnings.filter((m) => m === 'outbox database failing')).toHaveLength(0);
    expect(lines.some((l) => l.level === 'info' && l.msg === 'event bus publish recovered')).toBe(true);
  });

  it('backs off while the bus fails instead of sweeping every interval', async () => {
    const bus = new FakeBus();
    bus.failing = true;
    const { relay, outbox } = setup({ claimMs: 0, sweepIntervalMs: 5, maxBackoffMs: 200 }, bus);
    await write(outbox, 1, 0);
    relay.start();
    await sleep(500);
    // Without backoff: ~100 attempts in 500 ms; with it (5, 10, 20, … capped at 200 ms): about 7.
    expect(bus.issued.length).toBeLessThan(15);
  });

  it('does not publish twice between fast path and sweep within the claim window', async () => {
    const bus = new FakeBus();
    bus.delayMs = 100;
    const { relay, outbox } = setup({ claimMs: 10_000, sweepIntervalMs: 5 }, bus);
    relay.start();
    relay.relayNow([await write(outbox, 1, 10_000)]); // fresh claim: the sweep must not touch it
    await write(outbox, 2, 0); // writer crashed: only the sweep publishes it
    relay.relayNow([await write(outbox, 3, 0)]); // claim already expired, fast path still busy with it
    await waitFor('all relayed', async () => (await outbox.countUnrelayed()) === 0);
    await sleep(100);
    for (const id of ['e1', 'e2', 'e3']) expect(count(bus.issued, id)).toBe(1);
  });

  it('keeps publish order: fast path in call order, sweep oldest first', async () => {
    const bus = new FakeBus();
    const { relay, outbox } = setup({ claimMs: 5000, sweepIntervalMs: 10, batch: 7 }, bus);
    const fresh: OutboxEvent[] = [];
    for (let i = 0; i < 30; i++) fresh.push(await write(outbox, i, 60_000));
    for (const e of fresh.slice(0, 10)) relay.relayNow([e]);
    relay.relayNow(fresh.slice(10));
    await waitFor('fast path done', () => bus.published.length === 30);
    expect(bus.issued).toEqual(fresh.map((e) => e.id));

    // Left by crashed writers, inserted out of order: the sweep goes by creation time.
    const base = Date.now() - 60_000;
    for (const n of [105, 101, 103, 100, 104, 102, 108, 106, 107, 109]) await write(outbox, n, 0, new Date(base + n));
    bus.issued.length = 0;
    relay.start();
    await waitFor('sweep done', () => bus.issued.length === 10);
    expect(bus.issued).toEqual(Array.from({ length: 10 }, (_, i) => `e${100 + i}`));
  });

  it('lets two relays on one database publish each event once (claim compare-and-set)', async () => {
    const bus = new FakeBus();
    const outbox = new MemoryOutbox();
    const one = setup({ claimMs: 10_000, sweepIntervalMs: 5, batch: 10 }, bus, outbox).relay;
    const two = setup({ claimMs: 10_000, sweepIntervalMs: 5, batch: 10 }, bus, outbox).relay;
    for (let i = 0; i < 100; i++) await write(outbox, i, 0);
    one.start();
    two.start();
    await waitFor('all relayed', async () => (await outbox.countUnrelayed()) === 0);
    expect(bus.issued).toHaveLength(100);
    expect(new Set(bus.issued).size).toBe(100);
  });

  it('retries marks the database refused, without publishing again', async () => {
    const bus = new FakeBus();
    const { relay, outbox } = setup({ claimMs: 10_000, sweepIntervalMs: 5, maxBackoffMs: 50 }, bus);
    relay.start();
    const events = [await write(outbox, 1, 10_000), await write(outbox, 2, 10_000)];
    outbox.failing = true;
    relay.relayNow(events);
    await waitFor('published', () => bus.published.length === 2);
    await sleep(100);
    outbox.failing = false;
    await waitFor('marked after the database came back', async () => (await outbox.countUnrelayed()) === 0);
    expect(bus.issued).toEqual(['e1', 'e2']);
  });

  it('stop() waits for publishes in flight and writes their marks', async () => {
    const bus = new FakeBus();
    bus.delayMs = 50;
    const { relay, outbox } = setup({ claimMs: 5000 }, bus);
    relay.relayNow([await write(outbox, 1, 5000)]);
    await sleep(10);
    await relay.stop();
    expect(await outbox.countUnrelayed()).toBe(0);
    relay.relayNow([await write(outbox, 2, 5000)]); // after stop: left to a sweep elsewhere
    await sleep(20);
    expect(bus.issued).toEqual(['e1']);
  });

  it('with the in-process bus: a handler that failed sees the event again, and nothing is marked before it is handled', async () => {
    const bus = createInProcessBus();
    const handled: string[] = [];
    let attempts = 0;
    await bus.subscribe('EventJobStatus', 'router', async (e) => {
      attempts++;
      if (attempts === 1) throw new Error('reply failed');
      handled.push(e.id);
    });
    const { relay, outbox } = setup({ claimMs: 50, sweepIntervalMs: 10, maxBackoffMs: 40 }, bus);
    relay.start();
    relay.relayNow([await write(outbox, 1, 50)]);
    await sleep(20);
    expect(await outbox.countUnrelayed()).toBe(1);
    await waitFor('handled on the retry', () => handled.includes('e1'));
    await waitFor('then marked', async () => (await outbox.countUnrelayed()) === 0);
    await bus.close();
  });
});
