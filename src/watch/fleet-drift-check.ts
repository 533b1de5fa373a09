import { createHash } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import type { EventFleetDriftPayload } from '../core/events.js';
import type { Logger } from '../core/logger.js';
import type { AgentStore, KeyValueStore } from '../core/stores.js';
import { isOnlineNow, versionsOf } from './fleet-versions.js';
import type { PublishEvent } from './outbox-publisher.js';

export interface FleetDriftOptions {
  /** How often the online agents' versions are compared. */
  intervalMs: number;
  offlineAfterMs: number;
}

export interface FleetDriftDeps {
  agents: Pick<AgentStore, 'list'>;
  kv: KeyValueStore;
  publish: PublishEvent;
  clock: Clock;
  logger: Logger;
}

export interface FleetDriftCheck {
  /** Compares once; returns the event it published, or null when the version set did not change. */
  check(): Promise<EventFleetDriftPayload | null>;
  start(): void;
  stop(): Promise<void>;
}

/** Shared by every process: the version set last announced and its generation. */
const STATE_KEY = 'watch:fleet-versions';

interface DriftState {
  /** The sorted versions, one per line. */
  versions: string;
  generation: number;
}

/**
 * Publishes EventFleetDrift when the set of versions the online agents run changes: drift
 * begins (a second version appears), changes, or ends (one version again). Agents coming and
 * going with a version already present are not drift (EventAgentStatus covers them), nor is the
 * whole fleet going offline. Every process may run it: the announced state lives in the shared
 * key-value store and the event id is (generation, versions), so processes that notice the same
 * change at once write one outbox row.
 */
export function createFleetDriftCheck(options: FleetDriftOptions, deps: FleetDriftDeps): FleetDriftCheck {
  let timer: NodeJS.Timeout | null = null;
  let running: Promise<unknown> | null = null;

  async function check(): Promise<EventFleetDriftPayload | null> {
    const now = deps.clock.now();
    const online = (await deps.agents.list()).filter((agent) => isOnlineNow(agent, now, options.offlineAfterMs));
    if (online.length === 0) return null;
    const versions = versionsOf(online);
    const key = Object.keys(versions).join('\n');
    const state = await deps.kv.get<DriftState>(STATE_KEY);
    if (state?.versions === key) return null;
    if (state === null && Object.keys(versions).length === 1) {
      // First sight of a uniform fleet: nothing has drifted, remember it quietly.
      await deps.kv.set<DriftState>(STATE_KEY, { versions: key, generation: 0 });
      return null;
    }
    const generation = (state?.generation ?? 0) + 1;
    const payload: EventFleetDriftPayload = { versions, at: now.toISOString() };
    const digest = createHash('sha256').update(key).digest('hex').slice(0, 16);
    await deps.publish('EventFleetDrift', payload, `fleet-drift:${generation}:${digest}`);
    await deps.kv.set<DriftState>(STATE_KEY, { versions: key, generation });
    deps.logger.info({ versions: Object.fromEntries(Object.entries(versions).map(([v, names]) => [v, names.length])) }, Object.keys(versions).length > 1 ? 'fleet version drift' : 'fleet runs one version again');
    return payload;
  }

  const tick = (): void => {
    if (running) return;
    running = check()
      .catch((err: unknown) => deps.logger.warn({ err }, 'fleet drift check failed; trying again next interval'))
      .finally(() => (running = null));
  };

  return {
    check,
    start() {
      if (timer) return;
      timer = setInterval(tick, options.intervalMs);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = null;
      await running;
    },
  };
}
