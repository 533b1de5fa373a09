import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { normalizeMail, threadData, threadOf, inboundId, MAX_REFERENCES } from '../../../../adapters/email/normalize.js';
import { senderOf } from '../../../../adapters/email/mail-headers.js';
import { ROOT } from '../../../helpers/skadi-process.js';

const CTX = { uid: 7, uidValidity: '1700000000', mailbox: 'INBOX', receivedAt: new Date('2024-03-12T08:14:02Z') };

/** Parses a recorded mail the way the adapter does (mailparser, same options). */
async function fixture(name: string): Promise<ParsedMail> {
  const raw = readFileSync(join(ROOT, 'test/fixtures/email', name));
  return simpleParser(raw, { skipTextToHtml: true, skipTextLinks: true, skipImageLinks: true });
}

async function normalized(name: string) {
  const mail = await fixture(name);
  return normalizeMail(mail, senderOf(mail)!, CTX);
}

describe('email normalizeMail (recorded mails)', () => {
  it('plain mail: the subject is the command; identity from the From address; a new thread rooted at its Message-ID', async () => {
    const m = await normalized('plain.eml');
    expect(m.text).toBe('local uptime');
    expect(m.platform).toBe('email');
    expect(m.id).toBe('CAH5a1Lx0plain@mail.example.com');
    expect(m.sender).toEqual({ id: 'alice@example.com', identity: 'email:alice@example.com', displayName: 'Alice Example', isBot: false });
    expect(m.mentionsBot).toBe(true);
    expect(m.receivedAt).toEqual(CTX.receivedAt);
    expect(m.thread).toMatchObject({ platform: 'email', conversationId: 'alice@example.com', threadId: '<CAH5a1Lx0plain@mail.example.com>' });
    expect(threadData(m.thread)).toEqual({ subject: 'local uptime', inReplyTo: '<CAH5a1Lx0plain@mail.example.com>', references: ['<CAH5a1Lx0plain@mail.example.com>'] });
  });

  it('HTML-only reply: the command is the first line of the text mailparser makes from the HTML, above the Gmail quote', async () => {
    const m = await normalized('html-only.eml');
    expect(m.text).toBe('status 7k2m9q');
    // Lower-cased address, display name kept.
    expect(m.sender.identity).toBe('email:bob@example.com');
    expect(m.sender.displayName).toBe('Bob Builder');
    // Thread: the root of the References chain, the same as the mail that started it.
    expect(m.thread.threadId).toBe('<CAH5a1Lx0root@mail.example.com>');
    expect(threadData(m.thread)).toEqual({
      subject: 'Job 7k2m9q queued for local: uptime',
      inReplyTo: '<CAJ9html0001@mail.gmail.com>',
      references: ['<CAH5a1Lx0root@mail.example.com>', '<q8w7e6r5t4y3u2i1o0p9.skadi@example.org>', '<CAJ9html0001@mail.gmail.com>'],
    });
  });

  it('decodes an RFC 2047 subject and sender name', async () => {
    const m = await normalized('rfc2047-subject.eml');
    expect(m.text).toBe('local echo Grüße aus Zürich ✓');
    expect(m.sender.displayName).toBe('Jürgen Müller');
  });

  it('reply with quote and signature: the first line the person wrote, nothing quoted', async () => {
    const m = await normalized('reply-quote-signature.eml');
    expect(m.text).toBe('local df -h');
    expect(m.thread.threadId).toBe('<CAH5a1Lx0root@mail.example.com>');
  });

  it('Outlook reply (AW:, Original Message block, ISO-8859-1)', async () => {
    const m = await normalized('outlook-reply.eml');
    expect(m.text).toBe('local date');
    // Only In-Reply-To: that is the root.
    expect(m.thread.threadId).toBe('<z9y8x7.skadi@example.org>');
    expect(threadData(m.thread)!.references).toEqual(['<z9y8x7.skadi@example.org>', '<DB9PR01MB0001@eurprd01.prod.outlook.com>']);
  });

  it('CJK: a GB2312 encoded subject and sender name', async () => {
    const m = await normalized('cjk.eml');
    expect(m.text).toBe('local echo 你好 世界');
    expect(m.sender.displayName).toBe('王小明');
    expect(m.sender.identity).toBe('email:wang@example.cn');
  });

  it('CJK reply (回复:): the command from the body, above the 写道 attribution', async () => {
    const m = await normalized('cjk-reply.eml');
    expect(m.text).toBe('local df');
    expect(m.thread.threadId).toBe('<cjk.0001@example.cn>');
  });

  it('a mail without Message-ID gets a stable stand-in from its place in the mailbox', async () => {
    const mail = await simpleParser('From: a@example.com\r\nSubject: local date\r\n\r\nx\r\n');
    const one = normalizeMail(mail, senderOf(mail)!, CTX);
    const two = normalizeMail(mail, senderOf(mail)!, CTX);
    expect(one.id).toBe(two.id);
    expect(one.id).toContain('1700000000-7');
    expect(one.thread.threadId).toMatch(/^<.+@skadi\.invalid>$/);
  });

  it('keeps the root and the newest references of a long exchange', async () => {
    const refs = Array.from({ length: 40 }, (_, i) => `<r${i}@example.com>`);
    const mail = await simpleParser(`From: a@example.com\r\nSubject: Re: x\r\nMessage-ID: <own@example.com>\r\nReferences: ${refs.join(' ')}\r\n\r\nlocal date\r\n`);
    const data = threadData(threadOf(mail, senderOf(mail)!, CTX))!;
    expect(data.references).toHaveLength(MAX_REFERENCES);
    expect(data.references[0]).toBe('<r0@example.com>');
    expect(data.references.at(-1)).toBe('<own@example.com>');
  });

  it('keeps the subject a reply repeats on one line and bounded, whatever the encoded subject held', async () => {
    const injected = Buffer.from('local uptime\r\nBcc: evil@example.net').toString('base64');
    const mail = await simpleParser(`From: a@example.com\r\nSubject: =?UTF-8?B?${injected}?=\r\nMessage-ID: <s@x>\r\n\r\nx\r\n`);
    expect(threadData(threadOf(mail, senderOf(mail)!, CTX))!.subject).toBe('local uptime Bcc: evil@example.net');
    const long = await simpleParser(`From: a@example.com\r\nSubject: ${'长'.repeat(300)}\r\n\r\nx\r\n`);
    expect(Array.from(threadData(threadOf(long, senderOf(long)!, CTX))!.subject)).toHaveLength(201);
  });

  it('hashes Message-IDs too long for the de-duplication key', () => {
    expect(inboundId('<short@x>')).toBe('short@x');
    expect(inboundId(`<${'a'.repeat(300)}@x>`)).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('reads a ThreadRef back after a JSON round trip, and refuses malformed opaque data', async () => {
    const m = await normalized('plain.eml');
    expect(threadData(JSON.parse(JSON.stringify(m.thread)))).toEqual(threadData(m.thread));
    expect(threadData({ platform: 'email', conversationId: 'a@b.c', opaque: { subject: 1 } })).toBeNull();
  });
});
