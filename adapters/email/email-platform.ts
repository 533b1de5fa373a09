import type { FastifyPluginAsync } from 'fastify';
import type { BackoffPolicy, ChatAdapter, PlatformDeps } from '../../src/core/index.js';
import { parseAddress } from './addresses.js';
import { EMAIL_MAX_TEXT_LENGTH, EmailAdapter } from './email-adapter.js';
import type { EmailConfig } from './email-config.js';
import { createMailProcessor } from './mail-processor.js';
import { MailSender } from './mail-sender.js';
import { MailboxWatcher, type MailboxWatcherOptions } from './mailbox-watcher.js';

export { validateEmailConfig, type EmailConfig } from './email-config.js';

/** Knobs tests turn (short timeouts and backoffs); production uses the defaults. */
export interface EmailPlatformTuning {
  watcher?: Partial<Omit<MailboxWatcherOptions, 'imap' | 'pollIntervalMs'>>;
  smtpTimeoutMs?: number;
  smtpAttempts?: number;
  smtpBackoff?: BackoffPolicy;
}

/**
 * Builds the email adapter: an IMAP watcher on `email.imap.mailbox` and an SMTP sender. Needs
 * no HTTP routes. Nothing connects until the wiring calls `adapter.start()`.
 */
export async function createEmailPlatform(config: EmailConfig, deps: PlatformDeps, tuning: EmailPlatformTuning = {}): Promise<{ adapter: ChatAdapter; plugin?: FastifyPluginAsync }> {
  // The wiring's logger already names the platform; each part adds its component.
  const { logger } = deps;
  const sender = new MailSender(
    { smtp: config.smtp, from: config.from, maxTextLength: EMAIL_MAX_TEXT_LENGTH, timeoutMs: tuning.smtpTimeoutMs, attempts: tuning.smtpAttempts, backoff: tuning.smtpBackoff },
    { logger },
  );
  const adapter = new EmailAdapter(sender);
  const botAddresses = [parseAddress(config.from)?.address, parseAddress(config.imap.user)?.address].filter((a): a is string => typeof a === 'string');
  const handle = createMailProcessor(
    {
      botAddresses,
      allowSenders: config.allowSenders,
      requireAuthResults: config.requireAuthResults,
      trustedAuthServIds: config.trustedAuthServIds,
      maxMessageBytes: config.maxMessageBytes,
      maxAttachmentBytes: config.maxAttachmentBytes,
    },
    { sink: () => adapter.sink, send: (thread, message) => sender.send(thread, message), audit: deps.audit, clock: deps.clock, logger },
  );
  const watcher = new MailboxWatcher(
    { imap: config.imap, pollIntervalMs: config.pollIntervalMs, ...tuning.watcher },
    { kv: deps.kv, clock: deps.clock, logger, owner: deps.nodeId, handle },
  );
  adapter.attach(watcher);
  return { adapter };
}
