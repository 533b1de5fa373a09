import type { FastifyInstance } from 'fastify';
import type { ChatAdapter } from './core/chat-adapter.js';
import type { Clock } from './core/clock.js';
import type { EventBus } from './core/event-bus.js';
import type { Logger } from './core/logger.js';
import type { Stores } from './core/stores.js';
import type { SkadiConfig } from './config/skadi-config.js';
import type { TokenService } from './auth/token-service.js';
import type { JobService } from './jobs/job-service.js';
import { registerEventStream } from './http/event-stream-route.js';
import { createEventFanout } from './watch/event-fanout.js';
import { createFleetDriftCheck } from './watch/fleet-drift-check.js';
import type { PublishEvent } from './watch/outbox-publisher.js';
import { createWatchNotifier, type WatchNotifier } from './watch/watch-notifier.js';

export interface WatchWiringDeps {
  app: FastifyInstance;
  bus: EventBus;
  stores: Pick<Stores, 'agents' | 'kv'>;
  publish: PublishEvent;
  tokens: TokenService;
  service: JobService;
  /** The chat adapters this process hosts (for `watch.notify`). */
  adapters: ReadonlyMap<string, ChatAdapter>;
  clock: Clock;
  logger: Logger;
  nodeId: string;
}

export interface WatchWiring {
  /** Subscribes the `watch.notify` poster and starts the drift check; call before the relay starts. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Fleet watching: the version-drift check, `GET /api/v1/events` for `skadi watch`, and posting
 * fleet events to the `watch.notify` conversation. (Agent offline/online events are published
 * by the JobService's onAgentStatus hook, wired in main.ts.)
 */
export function wireWatch(config: Readonly<SkadiConfig>, deps: WatchWiringDeps): WatchWiring {
  const logger = deps.logger.child({ component: 'watch' });
  // One group per process: every process relays every event to its own terminals.
  const fanout = createEventFanout({ group: `watch-live:${deps.nodeId}` }, { bus: deps.bus, logger });
  registerEventStream(deps.app, { fanout, tokens: deps.tokens, agents: deps.service, logger });
  const drift = createFleetDriftCheck({ intervalMs: config.watch.driftIntervalMs, offlineAfterMs: config.agents.offlineAfterMs }, { agents: deps.stores.agents, kv: deps.stores.kv, publish: deps.publish, clock: deps.clock, logger });
  const notifier: WatchNotifier | null = config.watch.notify ? createWatchNotifier(config.watch.notify, { bus: deps.bus, adapters: deps.adapters, logger }) : null;

  return {
    async start() {
      await notifier?.start();
      drift.start();
    },
    async stop() {
      await drift.stop();
      await notifier?.stop();
      await fanout.close();
    },
  };
}
