import type { Clock } from './clock.js';
import type { EventBus, Notifier } from './event-bus.js';
import type { JobsApi } from './jobs-api.js';
import type { Logger } from './logger.js';
import type { AuditStore, KeyValueStore } from './stores.js';

/**
 * What the wiring hands a platform adapter's factory (`createSlackPlatform(config, deps)` …).
 * Adapters see only this, never the stores or the job service themselves.
 */
export interface PlatformDeps {
  jobs: JobsApi;
  bus: EventBus;
  notifier: Notifier;
  /** Durable small values (e.g. the email adapter's last UID), shared by every process. */
  kv: KeyValueStore;
  audit: AuditStore;
  clock: Clock;
  logger: Logger;
  /** Stable name of this server process. */
  nodeId: string;
  /** Directory for the adapter's own files (a WeChat session, …). */
  dataDir: string;
  /** URL users reach the server at, for links in replies; null when unknown. */
  publicUrl: string | null;
}
