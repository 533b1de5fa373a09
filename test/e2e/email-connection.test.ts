import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AdapterError } from '../../src/core/index.js';
import { startDovecot, type PrivateDovecot } from '../helpers/email-dovecot.js';
import { BOT_ACCOUNT } from '../helpers/email-fixture.js';
import { emailRig, type EmailRig, type RigOptions } from '../helpers/email-rig.js';
import { startSmtpPeer, type SmtpPeer } from '../helpers/email-smtp-peer.js';

/**
 * The email adapter when the servers misbehave: a Dovecot without IDLE (polling), a Dovecot
 * that restarts under it (reconnect), an SMTP server that defers or refuses, and mail whose
 * Authentication-Results must be checked.
 */
describe('email adapter: connections, retries and authentication', () => {
  let dovecot: PrivateDovecot;
  let smtp: SmtpPeer;
  const rigs: EmailRig[] = [];
  const rig = async (on: PrivateDovecot, options?: RigOptions) => {
    const made = await emailRig(on, smtp, options);
    rigs.push(made);
    return made;
  };

  beforeAll(async () => {
    dovecot = await startDovecot({ users: [BOT_ACCOUNT] });
    smtp = await startSmtpPeer();
  });
  afterEach(async () => {
    for (const r of rigs.splice(0)) await r.adapter.stop();
    smtp.mails.length = 0;
    smtp.failNext(0, 451);
  });
  afterAll(async () => {
    await smtp?.close();
    await dovecot?.stop();
  });

  it('polls every pollIntervalMs where the server has no IDLE', async () => {
    const plain = await startDovecot({ users: [BOT_ACCOUNT], withoutIdle: true });
    try {
      const probe = await plain.client(BOT_ACCOUNT.user, BOT_ACCOUNT.password);
      expect(probe.capabilities.has('IDLE')).toBe(false);
      const r = await rig(plain, { extra: { pollIntervalMs: 1000 } });
      const started = Date.now();
      await r.deliver({ subject: 'local uptime' });
      await r.deliver({ subject: 'local date' });
      await r.waitForInbox(2, 5000);
      expect(Date.now() - started).toBeLessThan(4500);
      expect(r.inbox.map((m) => m.text)).toEqual(['local uptime', 'local date']);
      await r.adapter.stop();
    } finally {
      await plain.stop();
    }
  });

  it('reconnects with backoff when the IMAP server restarts, and misses nothing', async () => {
    const r = await rig(dovecot);
    await r.deliver({ subject: 'local uptime' });
    await r.waitForInbox(1);
    await dovecot.restart();
    await r.deliver({ subject: 'local date' });
    await r.waitForInbox(2, 10_000);
    expect(r.inbox.map((m) => m.text)).toEqual(['local uptime', 'local date']);
  });

  it('starts while the IMAP server is down, keeps trying, and reads the mailbox once it is up', async () => {
    const r = await rig(dovecot, { noStart: true });
    await dovecot.down();
    try {
      const started = Date.now();
      await r.adapter.start((m) => r.sink(m));
      expect(Date.now() - started).toBeLessThan(2000);
      await new Promise((resolve) => setTimeout(resolve, 500));
    } finally {
      await dovecot.up();
    }
    await r.deliver({ subject: 'local uptime' });
    await r.waitForInbox(1, 10_000);
    expect(r.inbox[0]!.text).toBe('local uptime');
  });

  it('retries a reply the SMTP server defers (4xx), and reports a refused one (5xx) as AdapterError', async () => {
    const r = await rig(dovecot);
    await r.deliver({ subject: 'local uptime' });
    const [message] = await r.waitForInbox(1);
    smtp.failNext(1, 451);
    const sent = await r.adapter.send(message!.thread, { text: 'after one deferral' });
    expect(smtp.mails.map((m) => m.parsed.messageId)).toEqual([sent.messageId]);

    smtp.failNext(1, 550);
    const refused = await r.adapter.send(message!.thread, { text: 'refused' }).catch((err: unknown) => err);
    expect(refused).toBeInstanceOf(AdapterError);
    expect((refused as AdapterError).retryAfterMs).toBeUndefined();

    smtp.failNext(10, 421);
    const deferred = await r.adapter.send(message!.thread, { text: 'deferred' }).catch((err: unknown) => err);
    expect(deferred).toBeInstanceOf(AdapterError);
    expect((deferred as AdapterError).retryAfterMs).toBeGreaterThan(0);
    // Order per correspondent is kept: the queue moves on after a failure.
    smtp.failNext(0, 451);
    const after = await r.adapter.send(message!.thread, { text: 'next' });
    expect(smtp.mails.at(-1)!.parsed.messageId).toBe(after.messageId);
  });

  it('with requireAuthResults, runs only mail a trusted server authenticated; a forged header below it does not count', async () => {
    const r = await rig(dovecot, { extra: { requireAuthResults: true, trustedAuthServIds: ['mx.example.test'] } });
    const pass = 'Authentication-Results: mx.example.test; dkim=pass header.d=example.test header.s=s1; spf=pass smtp.mailfrom=alice@example.test\r\n';
    const fail = 'Authentication-Results: mx.example.test; dkim=none; spf=softfail smtp.mailfrom=alice@example.test\r\n';
    const otherDomain = 'Authentication-Results: mx.example.test; dkim=pass header.d=evil.test\r\n';
    await r.deliver({ subject: 'local echo forged' }, { prefix: `${fail}Received: from evil.test by mx.example.test; Tue, 12 Mar 2024 14:00:00 +0000\r\n${pass}` });
    await r.deliver({ subject: 'local echo wrong domain' }, { prefix: otherDomain });
    await r.deliver({ subject: 'local echo untrusted server' }, { prefix: pass.replace('mx.example.test', 'mx.evil.test') });
    await r.deliver({ subject: 'local echo genuine' }, { prefix: pass });
    await r.waitForInbox(1);
    await expect.poll(() => r.audit.entries.length).toBe(3);
    expect(r.inbox.map((m) => m.text)).toEqual(['local echo genuine']);
    expect(r.audit.entries.map((e) => e.detail?.reason)).toEqual(['not-authenticated', 'not-authenticated', 'not-authenticated']);
  });
});
