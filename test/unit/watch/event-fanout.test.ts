import { describe, expect, it } from 'vitest';
import { silentLogger, type BusEvent, type EventAgentStatusPayload } from '../../../src/core/index.js';
import { createInProcessBus } from '../../../src/bus/in-process-bus.js';
import { createEventFanout } from '../../../src/watch/event-fanout.js';

const status = (agent: string): EventAgentStatusPayload => ({ agent, from: 'online', to: 'offline', at: '2026-03-01T12:00:00.000Z', lastSeenAt: null, version: null });

describe('event fan-out', () => {
  it('shares one subscription per kind among listeners and replays after a known id', async () => {
    const bus = createInProcessBus();
    const fanout = createEventFanout({ group: 'watch-live:test', bufferSize: 3 }, { bus, logger: silentLogger });
    const a: string[] = [];
    const b: string[] = [];
    const stopA = await fanout.listen(['EventAgentStatus'], (e) => a.push(e.id));
    await fanout.listen(['EventAgentStatus', 'EventFleetDrift'], (e) => b.push(e.id));
    await bus.publish('EventAgentStatus', status('web-1'), 'e1');
    await bus.publish('EventFleetDrift', { versions: { '1': ['web-1'] }, at: 'x' }, 'e2');
    stopA();
    await bus.publish('EventAgentStatus', status('web-2'), 'e3');
    expect(a).toEqual(['e1']);
    expect(b).toEqual(['e1', 'e2', 'e3']);
    expect(fanout.since('e1', ['EventAgentStatus'])!.map((e: BusEvent) => e.id)).toEqual(['e3']);
    expect(fanout.since('e1', ['EventAgentStatus', 'EventFleetDrift'])!.map((e) => e.id)).toEqual(['e2', 'e3']);
    await bus.publish('EventAgentStatus', status('web-3'), 'e4');
    expect(fanout.since('e1', ['EventAgentStatus'])).toBeNull(); // fell out of the buffer: a gap
    await fanout.close();
    await bus.close();
  });

  it('keeps delivering to the others when one listener throws', async () => {
    const bus = createInProcessBus();
    const fanout = createEventFanout({ group: 'g' }, { bus, logger: silentLogger });
    const got: string[] = [];
    await fanout.listen(['EventAgentStatus'], () => {
      throw new Error('broken stream');
    });
    await fanout.listen(['EventAgentStatus'], (e) => got.push(e.id));
    await expect(bus.publish('EventAgentStatus', status('web-1'), 'e1')).resolves.toBeUndefined();
    expect(got).toEqual(['e1']);
    await fanout.close();
    await expect(fanout.listen(['EventAgentStatus'], () => undefined)).rejects.toThrow(/closed/);
  });
});
