import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BusEvent, EventBus, Subscription } from '../../src/core/index.js';
import { jobStatusPayload, publishUntilAccepted, sleep, waitFor } from '../helpers/bus-kit.js';

/**
 * What every EventBus promises, run unchanged against each implementation. `factory` returns a
 * fresh bus for each test (for Redis: a fresh key prefix); the suite closes it.
 * Redelivery is checked the way the system gets it: publishes are retried like the outbox
 * relay does (in-process, a throwing handler makes publish reject; on Redis the bus retries).
 */
export function eventBusContract(name: string, factory: () => Promise<EventBus>): void {
  describe(`EventBus contract: ${name}`, () => {
    let bus: EventBus;
    const ids = (events: BusEvent[]): string[] => events.map((e) => e.id);

    beforeEach(async () => {
      bus = await factory();
    });
    afterEach(async () => {
      await bus.close();
    });

    it('gives every group each event, with its id and payload', async () => {
      const a: BusEvent[] = [];
      const b: BusEvent[] = [];
      await bus.subscribe('EventJobStatus', 'group-a', async (e) => void a.push(e));
      await bus.subscribe('EventJobStatus', 'group-b', async (e) => void b.push(e));
      for (let i = 1; i <= 3; i++) await bus.publish('EventJobStatus', jobStatusPayload(i), `e${i}`);
      await waitFor('both groups got 3 events', () => a.length >= 3 && b.length >= 3);
      await sleep(50);
      expect(ids(a)).toEqual(['e1', 'e2', 'e3']);
      expect(ids(b)).toEqual(['e1', 'e2', 'e3']);
      expect(a[1]).toEqual({ id: 'e2', name: 'EventJobStatus', payload: jobStatusPayload(2) });
    });

    it('keeps event names apart', async () => {
      const got: BusEvent[] = [];
      await bus.subscribe('EventMessage', 'group-m', async (e) => void got.push(e));
      await bus.publish('EventJobStatus', jobStatusPayload(1), 'status-1');
      await sleep(100);
      expect(got).toEqual([]);
    });

    it('hands each event to one subscriber of a group, even with two subscribers', async () => {
      const first: string[] = [];
      const second: string[] = [];
      await bus.subscribe('EventJobStatus', 'shared', async (e) => void first.push(e.id));
      await bus.subscribe('EventJobStatus', 'shared', async (e) => void second.push(e.id));
      const expected = Array.from({ length: 20 }, (_, i) => `e${i}`);
      await Promise.all(expected.map((id, i) => bus.publish('EventJobStatus', jobStatusPayload(i), id)));
      await waitFor('20 events handled', () => first.length + second.length >= 20);
      await sleep(100);
      expect([...first, ...second].sort()).toEqual([...expected].sort());
    });

    it('stops delivering to a closed subscription; the other subscriber of the group takes over', async () => {
      const closedOne: string[] = [];
      const other: string[] = [];
      const sub = await bus.subscribe('EventJobStatus', 'shared', async (e) => void closedOne.push(e.id));
      await bus.subscribe('EventJobStatus', 'shared', async (e) => void other.push(e.id));
      await sub.close();
      for (let i = 0; i < 5; i++) await bus.publish('EventJobStatus', jobStatusPayload(i), `e${i}`);
      await waitFor('5 events handled', () => other.length >= 5);
      expect(closedOne).toEqual([]);
      expect(other).toEqual(['e0', 'e1', 'e2', 'e3', 'e4']);
    });

    it('delivers an event again, with the same id, after its handler threw', async () => {
      const attempts: BusEvent<'EventJobStatus'>[] = [];
      const handled: string[] = [];
      await bus.subscribe('EventJobStatus', 'flaky', async (e) => {
        attempts.push(e);
        if (attempts.length === 1) throw new Error('handler failed once');
        handled.push(e.id);
      });
      await publishUntilAccepted(bus, 7, 'retry-me');
      await waitFor('handled after a retry', () => handled.includes('retry-me'));
      expect(attempts.length).toBeGreaterThanOrEqual(2);
      expect(attempts.every((e) => e.id === 'retry-me' && e.payload.version === 7)).toBe(true);
    });

    it('runs one consumer\'s handler one event at a time, in publish order', async () => {
      const seen: string[] = [];
      let running = 0;
      let overlapped = false;
      await bus.subscribe('EventJobStatus', 'ordered', async (e) => {
        running++;
        if (running > 1) overlapped = true;
        await sleep(e.payload.version % 3); // uneven handler times must not reorder
        seen.push(e.id);
        running--;
      });
      const expected = Array.from({ length: 30 }, (_, i) => `e${String(i).padStart(2, '0')}`);
      // Issued in order without awaiting each one, as the outbox relay does.
      await Promise.all(expected.map((id, i) => bus.publish('EventJobStatus', jobStatusPayload(i), id)));
      await waitFor('30 events handled', () => seen.length >= 30);
      expect(seen).toEqual(expected);
      expect(overlapped).toBe(false);
    });

    it('keeps events for a group whose subscriber went away, until it subscribes again', async () => {
      const got: string[] = [];
      const handler = async (e: BusEvent): Promise<void> => void got.push(e.id);
      const sub = await bus.subscribe('EventJobStatus', 'comes-back', handler);
      await sub.close();
      const publishing = publishUntilAccepted(bus, 1, 'while-away');
      await sleep(100);
      await bus.subscribe('EventJobStatus', 'comes-back', handler);
      await publishing;
      await waitFor('event handled after resubscribing', () => got.includes('while-away'));
    });

    it('accepts a publish nobody subscribed to', async () => {
      await expect(bus.publish('EventMessage', { message: { id: 'm1', platform: 'web', thread: { platform: 'web', conversationId: 'c' }, sender: { id: 'u', identity: 'web:u', displayName: 'U', isBot: false }, text: 'hi', mentionsBot: true, receivedAt: new Date(0).toISOString() }, jobId: null, command: 'help' }, 'm1')).resolves.toBeUndefined();
    });

    it('answers ping while open and refuses work after close', async () => {
      await expect(bus.ping()).resolves.toBeUndefined();
      const other = await factory();
      await other.close();
      await expect(other.publish('EventJobStatus', jobStatusPayload(1), 'late')).rejects.toThrow();
      await expect(other.ping()).rejects.toThrow();
    });

    it('closes promptly while subscriptions wait for events', async () => {
      const other = await factory();
      const subs: Subscription[] = [];
      subs.push(await other.subscribe('EventJobStatus', 'idle-1', async () => undefined));
      subs.push(await other.subscribe('EventMessage', 'idle-2', async () => undefined));
      await sleep(50); // let the subscriptions block in their reads
      const started = Date.now();
      await subs[0]!.close();
      await other.close();
      expect(Date.now() - started).toBeLessThan(1000);
    });
  });
}
