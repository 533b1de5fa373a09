import nodemailer from 'nodemailer';
import { AdapterError, backoffDelay, randomId, type BackoffPolicy, type Logger, type OutboundMessage, type SentMessage, type ThreadRef } from '../../src/core/index.js';
import { domainOf, parseAddress } from './addresses.js';
import type { MailServerConfig } from './email-config.js';
import { EMAIL_PLATFORM, threadData } from './normalize.js';
import { renderMail } from './render-mail.js';

export interface MailSenderOptions {
  smtp: MailServerConfig;
  /** The From header: `bot@example.com` or `Skadi <bot@example.com>`. */
  from: string;
  maxTextLength: number;
  /** Tries per mail for transient failures (4xx, lost connection), default 4. */
  attempts?: number;
  backoff?: BackoffPolicy;
  /** Socket timeouts in ms (default 30 s); short in tests. */
  timeoutMs?: number;
}

export interface MailSenderDeps {
  logger: Logger;
  sleep?: (ms: number) => Promise<void>;
}

/** The envelope and headers of one reply, for tests and logs. */
export interface OutgoingMail {
  to: string;
  subject: string;
  messageId: string;
  inReplyTo?: string;
  references: string[];
}

/** Codes nodemailer gives failures of the connection rather than of the message. */
const TRANSIENT_CODES = new Set(['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'EDNS', 'ECONNRESET', 'ECONNREFUSED', 'EPROTOCOL']);
/** How long the reply router should wait before the bus brings a failed reply back. */
const RETRY_LATER_MS = 60_000;

interface SmtpFailure {
  code?: string;
  responseCode?: number;
  message: string;
}

/** 4xx replies and connection trouble pass; 5xx replies, a bad login or a refused recipient will not. */
function isTransient(err: SmtpFailure): boolean {
  if (typeof err.responseCode === 'number') return err.responseCode >= 400 && err.responseCode < 500;
  return err.code === undefined || TRANSIENT_CODES.has(err.code);
}

/**
 * Sends replies over SMTP, threaded: `Re: <subject>`, In-Reply-To and References from the
 * ThreadRef, and headers that tell other robots not to answer (RFC 3834). Mails to one
 * correspondent go out one at a time in order; transient failures are retried with backoff,
 * then reported as AdapterError so the reply router retries later.
 */
export class MailSender {
  private readonly transport: ReturnType<typeof nodemailer.createTransport>;
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly fromDomain: string;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly log: Logger;
  /** Called after each successful send (tests, logs). */
  onSent: ((mail: OutgoingMail) => void) | null = null;

  constructor(private readonly options: MailSenderOptions, deps: MailSenderDeps) {
    const { smtp } = options;
    const timeout = options.timeoutMs ?? 30_000;
    this.transport = nodemailer.createTransport({
      host: smtp.host,
      port: smtp.port,
      secure: smtp.secure,
      requireTLS: !smtp.secure && smtp.requireTLS,
      auth: smtp.user !== null ? { user: smtp.user, pass: smtp.password ?? '' } : undefined,
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: timeout * 2,
      logger: false,
    });
    this.fromDomain = domainOf(parseAddress(options.from)?.address ?? '') || 'skadi.invalid';
    this.sleep = deps.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.log = deps.logger.child({ component: 'email-smtp' });
  }

  /** Sends `message` as a reply in `thread`; resolves with the new mail's Message-ID. */
  send(thread: ThreadRef, message: OutboundMessage): Promise<SentMessage> {
    if (thread.platform !== EMAIL_PLATFORM) return Promise.reject(new AdapterError(EMAIL_PLATFORM, `cannot send to a ${thread.platform} thread`));
    const to = parseAddress(thread.conversationId);
    if (!to) return Promise.reject(new AdapterError(EMAIL_PLATFORM, `not a mail address: ${thread.conversationId}`));
    const key = to.address;
    const previous = this.queues.get(key) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(() => this.deliver(to.address, thread, message));
    this.queues.set(key, next);
    // Forget the queue once it drains, so the map does not grow with every correspondent.
    void next.catch(() => undefined).then(() => {
      if (this.queues.get(key) === next) this.queues.delete(key);
    });
    return next;
  }

  /** Closes the SMTP transport. */
  close(): void {
    this.transport.close();
  }

  private async deliver(to: string, thread: ThreadRef, message: OutboundMessage): Promise<SentMessage> {
    const data = threadData(thread);
    const inReplyTo = data?.inReplyTo ?? thread.threadId;
    const references = data?.references ?? (thread.threadId ? [thread.threadId] : []);
    const messageId = `<${randomId(20)}.skadi@${this.fromDomain}>`;
    const subject = `Re: ${data?.subject || message.title || 'Skadi'}`;
    const body = renderMail(message, this.options.maxTextLength);
    const mail = {
      from: this.options.from,
      to,
      subject,
      messageId,
      ...(inReplyTo ? { inReplyTo } : {}),
      ...(references.length ? { references: references.join(' ') } : {}),
      text: body.text,
      html: body.html,
      attachments: body.attachments,
      // RFC 3834: an automatic answer; and ask Exchange not to send out-of-office replies to it.
      headers: { 'Auto-Submitted': 'auto-replied', 'X-Auto-Response-Suppress': 'All' },
    };
    const attempts = this.options.attempts ?? 4;
    const policy = this.options.backoff ?? { baseMs: 1000, capMs: 15_000, jitter: 'equal' as const };
    for (let attempt = 1; ; attempt++) {
      try {
        await this.transport.sendMail(mail);
        this.onSent?.({ to, subject, messageId, inReplyTo, references });
        return { messageId };
      } catch (caught) {
        const err = caught as SmtpFailure;
        const transient = isTransient(err);
        if (!transient || attempt >= attempts) {
          this.log.warn({ err, to, attempt, transient }, 'could not send mail');
          throw new AdapterError(EMAIL_PLATFORM, `SMTP ${err.responseCode ?? err.code ?? 'error'}: ${err.message}`, transient ? RETRY_LATER_MS : undefined);
        }
        const delay = backoffDelay(attempt - 1, policy);
        this.log.info({ to, attempt, delayMs: delay, code: err.responseCode ?? err.code }, 'mail not accepted; retrying');
        await this.sleep(delay);
      }
    }
  }
}
