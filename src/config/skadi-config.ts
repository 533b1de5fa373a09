import type { WebUser } from './config-schema.js';
import type { RateSpec } from './parse-values.js';
import type { RedactionRule } from '../core/redaction.js';
import type { WatchNotifyTarget } from '../watch/watch-notify-target.js';

/** The validated, frozen configuration. Each module receives only its slice. */
export interface SkadiConfig {
  server: { host: string; port: number; publicUrl: string | null; bodyLimit: number };
  database: { url: string; migrate: boolean };
  redis: { url: string | null; keyPrefix: string };
  node: { id: string | null };
  jobs: { timeoutMs: number; ackTimeoutMs: number; maxOutput: number; maxMessageLength: number; signingKey: string | null; redact: RedactionRule[] };
  agents: { offlineAfterMs: number; pollWaitMaxMs: number; maxConcurrentJobs: number };
  /** Token buckets per user and per agent (null: no limit); in memory, per server process. */
  rateLimit: { user: RateSpec | null; agent: RateSpec | null };
  timers: { intervalMs: number };
  /** Defaults of a fan-out's options (`--concurrency`, `--max-failures`). */
  fanout: { concurrency: number; maxFailures: number };
  demoAgent: { enabled: boolean; name: string };
  web: { enabled: boolean; users: WebUser[] | null };
  /** Access rules, as returned by the chat layer's validator at load time. */
  access: unknown;
  /** Platform sections as returned by each adapter's validator at load time; null = platform off. */
  slack: unknown;
  teams: unknown;
  wechat: unknown;
  email: unknown;
  /** Fleet events: where to post them (null: nowhere) and how often to look for version drift. */
  watch: { notify: WatchNotifyTarget | null; driftIntervalMs: number };
  log: { level: string };
  data: { dir: string };
}
