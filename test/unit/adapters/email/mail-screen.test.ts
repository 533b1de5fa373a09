import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { describe, expect, it } from 'vitest';
import { screenMail, type ScreenPolicy } from '../../../../adapters/email/mail-screen.js';
import { ROOT } from '../../../helpers/skadi-process.js';

const POLICY: ScreenPolicy = {
  botAddresses: ['skadi@example.org'],
  allowSenders: ['*@example.com', 'juergen@example.de', 'wang@example.cn', 'bob@example.com'],
  requireAuthResults: false,
  trustedAuthServIds: ['mx.example.org'],
  maxMessageBytes: 1024 * 1024,
  maxAttachmentBytes: 100 * 1024,
};

async function fixture(name: string): Promise<ParsedMail> {
  return simpleParser(readFileSync(join(ROOT, 'test/fixtures/email', name)));
}

async function raw(headers: string, body = 'local uptime'): Promise<ParsedMail> {
  return simpleParser(`${headers.trim().replace(/\n/g, '\r\n')}\r\n\r\n${body}\r\n`);
}

describe('email screenMail', () => {
  it('accepts mail from allowed senders', async () => {
    for (const name of ['plain.eml', 'html-only.eml', 'rfc2047-subject.eml', 'reply-quote-signature.eml', 'outlook-reply.eml', 'cjk.eml', 'cjk-reply.eml']) {
      const verdict = screenMail(await fixture(name), 1000, POLICY);
      expect(verdict.kind, name).toBe('accept');
    }
  });

  it('ignores machines: auto-replies, bounces, list mail — whoever they claim to be from', async () => {
    const reasons = await Promise.all(['auto-reply.eml', 'bounce.eml', 'list-mail.eml'].map(async (name) => screenMail(await fixture(name), 1000, { ...POLICY, allowSenders: ['*@*'] })));
    expect(reasons.map((v) => (v.kind === 'ignore' ? v.reason : v.kind))).toEqual(['auto-submitted', 'bounce', 'bulk']);
  });

  it('knows the other loop markers', async () => {
    const cases: Array<[string, string]> = [
      ['From: a@example.com\nAuto-Submitted: auto-generated', 'auto-submitted'],
      ['From: a@example.com\nX-Autoreply: yes', 'auto-reply'],
      ['From: a@example.com\nX-Autorespond: vacation', 'auto-reply'],
      ['From: a@example.com\nPrecedence: junk', 'bulk'],
      ['From: a@example.com\nList-Id: <ops.example.com>', 'mailing-list'],
      ['From: postmaster@example.com', 'bounce'],
      ['From: a@example.com\nReturn-Path: <>', 'bounce'],
      ['From: a@example.com\nContent-Type: multipart/report; report-type=disposition-notification; boundary=x', 'bounce'],
      ['From: skadi@example.org', 'own-mail'],
      ['Subject: no sender', 'no-sender'],
    ];
    for (const [headers, reason] of cases) {
      const verdict = screenMail(await raw(headers), 100, POLICY);
      expect(verdict.kind === 'ignore' && verdict.reason, headers).toBe(reason);
    }
    // "no" is a person's mail (RFC 3834).
    expect(screenMail(await raw('From: a@example.com\nAuto-Submitted: no'), 100, POLICY).kind).toBe('accept');
  });

  it('ignores senders off the allow-list; globs do not match across the @', async () => {
    const stranger = screenMail(await raw('From: eve@evil.example'), 100, POLICY);
    expect(stranger).toMatchObject({ kind: 'ignore', reason: 'sender-not-allowed', sender: { address: 'eve@evil.example' } });
    const sneaky = screenMail(await raw('From: "x" <eve@example.com.evil.example>'), 100, POLICY);
    expect(sneaky).toMatchObject({ kind: 'ignore', reason: 'sender-not-allowed' });
    expect(screenMail(await raw('From: ALICE@EXAMPLE.COM'), 100, POLICY).kind).toBe('accept');
  });

  it('with requireAuthResults: needs an aligned pass from the topmost trusted header', async () => {
    const policy = { ...POLICY, requireAuthResults: true };
    expect(screenMail(await fixture('plain.eml'), 1000, policy)).toMatchObject({ kind: 'accept', authenticatedBy: 'dkim' });
    expect(screenMail(await fixture('forged-auth.eml'), 1000, policy)).toMatchObject({ kind: 'ignore', reason: 'not-authenticated' });
    expect(screenMail(await fixture('outlook-reply.eml'), 1000, policy)).toMatchObject({ kind: 'ignore', reason: 'not-authenticated', explanation: expect.stringMatching(/no Authentication-Results from mx\.example\.org/) });
    const unaligned = await raw('Authentication-Results: mx.example.org; dkim=pass header.d=other.example; spf=pass smtp.mailfrom=bounce@other.example\nFrom: alice@example.com');
    expect(screenMail(unaligned, 100, policy)).toMatchObject({ kind: 'ignore', reason: 'not-authenticated' });
    const spfOnly = await raw('Authentication-Results: mx.example.org 1; spf=pass smtp.mailfrom=alice@mail.example.com\nFrom: alice@example.com');
    expect(screenMail(spfOnly, 100, policy)).toMatchObject({ kind: 'accept', authenticatedBy: 'spf' });
  });

  it('refuses oversized mail and attachments from allowed senders, and only from them', async () => {
    expect(screenMail(await fixture('plain.eml'), 2 * 1024 * 1024, POLICY)).toMatchObject({ kind: 'refuse', reason: 'message-too-large', limit: 1024 * 1024 });
    const withFile = { ...(await fixture('plain.eml')), attachments: [{ size: 200 * 1024, filename: 'core.dump' }] };
    expect(screenMail(withFile, 300 * 1024, POLICY)).toMatchObject({ kind: 'refuse', reason: 'attachment-too-large', explanation: expect.stringContaining('core.dump') });
    expect(screenMail(await raw('From: eve@evil.example'), 2 * 1024 * 1024, POLICY)).toMatchObject({ kind: 'ignore', reason: 'sender-not-allowed' });
    expect(screenMail(await fixture('bounce.eml'), 2 * 1024 * 1024, { ...POLICY, allowSenders: ['*@*'] })).toMatchObject({ kind: 'ignore', reason: 'bounce' });
  });
});
