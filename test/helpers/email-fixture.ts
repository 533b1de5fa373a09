import { silentLogger, systemClock, type Logger, type PlatformDeps } from '../../src/core/index.js';
import { createInProcessBus } from '../../src/bus/in-process-bus.js';
import { createInProcessNotifier } from '../../src/bus/in-process-notifier.js';
import { validateEmailConfig, type EmailConfig } from '../../adapters/email/email-platform.js';
import type { EmailPlatformTuning } from '../../adapters/email/email-platform.js';
import type { DovecotUser, PrivateDovecot } from './email-dovecot.js';
import type { SmtpPeer } from './email-smtp-peer.js';
import { MemoryAuditStore } from './memory-audit.js';
import { MemoryJobsApi } from './memory-jobs-api.js';
import { MemoryKeyValueStore } from './memory-kv.js';

/** The bot's mailbox on the private Dovecot. */
export const BOT_ACCOUNT: DovecotUser = { user: 'bot@example.test', password: 'bot-secret-1' };

/** Short timeouts and backoffs, so failure paths finish within a test. */
export const FAST_TUNING: EmailPlatformTuning = {
  watcher: { reconnect: { baseMs: 100, capMs: 1000, jitter: 'equal' }, retry: { baseMs: 2000, capMs: 4000, jitter: 'equal' }, timeoutMs: 5000 },
  smtpTimeoutMs: 5000,
  smtpAttempts: 3,
  smtpBackoff: { baseMs: 100, capMs: 400, jitter: 'equal' },
};

/** PlatformDeps over in-memory stores; `kv` and `audit` are exposed for assertions. */
export function memoryPlatformDeps(options: { kv?: MemoryKeyValueStore; logger?: Logger; nodeId?: string } = {}): PlatformDeps & { kv: MemoryKeyValueStore; audit: MemoryAuditStore } {
  return {
    jobs: new MemoryJobsApi(),
    bus: createInProcessBus(),
    notifier: createInProcessNotifier(),
    kv: options.kv ?? new MemoryKeyValueStore(),
    audit: new MemoryAuditStore(),
    clock: systemClock,
    logger: options.logger ?? silentLogger,
    nodeId: options.nodeId ?? 'email-test',
    dataDir: '/nonexistent',
    publicUrl: null,
  };
}

/** The raw `email` section for the private Dovecot and SMTP peer (merge `extra` over it). */
export function rawEmailSection(dovecot: PrivateDovecot, smtp: SmtpPeer, extra: Record<string, unknown> = {}, imapExtra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    imap: { host: dovecot.host, port: dovecot.port, secure: false, user: BOT_ACCOUNT.user, password: BOT_ACCOUNT.password, ...imapExtra },
    smtp: { host: smtp.host, port: smtp.port, secure: false },
    from: `Skadi <${BOT_ACCOUNT.user}>`,
    allowSenders: ['*@example.test'],
    pollIntervalMs: 1000,
    ...extra,
  };
}

/** The validated config for the private Dovecot and SMTP peer. */
export function emailConfigFor(dovecot: PrivateDovecot, smtp: SmtpPeer, extra: Record<string, unknown> = {}, imapExtra: Record<string, unknown> = {}): EmailConfig {
  return validateEmailConfig(rawEmailSection(dovecot, smtp, extra, imapExtra));
}
