import type { BusEvent, EventName, EventPayload } from './events.js';

export type EventHandler<N extends EventName> = (event: BusEvent<N>) => Promise<void>;

export interface Subscription {
  /** Stops receiving; events not yet acknowledged stay pending for the group. */
  close(): Promise<void>;
}

/**
 * The event bus. Delivery is at least once: an event is acknowledged only after the handler
 * resolves; a handler that throws sees the event again. Handlers must be idempotent by event id.
 * Within one consumer group each event goes to one consumer (one process); every group gets
 * every event.
 */
export interface EventBus {
  publish<N extends EventName>(name: N, payload: EventPayload<N>, id: string): Promise<void>;
  subscribe<N extends EventName>(name: N, group: string, handler: EventHandler<N>): Promise<Subscription>;
  /** Resolves when the bus can take events (Redis reachable); used by /readyz. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Fire-and-forget wake-ups between server processes (a job was queued for agent X, a job was
 * cancelled). Lossy by design: whoever is woken re-reads the database, and polls time out.
 */
export interface Notifier {
  notify(channel: string, message: string): Promise<void>;
  listen(channel: string, handler: (message: string) => void): Promise<() => Promise<void>>;
  close(): Promise<void>;
}
