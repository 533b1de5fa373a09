import fc from 'fast-check';
import { simpleParser } from 'mailparser';
import nodemailer from 'nodemailer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MailSender } from '../../../../adapters/email/mail-sender.js';
import { normalizeMail, threadData, threadOf } from '../../../../adapters/email/normalize.js';
import { screenMail } from '../../../../adapters/email/mail-screen.js';
import { silentLogger } from '../../../../src/core/logger.js';
import { startSmtpPeer, type SmtpPeer } from '../../../helpers/email-smtp-peer.js';

const ctx = { uid: 7, uidValidity: '1', mailbox: 'INBOX', receivedAt: new Date('2026-11-22T04:00:00Z') };
const sender = { name: 'Ops', address: 'ops@example.com' };
/** RFC 2047 lets a header carry any bytes, CR LF included, once decoded. */
const encoded = (text: string) => `=?UTF-8?B?${Buffer.from(text).toString('base64')}?=`;

/** A hostile mail: every header that flows into the reply tries to smuggle headers of its own. */
const HOSTILE_MAIL = [
  `From: ${encoded('Ops\r\nBcc: victim@evil.test')} <ops@example.com>`,
  'To: skadi@example.com',
  `Subject: ${encoded('web-1 uptime\r\nBcc: victim@evil.test\r\nX-Injected: subject')}`,
  'Message-ID: <root.1@example.com>',
  'In-Reply-To: <a@example.com>\r\n X-Injected: folded',
  'References: <a@example.com> <b@example.com>\tX-Injected: refs <c\r\n @example.com>',
  'MIME-Version: 1.0',
  'Content-Type: text/plain; charset=utf-8',
  '',
  'web-1 uptime',
  '',
].join('\r\n');

/** Header names of a raw message (the block before the first empty line, unfolded). */
function headerNames(raw: string): string[] {
  const block = raw.split(/\r?\n\r?\n/)[0]!;
  return block.split(/\r?\n(?![ \t])/).map((line) => line.slice(0, line.indexOf(':')).toLowerCase());
}

describe('email: hostile mail cannot inject headers into the reply', () => {
  let peer: SmtpPeer;
  let sender_: MailSender;
  beforeAll(async () => {
    peer = await startSmtpPeer();
    sender_ = new MailSender({ smtp: { host: peer.host, port: peer.port, secure: false, requireTLS: false, user: null, password: null }, from: 'Skadi <skadi@example.com>', maxTextLength: 4000, timeoutMs: 5000 }, { logger: silentLogger });
  });
  afterAll(async () => {
    sender_.close();
    await peer.close();
  });

  it('replies with one clean Subject line, its own threading headers, to the sender only', async () => {
    const parsed = await simpleParser(HOSTILE_MAIL);
    const message = normalizeMail(parsed, sender, ctx);
    const data = threadData(message.thread)!;
    expect(data.subject).not.toMatch(/[\r\n]/);
    await sender_.send(message.thread, { text: 'Job abc queued for web-1', status: 'queued', title: 'x\r\nBcc: victim2@evil.test' });
    const [mail] = await peer.waitFor((m) => m.length === 1);
    expect(mail!.envelope.to).toEqual(['ops@example.com']);
    const names = headerNames(mail!.raw.toString('utf8'));
    expect(names).not.toContain('bcc');
    expect(names).not.toContain('x-injected');
    expect(names.filter((n) => n === 'subject')).toHaveLength(1);
    expect(mail!.header('subject')).toBe('Re: web-1 uptime Bcc: victim@evil.test X-Injected: subject');
    expect(mail!.header('in-reply-to')).toBe('<root.1@example.com>');
    expect(mail!.header('references')).toBe('<a@example.com> <b@example.com> <root.1@example.com>');
  });

  it('for any subject, the reply has exactly the headers Skadi sets (property)', async () => {
    const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'windows' });
    const nasty = fc.array(fc.oneof(fc.constantFrom('\r\n', '\r', '\n', '\u2028', '\u0085', '\u0000', 'Bcc: x@evil.test', ': ', '=?UTF-8?B?', '?=', '\t'), fc.string({ unit: 'binary', maxLength: 8 })), { maxLength: 20 }).map((p) => p.join(''));
    await fc.assert(
      fc.asyncProperty(nasty, async (subject) => {
        const thread = threadOf({ headerLines: [{ key: 'message-id', line: 'Message-ID: <m@example.com>' }], subject }, sender, ctx);
        const info = (await transport.sendMail({ from: 'skadi@example.com', to: sender.address, subject: `Re: ${threadData(thread)!.subject || 'Skadi'}`, inReplyTo: '<m@example.com>', text: 'ok' })) as { message: Buffer };
        const names = headerNames(info.message.toString('utf8'));
        expect(names.filter((n) => !['content-type', 'from', 'to', 'subject', 'message-id', 'in-reply-to', 'content-transfer-encoding', 'date', 'mime-version'].includes(n))).toEqual([]);
        expect(names.filter((n) => n === 'subject')).toHaveLength(1);
      }),
      { numRuns: 300 },
    );
  });
});

describe('email: attachment and size bombs', () => {
  const policy = { botAddresses: ['skadi@example.com'], allowSenders: ['ops@example.com'], requireAuthResults: false, trustedAuthServIds: [], maxMessageBytes: 1024 * 1024, maxAttachmentBytes: 64 * 1024 };

  it('refuses an oversized mail on its size alone (the body is never downloaded or parsed)', async () => {
    const parsed = await simpleParser('From: ops@example.com\r\nSubject: web-1 uptime\r\n\r\n');
    expect(screenMail({ headerLines: parsed.headerLines, from: parsed.from }, 50 * 1024 ** 3, policy)).toMatchObject({ kind: 'refuse', reason: 'message-too-large' });
  });

  it('refuses a mail carrying a large attachment; a zip is never unpacked, so a zip bomb is only its own size', async () => {
    const zip = Buffer.alloc(200 * 1024, 0x50);
    const raw = await new Promise<Buffer>((resolve, reject) =>
      nodemailer
        .createTransport({ streamTransport: true, buffer: true })
        .sendMail({ from: 'ops@example.com', to: 'skadi@example.com', subject: 'web-1 uptime', text: 'web-1 uptime', attachments: [{ filename: '42.zip', content: zip, contentType: 'application/zip' }] }, (err, info) => (err ? reject(err) : resolve((info as { message: Buffer }).message))),
    );
    const parsed = await simpleParser(raw);
    expect(parsed.attachments[0]!.size).toBe(zip.length); // decoded once, bounded by the mail's size; not decompressed
    expect(screenMail(parsed, raw.length, policy)).toMatchObject({ kind: 'refuse', reason: 'attachment-too-large' });
  });
});
