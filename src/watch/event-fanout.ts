import type { EventBus, Subscription } from '../core/event-bus.js';
import type { BusEvent, EventName } from '../core/events.js';
import type { Logger } from '../core/logger.js';

/** Event kinds a terminal or a script may watch (`GET /api/v1/events`). */
export const WATCHABLE_EVENTS = ['EventAgentStatus', 'EventFleetDrift', 'EventJobStatus'] as const satisfies readonly EventName[];
export type WatchableEvent = (typeof WATCHABLE_EVENTS)[number];

export type FanoutListener = (event: BusEvent<WatchableEvent>) => void;

export interface EventFanoutOptions {
  /** Consumer group of this process; unique per process, so every process sees every event. */
  group: string;
  /** Recent events kept for clients that reconnect with Last-Event-ID (default 500). */
  bufferSize?: number;
}

export interface EventFanout {
  /** Calls `listener` for every later event of `types`, until the returned function is called. */
  listen(types: readonly WatchableEvent[], listener: FanoutListener): Promise<() => void>;
  /** Buffered events of `types` after the one with id `lastId`; null when that id is no longer buffered (a gap). */
  since(lastId: string, types: readonly WatchableEvent[]): BusEvent<WatchableEvent>[] | null;
  close(): Promise<void>;
}

/**
 * One bus subscription per event kind and process, shared by every open stream, instead of a
 * consumer group per watcher. Kinds are subscribed on first demand and kept until close: on the
 * in-process bus a group whose subscriber left makes every publish fail (its events would wait),
 * and with Redis re-creating groups per watcher would litter the streams.
 */
export function createEventFanout(options: EventFanoutOptions, deps: { bus: EventBus; logger: Logger }): EventFanout {
  const bufferSize = options.bufferSize ?? 500;
  const listeners = new Set<{ types: ReadonlySet<string>; listener: FanoutListener }>();
  const subscriptions = new Map<WatchableEvent, Promise<Subscription>>();
  const buffer: BusEvent<WatchableEvent>[] = [];
  let closed = false;

  async function deliver(event: BusEvent<WatchableEvent>): Promise<void> {
    buffer.push(event);
    if (buffer.length > bufferSize) buffer.splice(0, buffer.length - bufferSize);
    for (const entry of listeners) {
      if (!entry.types.has(event.name)) continue;
      try {
        entry.listener(event);
      } catch (err) {
        // One broken stream must not stop the others, nor make the bus redeliver.
        deps.logger.warn({ err, eventId: event.id }, 'watch stream listener failed');
      }
    }
  }

  function ensure(name: WatchableEvent): Promise<Subscription> {
    let sub = subscriptions.get(name);
    if (!sub) {
      sub = deps.bus.subscribe(name, options.group, (event) => deliver(event as BusEvent<WatchableEvent>));
      subscriptions.set(name, sub);
      // A failed subscribe is retried by the next watcher rather than remembered.
      sub.catch(() => subscriptions.delete(name));
    }
    return sub;
  }

  return {
    async listen(types, listener) {
      if (closed) throw new Error('event fan-out is closed');
      await Promise.all(types.map(ensure));
      const entry = { types: new Set<string>(types), listener };
      listeners.add(entry);
      return () => void listeners.delete(entry);
    },
    since(lastId, types) {
      const at = buffer.findIndex((event) => event.id === lastId);
      if (at < 0) return null;
      const wanted = new Set<string>(types);
      return buffer.slice(at + 1).filter((event) => wanted.has(event.name));
    },
    async close() {
      closed = true;
      listeners.clear();
      const subs = await Promise.allSettled([...subscriptions.values()]);
      subscriptions.clear();
      await Promise.all(subs.map((s) => (s.status === 'fulfilled' ? s.value.close() : undefined)));
    },
  };
}
