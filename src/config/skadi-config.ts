import type { WebUser } from './config-schema.js';

/** The validated, frozen configuration. Each module receives only its slice. */
export interface SkadiConfig {
  server: { host: string; port: number; publicUrl: string | null; bodyLimit: number };
  database: { url: string; migrate: boolean };
  redis: { url: string | null; keyPrefix: string };
  node: { id: string | null };
  jobs: { timeoutMs: number; ackTimeoutMs: number; maxOutput: number; maxMessageLength: number };
  agents: { offlineAfterMs: number; pollWaitMaxMs: number };
  timers: { intervalMs: number };
  demoAgent: { enabled: boolean; name: string };
  web: { enabled: boolean; users: WebUser[] | null };
  /** Access rules as written; validated by the chat layer's validator at load time. */
  access: unknown;
  log: { level: string };
  data: { dir: string };
}
