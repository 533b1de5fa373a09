import { describe, expect, it } from 'vitest';
import { silentLogger, type Agent, type EventName } from '../../../src/core/index.js';
import { createFleetDriftCheck } from '../../../src/watch/fleet-drift-check.js';
import { testAgent } from '../../helpers/memory-jobs-api.js';
import { MemoryKeyValueStore } from '../../helpers/memory-kv.js';
import { manualClock } from '../../helpers/manual-clock.js';

function rig() {
  const clock = manualClock(new Date('2026-03-01T12:00:00Z'));
  const agents = new Map<string, Agent>();
  const put = (name: string, version: string | null, over: Partial<Agent> = {}) => agents.set(name, testAgent(name, { version, lastSeenAt: clock.now(), ...over }));
  const kv = new MemoryKeyValueStore(clock);
  const published: Array<{ name: EventName; payload: unknown; id: string }> = [];
  const deps = {
    agents: { list: async () => [...agents.values()] },
    kv,
    publish: async (name: EventName, payload: unknown, id: string) => void published.push({ name, payload, id }),
    clock,
    logger: silentLogger,
  };
  // Two processes share the database (kv) and publish through the same outbox (ids dedupe there).
  const check = createFleetDriftCheck({ intervalMs: 1000, offlineAfterMs: 60_000 }, deps);
  const other = createFleetDriftCheck({ intervalMs: 1000, offlineAfterMs: 60_000 }, deps);
  return { clock, put, agents, published, check, other };
}

describe('fleet drift check', () => {
  it('says nothing about a uniform fleet, then publishes when a second version appears, changes and ends', async () => {
    const r = rig();
    r.put('web-1', '1.0.0');
    r.put('web-2', '1.0.0');
    expect(await r.check.check()).toBeNull();
    r.put('web-3', '1.0.0'); // another agent on a known version is not drift
    expect(await r.check.check()).toBeNull();

    r.put('web-2', '1.1.0');
    expect(await r.check.check()).toMatchObject({ versions: { '1.0.0': ['web-1', 'web-3'], '1.1.0': ['web-2'] }, at: '2026-03-01T12:00:00.000Z' });
    expect(await r.check.check()).toBeNull(); // unchanged
    expect(await r.other.check()).toBeNull(); // the other process sees it was announced

    r.put('web-1', '1.1.0');
    r.put('web-3', '1.1.0');
    expect(await r.other.check()).toMatchObject({ versions: { '1.1.0': ['web-1', 'web-2', 'web-3'] } });
    expect(r.published.map((p) => p.name)).toEqual(['EventFleetDrift', 'EventFleetDrift']);
    expect(new Set(r.published.map((p) => p.id)).size).toBe(2);
  });

  it('counts only online agents; offline, stale and revoked ones and an empty fleet are not drift', async () => {
    const r = rig();
    r.put('web-1', '1.0.0');
    expect(await r.check.check()).toBeNull();
    r.put('old-1', '0.9.0', { status: 'offline' });
    r.put('old-2', '0.9.0', { lastSeenAt: new Date(r.clock.now().getTime() - 120_000) });
    r.put('old-3', '0.9.0', { revokedAt: new Date() });
    expect(await r.check.check()).toBeNull();
    r.agents.clear();
    expect(await r.check.check()).toBeNull();
    r.put('web-9', null);
    r.put('web-1', '1.0.0');
    expect(await r.check.check()).toMatchObject({ versions: { '1.0.0': ['web-1'], unknown: ['web-9'] } });
  });

  it('gives two processes that notice the same change at once the same event id', async () => {
    const r = rig();
    r.put('web-1', '1.0.0');
    r.put('web-2', '2.0.0');
    await Promise.all([r.check.check(), r.other.check()]);
    expect(r.published.length).toBeGreaterThanOrEqual(1);
    expect(new Set(r.published.map((p) => p.id)).size).toBe(1);
  });
});
