import type { ParsedMail } from 'mailparser';
import { localPartOf, matchesSender, type MailAddress } from './addresses.js';
import { parseAuthResults, passingMethod } from './auth-results.js';
import { headerValue, headerValues, senderOf } from './mail-headers.js';

/** What decides whether a mail may run a command. */
export interface ScreenPolicy {
  /** The bot's own addresses (lower-cased): its mail never runs anything. */
  botAddresses: readonly string[];
  /** Lower-cased addresses or globs. */
  allowSenders: readonly string[];
  requireAuthResults: boolean;
  /** Lower-cased authserv-ids. */
  trustedAuthServIds: readonly string[];
  maxMessageBytes: number;
  maxAttachmentBytes: number;
}

/** Why a mail was dropped without a reply (audited under this name). */
export type IgnoreReason = 'no-sender' | 'own-mail' | 'bounce' | 'auto-submitted' | 'auto-reply' | 'bulk' | 'mailing-list' | 'sender-not-allowed' | 'not-authenticated';
/** Why an allow-listed sender's mail was refused with a short reply. */
export type RefuseReason = 'message-too-large' | 'attachment-too-large';

export type ScreenVerdict =
  | { kind: 'accept'; sender: MailAddress; authenticatedBy: string | null }
  | { kind: 'ignore'; reason: IgnoreReason; explanation: string; sender: MailAddress | null }
  | { kind: 'refuse'; reason: RefuseReason; explanation: string; limit: number; sender: MailAddress };

/** The parts of a mail the screening reads; `attachments` is absent when only the headers were fetched. */
export type ScreenedMail = Pick<ParsedMail, 'headerLines' | 'from'> & { attachments?: ReadonlyArray<{ size: number; filename?: string }> };

const BOUNCE_SENDERS = new Set(['mailer-daemon', 'postmaster', 'mail-daemon', 'mailerdaemon']);

function ignore(reason: IgnoreReason, explanation: string, sender: MailAddress | null): ScreenVerdict {
  return { kind: 'ignore', reason, explanation, sender };
}

/**
 * Why this mail must not be answered at all: it came from a machine (a bounce, an auto-reply,
 * a list), and answering machines is how mail loops start (RFC 3834). Null for a person's mail.
 */
function machineMail(mail: ScreenedMail, sender: MailAddress): ScreenVerdict | null {
  if (BOUNCE_SENDERS.has(localPartOf(sender.address))) return ignore('bounce', `sent by ${sender.address}`, sender);
  const contentType = headerValue(mail, 'content-type')?.toLowerCase() ?? '';
  if (contentType.startsWith('multipart/report')) return ignore('bounce', 'a delivery or read report (multipart/report)', sender);
  if (headerValues(mail, 'return-path').some((v) => /^<\s*>$/.test(v))) return ignore('bounce', 'null envelope sender (Return-Path: <>)', sender);
  const autoSubmitted = headerValue(mail, 'auto-submitted');
  if (autoSubmitted !== null && !/^no\b/i.test(autoSubmitted)) return ignore('auto-submitted', `Auto-Submitted: ${autoSubmitted}`, sender);
  for (const name of ['x-autoreply', 'x-autorespond', 'x-auto-response']) {
    const value = headerValue(mail, name);
    if (value !== null && !/^no\b/i.test(value)) return ignore('auto-reply', `${name}: ${value}`, sender);
  }
  const precedence = headerValue(mail, 'precedence');
  if (precedence !== null && /^(bulk|junk|list|auto_reply)\b/i.test(precedence)) return ignore('bulk', `Precedence: ${precedence}`, sender);
  const listId = headerValue(mail, 'list-id');
  if (listId !== null) return ignore('mailing-list', `List-Id: ${listId}`, sender);
  return null;
}

/**
 * The first Authentication-Results header written by a trusted server, read top-down: the
 * receiving server adds its own on top, so one with the same authserv-id further down was
 * forged by the sender (RFC 8601 §5).
 */
function authCheck(mail: ScreenedMail, sender: MailAddress, policy: ScreenPolicy): { ok: true; method: string } | { ok: false; explanation: string } {
  for (const value of headerValues(mail, 'authentication-results')) {
    const header = parseAuthResults(value);
    if (!header || !policy.trustedAuthServIds.includes(header.authServId)) continue;
    const method = passingMethod(header, sender.address);
    return method ? { ok: true, method } : { ok: false, explanation: `${header.authServId} shows no DKIM, SPF or DMARC pass for ${sender.address}` };
  }
  return { ok: false, explanation: `no Authentication-Results from ${policy.trustedAuthServIds.join(', ')}` };
}

/**
 * Decides what happens to one mail: run it, drop it silently (audited), or refuse it with a
 * short reply. Pure. Strangers and machines never get a reply: answering forged senders is
 * backscatter, and answering robots is a loop.
 */
export function screenMail(mail: ScreenedMail, size: number, policy: ScreenPolicy): ScreenVerdict {
  const sender = senderOf(mail);
  if (!sender) return ignore('no-sender', 'no From address', null);
  if (policy.botAddresses.includes(sender.address)) return ignore('own-mail', `sent by the bot's own address ${sender.address}`, sender);
  const machine = machineMail(mail, sender);
  if (machine) return machine;
  if (!policy.allowSenders.some((pattern) => matchesSender(sender.address, pattern))) return ignore('sender-not-allowed', `${sender.address} is not in email.allowSenders`, sender);
  let authenticatedBy: string | null = null;
  if (policy.requireAuthResults) {
    const auth = authCheck(mail, sender, policy);
    if (!auth.ok) return ignore('not-authenticated', auth.explanation, sender);
    authenticatedBy = auth.method;
  }
  if (size > policy.maxMessageBytes) {
    return { kind: 'refuse', reason: 'message-too-large', explanation: `the mail is ${size} bytes; the limit is ${policy.maxMessageBytes}`, limit: policy.maxMessageBytes, sender };
  }
  const big = mail.attachments?.find((attachment) => attachment.size > policy.maxAttachmentBytes);
  if (big) {
    return { kind: 'refuse', reason: 'attachment-too-large', explanation: `attachment ${big.filename ?? '(unnamed)'} is ${big.size} bytes; the limit is ${policy.maxAttachmentBytes}`, limit: policy.maxAttachmentBytes, sender };
  }
  return { kind: 'accept', sender, authenticatedBy };
}
