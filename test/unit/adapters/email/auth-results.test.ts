import { describe, expect, it } from 'vitest';
import { domainsAlign, matchesSender, parseAddress } from '../../../../adapters/email/addresses.js';
import { parseAuthResults, passingMethod } from '../../../../adapters/email/auth-results.js';

describe('email Authentication-Results', () => {
  it('parses authserv-id, methods, results and properties; comments and quotes do not confuse it', () => {
    const header = parseAuthResults(
      'mx.google.com;\r\n       dkim=pass header.i=@example.com header.s=20230601 header.b="a;b=c";\r\n       spf=pass (google.com: domain of alice@example.com designates 192.0.2.1 as permitted sender; x=y) smtp.mailfrom=alice@example.com;\r\n       dmarc=pass (p=NONE sp=NONE dis=NONE) header.from=example.com',
    );
    expect(header).toEqual({
      authServId: 'mx.google.com',
      results: [
        { method: 'dkim', result: 'pass', props: { 'header.i': '@example.com', 'header.s': '20230601', 'header.b': 'a;b=c' } },
        { method: 'spf', result: 'pass', props: { 'smtp.mailfrom': 'alice@example.com' } },
        { method: 'dmarc', result: 'pass', props: { 'header.from': 'example.com' } },
      ],
    });
    expect(parseAuthResults('mx.example.org 1; none')).toEqual({ authServId: 'mx.example.org', results: [] });
    expect(parseAuthResults('  ')).toBeNull();
  });

  it('counts a pass only for a domain aligned with the From address', () => {
    const header = (s: string) => parseAuthResults(`mx; ${s}`)!;
    expect(passingMethod(header('dkim=pass header.d=example.com'), 'a@example.com')).toBe('dkim');
    expect(passingMethod(header('dkim=pass header.d=example.com'), 'a@mail.example.com')).toBe('dkim');
    expect(passingMethod(header('dkim=fail header.d=example.com; spf=pass smtp.mailfrom=b@example.com'), 'a@example.com')).toBe('spf');
    expect(passingMethod(header('dkim=pass header.d=evil.example'), 'a@example.com')).toBeNull();
    expect(passingMethod(header('dkim=pass header.d=com'), 'a@example.com')).toBeNull();
    expect(passingMethod(header('dkim=pass'), 'a@example.com')).toBeNull();
    expect(passingMethod(header('spf=softfail smtp.mailfrom=a@example.com'), 'a@example.com')).toBeNull();
  });
});

describe('email addresses', () => {
  it('parses the From setting', () => {
    expect(parseAddress('Skadi Bot <Bot@Example.com>')).toEqual({ name: 'Skadi Bot', address: 'bot@example.com' });
    expect(parseAddress('"Skadi, the bot" <bot@example.com>')).toEqual({ name: 'Skadi, the bot', address: 'bot@example.com' });
    expect(parseAddress('bot@example.com')).toEqual({ name: '', address: 'bot@example.com' });
    expect(parseAddress('not an address')).toBeNull();
    expect(parseAddress('a@b@c')).toBeNull();
  });

  it('matches allow-list globs within the local part or domain only', () => {
    expect(matchesSender('alice@example.com', '*@example.com')).toBe(true);
    expect(matchesSender('Alice@Example.COM', '*@example.com')).toBe(true);
    expect(matchesSender('alice@sub.example.com', '*@example.com')).toBe(false);
    expect(matchesSender('alice@sub.example.com', '*@*.example.com')).toBe(true);
    expect(matchesSender('ops-1@example.com', 'ops-?@example.com')).toBe(true);
    expect(matchesSender('alice@example.com.evil', '*@example.com')).toBe(false);
    expect(matchesSender('alice@exampleXcom', '*@example.com')).toBe(false);
  });

  it('aligns domains like relaxed DMARC', () => {
    expect(domainsAlign('example.com', 'example.com')).toBe(true);
    expect(domainsAlign('mail.example.com', 'example.com')).toBe(true);
    expect(domainsAlign('example.com', 'mail.example.com')).toBe(true);
    expect(domainsAlign('example.com', 'badexample.com')).toBe(false);
    expect(domainsAlign('example.com', 'com')).toBe(false);
  });
});
