import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PROCESSED_KEYWORD } from '../../adapters/email/mailbox-watcher.js';
import { startDovecot, type PrivateDovecot } from '../helpers/email-dovecot.js';
import { BOT_ACCOUNT } from '../helpers/email-fixture.js';
import { emailRig, type EmailRig, type RigOptions } from '../helpers/email-rig.js';
import { startSmtpPeer, type SmtpPeer } from '../helpers/email-smtp-peer.js';
import { recordingLogger } from '../helpers/bus-kit.js';
import { ROOT } from '../helpers/skadi-process.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The email adapter's inbound side against a real Dovecot (private, on a free port) and a
 * local SMTP server: cursor and restarts, screening, refusals, flags and folders.
 */
describe('email adapter: a real IMAP mailbox in, SMTP out', () => {
  let dovecot: PrivateDovecot;
  let smtp: SmtpPeer;
  const rigs: EmailRig[] = [];
  const rig = async (options?: RigOptions) => {
    const made = await emailRig(dovecot, smtp, options);
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
  });
  afterAll(async () => {
    await smtp?.close();
    await dovecot?.stop();
  });

  it('turns a new mail into a message, marks it processed, and answers in its thread', async () => {
    const r = await rig();
    const id = await r.deliver({ subject: 'local uptime', text: 'please' });
    const [message] = await r.waitForInbox(1);
    expect(message).toMatchObject({ text: 'local uptime', id: id.slice(1, -1), sender: { identity: 'email:alice@example.test' } });
    await expect.poll(async () => [...((await r.flags()).get(1) ?? [])]).toEqual(expect.arrayContaining(['\\Seen', PROCESSED_KEYWORD]));

    const sent = await r.adapter.send(message!.thread, {
      text: 'Job abc on local succeeded (exit 0): uptime',
      status: 'succeeded',
      fields: [{ label: 'Agent', value: 'local' }],
      code: { content: ' 10:00:00 up 3 days <b>', filename: 'abc.txt' },
      actions: [{ id: 'rerun', label: 'Run again', jobId: 'abc' }],
    });
    const [reply] = await smtp.waitFor((mails) => mails.length === 1);
    expect(reply!.envelope.to).toEqual(['alice@example.test']);
    expect(reply!.parsed.from?.value[0]?.address).toBe('bot@example.test');
    expect(reply!.parsed.subject).toBe('Re: local uptime');
    expect(reply!.parsed.messageId).toBe(sent.messageId);
    expect(reply!.parsed.inReplyTo).toBe(id);
    expect(reply!.header('references')).toBe(id);
    expect(reply!.header('auto-submitted')).toBe('auto-replied');
    expect(reply!.header('x-auto-response-suppress')).toBe('All');
    expect(reply!.parsed.text).toContain('10:00:00 up 3 days <b>');
    expect(reply!.parsed.text).toContain('Agent: local');
    expect(reply!.parsed.text).toContain('reply with: rerun abc');
    expect(reply!.parsed.html).toContain('<pre');
    expect(reply!.parsed.html).toContain('up 3 days &lt;b&gt;');
  });

  it('Skadi stopped, two mails delivered, Skadi started: both processed once, nothing again after', async () => {
    const first = await rig();
    await first.deliver({ subject: 'local uptime' });
    await first.waitForInbox(1);
    await first.adapter.stop();
    await first.deliver({ subject: 'local date' });
    await first.deliver({ subject: 'local df' });

    const second = await rig({ kv: first.kv, mailbox: first.mailbox });
    const got = await second.waitForInbox(2);
    await sleep(700);
    expect(got.map((m) => m.text)).toEqual(['local date', 'local df']);
    expect(await first.kv.get('email:cursor:bot@example.test@127.0.0.1:' + dovecot.port + '/' + first.mailbox)).toMatchObject({ lastUid: 3 });
    await second.adapter.stop();

    const third = await rig({ kv: first.kv, mailbox: first.mailbox });
    await sleep(700);
    expect(third.inbox).toEqual([]);
  });

  it('on a first start reads the unread mail, not what was already read or processed', async () => {
    const r = await rig({ noStart: true });
    await r.deliver({ subject: 'local echo old and read' }, { flags: ['\\Seen'] });
    await r.deliver({ subject: 'local echo done before' }, { flags: [PROCESSED_KEYWORD] });
    await r.deliver({ subject: 'local echo waiting' });
    await r.adapter.start((m) => r.sink(m));
    await r.waitForInbox(1);
    await r.deliver({ subject: 'local echo new' });
    await r.waitForInbox(2);
    expect(r.inbox.map((m) => m.text)).toEqual(['local echo waiting', 'local echo new']);
  });

  it('after a UIDVALIDITY change re-reads only unprocessed mail, and says so in the log', async () => {
    const logger = recordingLogger();
    const r = await rig({ noStart: true, logger });
    await r.deliver({ subject: 'local echo handled' }, { flags: ['\\Seen', PROCESSED_KEYWORD] });
    await r.deliver({ subject: 'local echo pending' });
    await r.kv.set(`email:cursor:bot@example.test@127.0.0.1:${dovecot.port}/${r.mailbox}`, { uidValidity: '1', lastUid: 999 });
    await r.adapter.start((m) => r.sink(m));
    await r.waitForInbox(1);
    await sleep(300);
    expect(r.inbox.map((m) => m.text)).toEqual(['local echo pending']);
    expect(logger.lines.some((line) => line.level === 'warn' && /UIDVALIDITY/.test(line.msg))).toBe(true);
  });

  it('ignores and audits strangers, auto-replies, bounces and list mail; never answers them', async () => {
    const r = await rig();
    const fixture = (name: string) => readFileSync(join(ROOT, 'test/fixtures/email', name), 'utf8').replace(/@example\.com/g, '@example.test');
    await r.deliver({ from: 'Eve <eve@evil.test>', subject: 'local uptime' });
    for (const name of ['auto-reply.eml', 'bounce.eml', 'list-mail.eml']) await dovecot.append(BOT_ACCOUNT, fixture(name), { mailbox: r.mailbox });
    await r.deliver({ from: 'Skadi <bot@example.test>', subject: 'local uptime' });
    await r.deliver({ subject: 'local date' });
    await r.waitForInbox(1);
    await expect.poll(() => r.audit.entries.length).toBe(5);
    expect(r.inbox.map((m) => m.text)).toEqual(['local date']);
    expect(r.audit.entries.map((e) => [e.actor, e.action, e.decision, e.detail?.reason])).toEqual([
      ['email:eve@evil.test', 'email.ignored', 'deny', 'sender-not-allowed'],
      ['email:alice@example.test', 'email.ignored', 'deny', 'auto-submitted'],
      ['email:mailer-daemon@mx.example.org', 'email.ignored', 'deny', 'bounce'],
      ['email:ops-announce@lists.example.com', 'email.ignored', 'deny', 'bulk'],
      ['email:bot@example.test', 'email.ignored', 'deny', 'own-mail'],
    ]);
    // Ignored mail is done with: marked, so it is not looked at again.
    const flags = await r.flags();
    expect([...flags.values()].every((f) => f.has(PROCESSED_KEYWORD))).toBe(true);
    await sleep(300);
    expect(smtp.mails).toEqual([]);
  });

  it('refuses oversized mail and attachments from allowed senders with a short threaded reply; strangers hear nothing', async () => {
    const r = await rig({ extra: { maxMessageBytes: '8KiB', maxAttachmentBytes: '1KiB' } });
    const big = 'x'.repeat(20_000);
    const bigId = await r.deliver({ subject: 'local uptime', text: big });
    await r.deliver({ from: 'eve@evil.test', subject: 'local uptime', text: big });
    await r.deliver({ subject: 'local date', attachments: [{ filename: 'dump.bin', content: Buffer.alloc(3000, 1) }] });
    await expect.poll(() => r.audit.entries.length, { timeout: 8000 }).toBe(3);
    const replies = await smtp.waitFor((mails) => mails.length === 2);
    expect(r.inbox).toEqual([]);
    expect(r.audit.entries.map((e) => e.detail?.reason)).toEqual(['message-too-large', 'sender-not-allowed', 'attachment-too-large']);
    expect(replies.map((m) => m.envelope.to[0])).toEqual(['alice@example.test', 'alice@example.test']);
    expect(replies[0]!.parsed.inReplyTo).toBe(bigId);
    expect(replies[0]!.parsed.text).toMatch(/mails of up to 8\.0 KB/);
    expect(replies[1]!.parsed.text).toMatch(/attachment larger than 1\.0 KB/);
    expect(replies.every((m) => m.header('auto-submitted') === 'auto-replied')).toBe(true);
  });

  it('moves handled mail to processedFolder when one is configured', async () => {
    const folder = `done-${process.pid}-${Date.now()}`;
    const r = await rig({ imapExtra: { processedFolder: folder } });
    await r.deliver({ subject: 'local uptime' });
    await r.deliver({ from: 'eve@evil.test', subject: 'local uptime' });
    await r.waitForInbox(1);
    await expect.poll(async () => (await r.flags()).size).toBe(0);
    await expect.poll(async () => (await r.flags(folder)).size).toBe(2);
  });

  it('retries a mail whose hand-over failed, without moving the cursor past it', async () => {
    const r = await rig();
    let failures = 1;
    r.sink = async (message) => {
      if (failures-- > 0) throw new Error('database unreachable');
      r.inbox.push(message);
    };
    await r.deliver({ subject: 'local uptime' });
    await r.deliver({ subject: 'local date' });
    await r.waitForInbox(1);
    expect(r.inbox.map((m) => m.text)).toEqual(['local date']);
    // The cursor stays below the failed mail, so even a restart now would try it again.
    expect(await r.kv.get(`email:cursor:bot@example.test@127.0.0.1:${dovecot.port}/${r.mailbox}`)).toMatchObject({ lastUid: 0 });
    await r.waitForInbox(2, 10_000);
    expect(r.inbox.map((m) => m.text)).toEqual(['local date', 'local uptime']);
    await expect.poll(async () => r.kv.get(`email:cursor:bot@example.test@127.0.0.1:${dovecot.port}/${r.mailbox}`)).toMatchObject({ lastUid: 2 });
  });
});
