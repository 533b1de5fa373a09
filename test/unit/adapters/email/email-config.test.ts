import { describe, expect, it } from 'vitest';
import { validateEmailConfig } from '../../../../adapters/email/email-platform.js';
import { ConfigError } from '../../../../src/core/index.js';

const MINIMAL = {
  imap: { host: 'imap.example.com', user: 'skadi@example.com', password: 'app-password' },
  smtp: { host: 'smtp.example.com' },
  allowSenders: ['*@Example.com'],
};

function keyOf(raw: unknown): string {
  try {
    validateEmailConfig(raw);
  } catch (err) {
    if (err instanceof ConfigError) return err.key;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

describe('email config', () => {
  it('fills defaults: TLS ports, INBOX, flagging, from = the IMAP user, limits', () => {
    const c = validateEmailConfig(MINIMAL);
    expect(c.imap).toEqual({ host: 'imap.example.com', port: 993, secure: true, requireTLS: false, user: 'skadi@example.com', password: 'app-password', mailbox: 'INBOX', processedFolder: null });
    expect(c.smtp).toEqual({ host: 'smtp.example.com', port: 465, secure: true, requireTLS: false, user: null, password: null });
    expect(c.from).toBe('skadi@example.com');
    expect(c.allowSenders).toEqual(['*@example.com']);
    expect(c.requireAuthResults).toBe(false);
    expect(c.maxMessageBytes).toBe(10 * 1024 * 1024);
    expect(c.maxAttachmentBytes).toBe(5 * 1024 * 1024);
    expect(c.pollIntervalMs).toBe(60_000);
  });

  it('accepts its own (frozen) output, as the wiring validates it again', () => {
    const once = validateEmailConfig({ ...MINIMAL, smtp: { host: 'smtp.example.com', port: 587, user: 'skadi@example.com' }, maxMessageBytes: '2MiB', pollIntervalMs: '30s' });
    expect(validateEmailConfig(deepFreeze(structuredClone(once)))).toEqual(once);
  });

  it('reads sizes, durations and plain ports; STARTTLS is required off loopback', () => {
    const c = validateEmailConfig({ ...MINIMAL, imap: { ...MINIMAL.imap, port: '143' }, smtp: { host: '127.0.0.1', port: 2525 }, maxMessageBytes: '1MiB', maxAttachmentBytes: '256KiB', pollIntervalMs: '2m' });
    expect(c.imap).toMatchObject({ port: 143, secure: false, requireTLS: true });
    expect(c.smtp).toMatchObject({ port: 2525, secure: false, requireTLS: false });
    expect([c.maxMessageBytes, c.maxAttachmentBytes, c.pollIntervalMs]).toEqual([1024 * 1024, 256 * 1024, 120_000]);
  });

  it('uses the IMAP password for SMTP when the login is the same', () => {
    const c = validateEmailConfig({ ...MINIMAL, smtp: { host: 'smtp.example.com', user: 'skadi@example.com' } });
    expect(c.smtp.password).toBe('app-password');
  });

  it('names the exact key of every mistake', () => {
    expect(keyOf(null)).toBe('email');
    expect(keyOf({ ...MINIMAL, imapp: {} })).toBe('email.imapp');
    expect(keyOf({ ...MINIMAL, imap: undefined })).toBe('email.imap');
    expect(keyOf({ ...MINIMAL, imap: { host: 'h', user: 'u@x.y' } })).toBe('email.imap.password');
    expect(keyOf({ ...MINIMAL, imap: { ...MINIMAL.imap, port: 70000 } })).toBe('email.imap.port');
    expect(keyOf({ ...MINIMAL, imap: { ...MINIMAL.imap, mailbx: 'x' } })).toBe('email.imap.mailbx');
    expect(keyOf({ ...MINIMAL, smtp: { host: 's', user: 'other@example.com' } })).toBe('email.smtp.password');
    expect(keyOf({ ...MINIMAL, smtp: { host: 's', password: 'p' } })).toBe('email.smtp.user');
    expect(keyOf({ ...MINIMAL, smtp: { host: 's', secure: 'maybe' } })).toBe('email.smtp.secure');
    expect(keyOf({ ...MINIMAL, from: 'not an address' })).toBe('email.from');
    expect(keyOf({ ...MINIMAL, allowSenders: undefined })).toBe('email.allowSenders');
    expect(keyOf({ ...MINIMAL, allowSenders: [] })).toBe('email.allowSenders');
    expect(keyOf({ ...MINIMAL, allowSenders: ['alice'] })).toBe('email.allowSenders[0]');
    expect(keyOf({ ...MINIMAL, requireAuthResults: true })).toBe('email.trustedAuthServIds');
    expect(keyOf({ ...MINIMAL, maxMessageBytes: 'big' })).toBe('email.maxMessageBytes');
    expect(keyOf({ ...MINIMAL, pollIntervalMs: '10ms' })).toBe('email.pollIntervalMs');
  });
});
