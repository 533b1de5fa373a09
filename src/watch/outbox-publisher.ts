import type { Clock } from '../core/clock.js';
import type { EventName, EventPayload } from '../core/events.js';
import type { OutboxEvent, OutboxStore } from '../core/stores.js';

/** Publishes one event durably: written to the outbox, then handed to the relay's fast path. */
export type PublishEvent = <N extends EventName>(name: N, payload: EventPayload<N>, id: string) => Promise<void>;

export interface OutboxPublisherDeps {
  outbox: Pick<OutboxStore, 'add'>;
  relay: { relayNow(events: OutboxEvent[]): void };
  clock: Clock;
  /** How long this writer owns the fresh row before the relay's sweep may take it (the relay's claim window). */
  claimMs: number;
}

/**
 * Events that are not job transitions go through the outbox like every event (as the
 * dispatcher's EventMessage does), so a bus outage delays them instead of losing them. Adding
 * an id twice is a no-op, so callers in several processes may race on one deterministic id.
 */
export function createOutboxPublisher(deps: OutboxPublisherDeps): PublishEvent {
  return async (name, payload, id) => {
    const now = deps.clock.now();
    const event = await deps.outbox.add(name, payload, id, now, new Date(now.getTime() + deps.claimMs));
    deps.relay.relayNow([event]);
  };
}
