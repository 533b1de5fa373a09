import { createHash } from 'node:crypto';
import type { ParsedMail } from 'mailparser';
import type { InboundMessage, ThreadRef } from '../../src/core/index.js';
import type { MailAddress } from './addresses.js';
import { headerValue, messageIds } from './mail-headers.js';
import { baseSubject, commandText } from './mail-text.js';

export const EMAIL_PLATFORM = 'email';

/** Longest References chain kept on a ThreadRef (the root and the most recent ones). */
export const MAX_REFERENCES = 20;

/** Where a fetched mail came from in the mailbox. */
export interface MailContext {
  uid: number;
  uidValidity: string;
  mailbox: string;
  /** The server's arrival time (INTERNALDATE), or now. */
  receivedAt: Date;
}

/** What the adapter keeps in `ThreadRef.opaque` to answer so that mail clients thread the reply. */
export interface EmailThreadData {
  /** The subject without `Re:`; replies are `Re: <subject>`. */
  subject: string;
  /** Message-ID of the mail being answered (`<…>`): the reply's In-Reply-To. */
  inReplyTo: string;
  /** The reply's References: the answered mail's References and its own Message-ID. */
  references: string[];
}

/** The mail's Message-ID `<…>`, or a stable stand-in built from its place in the mailbox. */
export function messageIdOf(mail: Pick<ParsedMail, 'headerLines'>, ctx: Pick<MailContext, 'uid' | 'uidValidity' | 'mailbox'>): string {
  const id = messageIds(headerValue(mail, 'message-id'))[0];
  return id ?? `<uid-${ctx.uidValidity}-${ctx.uid}.${encodeURIComponent(ctx.mailbox)}@skadi.invalid>`;
}

/**
 * The InboundMessage id: the Message-ID without brackets (a client resending a mail keeps it,
 * so the dispatcher drops the repeat). Long ids are hashed to fit the de-duplication key.
 */
export function inboundId(messageId: string): string {
  const bare = messageId.replace(/^<|>$/g, '');
  return bare.length <= 200 ? bare : `sha256:${createHash('sha256').update(bare).digest('hex')}`;
}

/** Longest subject kept for `Re: <subject>`, in characters. */
const MAX_SUBJECT = 200;

/** The subject a reply repeats: without reply prefixes, on one line (no header injection), bounded. */
function replySubject(subject: string): string {
  // Control characters (a decoded CR LF above all) become spaces.
  const line = Array.from(baseSubject(subject), (c) => (c.charCodeAt(0) < 0x20 || c === '\u007f' ? ' ' : c)).join('').replace(/ {2,}/g, ' ').trim();
  const chars = Array.from(line);
  return chars.length <= MAX_SUBJECT ? line : `${chars.slice(0, MAX_SUBJECT).join('')}…`;
}

/** Keeps the root and the newest entries: RFC 5322 §3.6.4 trimming, so a long exchange stays threaded. */
function trimReferences(references: string[]): string[] {
  if (references.length <= MAX_REFERENCES) return references;
  return [references[0]!, ...references.slice(references.length - (MAX_REFERENCES - 1))];
}

/**
 * The thread a mail belongs to. The conversation is the correspondent's address (replies go
 * there); the thread is the root Message-ID of the exchange, so the user's answer to a reply
 * lands in the same ThreadRef as the mail that started it.
 */
export function threadOf(mail: Pick<ParsedMail, 'headerLines' | 'subject'>, sender: MailAddress, ctx: Pick<MailContext, 'uid' | 'uidValidity' | 'mailbox'>): ThreadRef {
  const own = messageIdOf(mail, ctx);
  const references = messageIds(headerValue(mail, 'references'));
  const inReplyTo = messageIds(headerValue(mail, 'in-reply-to'))[0];
  const root = references[0] ?? inReplyTo ?? own;
  const data: EmailThreadData = {
    subject: replySubject(mail.subject ?? ''),
    inReplyTo: own,
    references: trimReferences([...(references.length ? references : inReplyTo ? [inReplyTo] : []), own].filter((id, i, all) => all.indexOf(id) === i)),
  };
  return { platform: EMAIL_PLATFORM, conversationId: sender.address, threadId: root, opaque: { ...data } };
}

/**
 * Turns a parsed mail that passed screening into an InboundMessage. Pure. The sender is the
 * screened From address (identity `email:<address>`); every mail is addressed to the bot.
 */
export function normalizeMail(mail: ParsedMail, sender: MailAddress, ctx: MailContext): InboundMessage {
  const messageId = messageIdOf(mail, ctx);
  return {
    id: inboundId(messageId),
    platform: EMAIL_PLATFORM,
    thread: threadOf(mail, sender, ctx),
    sender: { id: sender.address, identity: `${EMAIL_PLATFORM}:${sender.address}`, displayName: sender.name || sender.address, isBot: false },
    text: commandText(mail.subject, mail.text),
    mentionsBot: true,
    receivedAt: ctx.receivedAt,
    raw: { uid: ctx.uid, uidValidity: ctx.uidValidity, mailbox: ctx.mailbox, messageId, subject: mail.subject ?? '' },
  };
}

/** Reads the adapter's data back from a (possibly JSON-stored) ThreadRef; null when absent or malformed. */
export function threadData(thread: ThreadRef): EmailThreadData | null {
  const o = thread.opaque;
  if (!o || typeof o.subject !== 'string' || typeof o.inReplyTo !== 'string' || !Array.isArray(o.references)) return null;
  const references = o.references.filter((r): r is string => typeof r === 'string');
  return { subject: o.subject, inReplyTo: o.inReplyTo, references };
}
