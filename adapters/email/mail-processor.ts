import { simpleParser } from 'mailparser';
import type { AuditStore, Clock, Logger, MessageSink, OutboundMessage, SentMessage, ThreadRef } from '../../src/core/index.js';
import { screenMail, type ScreenPolicy, type ScreenVerdict } from './mail-screen.js';
import type { FetchedMail } from './mailbox-pass.js';
import { EMAIL_PLATFORM, messageIdOf, normalizeMail, threadOf, type MailContext } from './normalize.js';

export interface MailProcessorDeps {
  /** The dispatcher while the adapter runs, else null. */
  sink(): MessageSink | null;
  send(thread: ThreadRef, message: OutboundMessage): Promise<SentMessage>;
  audit: AuditStore;
  clock: Clock;
  logger: Logger;
}

/** HTML bigger than this is not turned into text (mailparser's guard against pathological markup). */
const MAX_HTML_TO_TEXT = 2 * 1024 * 1024;

/** `1.5 MB`-style sizes for the refusal text. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 ** 2) return `${(bytes / 1024).toFixed(bytes < 10 * 1024 ? 1 : 0)} KB`;
  return `${(bytes / 1024 ** 2).toFixed(bytes < 10 * 1024 ** 2 ? 1 : 0)} MB`;
}

function refusalText(verdict: Extract<ScreenVerdict, { kind: 'refuse' }>, size: number): string {
  if (verdict.reason === 'message-too-large') {
    return `Your mail was not run: it is ${formatBytes(size)}, and this mailbox takes commands in mails of up to ${formatBytes(verdict.limit)}. Send the command again in a short mail, without attachments.`;
  }
  return `Your mail was not run: it carries an attachment larger than ${formatBytes(verdict.limit)}, the limit of this mailbox (${verdict.explanation}). Commands need no attachments: send the command again without it.`;
}

/**
 * Handles one fetched mail: parse, screen, then run it (hand it to the dispatcher), drop it
 * (audited), or refuse it with a short reply (audited). Throws when it should be tried again
 * later (the dispatcher or the audit store unreachable, the refusal not sent).
 */
export function createMailProcessor(policy: ScreenPolicy, deps: MailProcessorDeps): (mail: FetchedMail) => Promise<void> {
  const log = deps.logger.child({ component: 'email-inbound' });

  return async (mail) => {
    // An oversized mail is judged on its header block: the sender still hears why, but its body is never downloaded.
    const headersOnly = mail.size > policy.maxMessageBytes;
    const source = await mail.load(headersOnly ? 'headers' : 'source');
    const parsed = await simpleParser(source, { skipTextToHtml: true, skipTextLinks: true, skipImageLinks: true, maxHtmlLengthToParse: MAX_HTML_TO_TEXT });
    const verdict = screenMail(headersOnly ? { headerLines: parsed.headerLines, from: parsed.from } : parsed, mail.size, policy);
    const ctx: MailContext = { uid: mail.uid, uidValidity: mail.uidValidity, mailbox: mail.mailbox, receivedAt: mail.internalDate ?? deps.clock.now() };
    const messageId = messageIdOf(parsed, ctx);
    const facts = { messageId, uid: mail.uid, mailbox: mail.mailbox, subject: (parsed.subject ?? '').slice(0, 200), size: mail.size };

    if (verdict.kind === 'accept') {
      const sink = deps.sink();
      if (!sink) throw new Error('the email adapter is stopped');
      const message = normalizeMail(parsed, verdict.sender, ctx);
      log.info({ ...facts, from: verdict.sender.address, authenticatedBy: verdict.authenticatedBy }, 'mail accepted');
      await sink(message);
      return;
    }

    const actor = `${EMAIL_PLATFORM}:${verdict.sender?.address ?? 'unknown'}`;
    const action = verdict.kind === 'ignore' ? 'email.ignored' : 'email.refused';
    await deps.audit.append({ at: deps.clock.now(), actor, action, target: messageId, decision: 'deny', detail: { reason: verdict.reason, explanation: verdict.explanation, ...facts } });
    log.info({ ...facts, from: verdict.sender?.address, reason: verdict.reason, explanation: verdict.explanation }, verdict.kind === 'ignore' ? 'mail ignored' : 'mail refused');
    if (verdict.kind === 'refuse') {
      await deps.send(threadOf(parsed, verdict.sender, ctx), { text: refusalText(verdict, mail.size), status: 'refused' });
    }
  };
}
