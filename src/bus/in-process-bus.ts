import { silentLogger, SkadiError, type BusEvent, type EventBus, type EventHandler, type EventName, type Logger, type Subscription } from '../core/index.js';

export type InProcessBusOptions = Record<string, never>;

export interface InProcessBusDeps {
  logger?: Logger;
}

type AnyHandler = (event: BusEvent) => Promise<void>;

interface Group {
  handlers: AnyHandler[];
  /** Round-robin position among the group's handlers. */
  next: number;
  /** Settles when the group's last delivery did: deliveries run one after another, in publish order. */
  tail: Promise<void>;
}

/**
 * Event bus inside one process. publish resolves once every group's handler has resolved and
 * rejects if one threw, so the outbox relay marks an event relayed only after it was handled
 * (at least once, like Redis; the relay publishes again later). A group whose subscribers all
 * closed still exists and makes publish reject, so its events wait in the outbox rather than
 * being dropped. Groups that never subscribed get nothing.
 */
export function createInProcessBus(_options: InProcessBusOptions = {}, deps: InProcessBusDeps = {}): EventBus {
  const logger = (deps.logger ?? silentLogger).child({ component: 'in-process-bus' });
  const topics = new Map<EventName, Map<string, Group>>();
  let closed = false;

  const deliver = (groupName: string, group: Group, event: BusEvent): Promise<void> => {
    const run = group.tail.then(() => {
      const handler = group.handlers[group.next % Math.max(1, group.handlers.length)];
      if (!handler) throw new SkadiError('SKADI_UNAVAILABLE', `no subscriber in group ${groupName} for ${event.name}`);
      group.next = (group.next + 1) % group.handlers.length;
      return handler(event);
    });
    group.tail = run.then(
      () => undefined,
      (err: unknown) => logger.debug({ group: groupName, eventId: event.id, err: err instanceof Error ? err.message : String(err) }, 'handler failed'),
    );
    return run;
  };

  return {
    async publish(name, payload, id) {
      if (closed) throw new SkadiError('SKADI_UNAVAILABLE', 'publish: event bus is closed');
      const groups = topics.get(name);
      if (!groups || groups.size === 0) return;
      // A JSON copy, as Redis would deliver: no handler sees the publisher's object or another's edits.
      const event = { id, name, payload: JSON.parse(JSON.stringify(payload)) } as BusEvent;
      await Promise.all([...groups].map(([groupName, group]) => deliver(groupName, group, event)));
    },

    async subscribe<N extends EventName>(name: N, groupName: string, handler: EventHandler<N>): Promise<Subscription> {
      if (closed) throw new SkadiError('SKADI_UNAVAILABLE', 'subscribe: event bus is closed');
      const groups = topics.get(name) ?? new Map<string, Group>();
      topics.set(name, groups);
      const group = groups.get(groupName) ?? { handlers: [], next: 0, tail: Promise.resolve() };
      groups.set(groupName, group);
      const own = handler as unknown as AnyHandler;
      group.handlers.push(own);
      return {
        async close() {
          const at = group.handlers.indexOf(own);
          if (at >= 0) group.handlers.splice(at, 1);
        },
      };
    },

    async ping() {
      if (closed) throw new SkadiError('SKADI_UNAVAILABLE', 'event bus is closed');
    },

    async close() {
      closed = true;
      const tails = [...topics.values()].flatMap((groups) => [...groups.values()].map((g) => g.tail));
      await Promise.all(tails);
      topics.clear();
    },
  };
}
