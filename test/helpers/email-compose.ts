import { randomBytes } from 'node:crypto';
import MailComposer from 'nodemailer/lib/mail-composer';

export interface ComposeInput {
  from: string;
  to?: string;
  subject?: string;
  text?: string;
  html?: string;
  /** `<…>`; generated when absent. */
  messageId?: string;
  inReplyTo?: string;
  references?: string[];
  headers?: Record<string, string>;
  attachments?: Array<{ filename: string; content: string | Buffer }>;
}

/** A fresh Message-ID `<…@example.test>`. */
export function newMessageId(prefix = 'm'): string {
  return `<${prefix}${randomBytes(8).toString('hex')}@example.test>`;
}

/**
 * Builds a raw RFC 5322 mail the way a mail client would (nodemailer's composer: RFC 2047
 * subjects, quoted-printable bodies, MIME multiparts), to APPEND into the test mailbox.
 */
export async function composeMail(input: ComposeInput): Promise<Buffer> {
  const composer = new MailComposer({
    from: input.from,
    to: input.to ?? 'bot@example.test',
    subject: input.subject,
    text: input.text,
    html: input.html,
    messageId: input.messageId ?? newMessageId(),
    inReplyTo: input.inReplyTo,
    references: input.references,
    headers: input.headers,
    attachments: input.attachments,
  });
  return composer.compile().build();
}
