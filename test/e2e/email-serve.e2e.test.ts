import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeMail, newMessageId } from '../helpers/email-compose.js';
import { startDovecot, type PrivateDovecot } from '../helpers/email-dovecot.js';
import { BOT_ACCOUNT } from '../helpers/email-fixture.js';
import { startSmtpPeer, type PeerMail, type SmtpPeer } from '../helpers/email-smtp-peer.js';
import { eventually, startServe, tempDir, writeConfig, type SkadiProcess } from '../helpers/skadi-process.js';

interface AuditRow {
  actor: string;
  action: string;
  decision: string;
  detail: string | null;
}

/**
 * Issue 7, end to end: the built `skadi serve` with the email platform on, watching a real
 * Dovecot mailbox (private, on a free port) and answering through a local SMTP server; the
 * embedded demo agent `local` runs the jobs.
 */
describe('email: skadi serve with a real Dovecot mailbox and an SMTP server', () => {
  const cwd = tempDir('skadi-e2e-email-');
  const dbFile = join(cwd, 'data', 'skadi.db');
  let dovecot: PrivateDovecot;
  let smtp: SmtpPeer;
  let server: SkadiProcess | null = null;
  let env: Record<string, string>;

  const deliver = async (subject: string, options: { from?: string; headers?: Record<string, string> } = {}): Promise<string> => {
    const messageId = newMessageId('e2e');
    const raw = await composeMail({ from: options.from ?? 'Alice <alice@example.test>', subject, text: 'Sent from a test.', messageId, headers: options.headers });
    await dovecot.append(BOT_ACCOUNT, raw);
    return messageId;
  };
  const repliesTo = (messageId: string): PeerMail[] => smtp.mails.filter((m) => m.parsed.inReplyTo === messageId);
  const resultOf = (messageId: string): PeerMail | undefined => repliesTo(messageId).find((m) => /succeeded|failed/.test(m.parsed.text ?? ''));
  const query = <T>(sql: string): T[] => {
    const db = new Database(dbFile, { readonly: true, fileMustExist: true });
    try {
      return db.prepare(sql).all() as T[];
    } finally {
      db.close();
    }
  };
  const serve = async (): Promise<SkadiProcess> => {
    server = await startServe({ cwd, env });
    await server.waitForOutput(/watching the mailbox/, 15_000);
    return server;
  };

  beforeAll(async () => {
    dovecot = await startDovecot({ users: [BOT_ACCOUNT] });
    smtp = await startSmtpPeer();
    const config = writeConfig(
      cwd,
      'skadi.yaml',
      `
email:
  imap: { host: 127.0.0.1, port: ${dovecot.port}, secure: false, user: ${BOT_ACCOUNT.user} }
  smtp: { host: 127.0.0.1, port: ${smtp.port}, secure: false }
  from: "Skadi <${BOT_ACCOUNT.user}>"
  allowSenders: ["*@example.test"]
  pollIntervalMs: 2s
access:
  rules:
    - who: ["email:*@example.test"]
      agents: [local]
      commands: ["*"]
`,
    );
    // The password comes from the environment, as the README tells users to do.
    env = { SKADI_CONFIG: config, SKADI_EMAIL_IMAP_PASSWORD: BOT_ACCOUNT.password, SKADI_DATABASE_URL: `sqlite:${dbFile}`, SKADI_DATA_DIR: join(cwd, 'data'), SKADI_NODE_ID: 'email-e2e' };
    await serve();
  });

  afterAll(async () => {
    await server?.stop();
    await smtp?.close();
    await dovecot?.stop();
  });

  it('a mail to the mailbox becomes a job on `local`; the acknowledgement and the result come back threaded', async () => {
    const id = await deliver('local uptime');
    await smtp.waitFor(() => resultOf(id) !== undefined, 20_000);
    const replies = repliesTo(id);
    expect(replies).toHaveLength(2);
    const [ack, result] = replies;
    expect(ack!.parsed.text).toMatch(/queued for local: uptime/);
    expect(result!.parsed.text).toMatch(/on local succeeded \(exit 0/);
    expect(result!.parsed.text).toMatch(/load average/);
    for (const reply of replies) {
      expect(reply.envelope.to).toEqual(['alice@example.test']);
      expect(reply.parsed.subject).toBe('Re: local uptime');
      expect(reply.header('references')).toBe(id);
      expect(reply.header('auto-submitted')).toBe('auto-replied');
    }
    const jobs = query<{ requester_identity: string; message: string; state: string }>("SELECT requester_identity, message, state FROM jobs WHERE message = 'uptime'");
    expect(jobs).toEqual([{ requester_identity: 'email:alice@example.test', message: 'uptime', state: 'succeeded' }]);
  });

  it('Skadi stopped, two mails delivered, Skadi started: both processed once', async () => {
    await server!.stop();
    const first = await deliver('local date');
    const second = await deliver('local echo while you were away');
    await serve();
    await smtp.waitFor(() => resultOf(first) !== undefined && resultOf(second) !== undefined, 20_000);
    expect(resultOf(second)!.parsed.text).toMatch(/while you were away/);
    // Long enough for a second pass over the mailbox to have happened (poll/sweep, IDLE).
    await new Promise((r) => setTimeout(r, 2500));
    for (const id of [first, second]) {
      const texts = repliesTo(id).map((m) => m.parsed.text ?? '');
      // One result each; the acknowledgement may be skipped when the result was ready first (the router never sends a stale one).
      expect(texts.filter((t) => /succeeded|failed/.test(t))).toHaveLength(1);
      expect(texts.filter((t) => /queued for local/.test(t)).length).toBeLessThanOrEqual(1);
    }
    const jobs = query<{ message: string }>('SELECT message FROM jobs ORDER BY created_at');
    expect(jobs.map((j) => j.message)).toEqual(['uptime', 'date', 'echo while you were away']);
  });

  it('a stranger and an auto-reply are ignored and audited, and get no answer', async () => {
    const stranger = await deliver('local uptime', { from: 'Eve <eve@evil.test>' });
    const auto = await deliver('Out of office: local uptime', { headers: { 'Auto-Submitted': 'auto-replied' } });
    const rows = await eventually(() => {
      const found = query<AuditRow>("SELECT actor, action, decision, detail FROM audit_log WHERE action = 'email.ignored' ORDER BY id");
      return found.length >= 2 ? found : null;
    }, 15_000, 'two email.ignored audit rows');
    expect(rows.map((r) => [r.actor, r.decision, (JSON.parse(r.detail!) as { reason: string; messageId: string }).reason, (JSON.parse(r.detail!) as { messageId: string }).messageId])).toEqual([
      ['email:eve@evil.test', 'deny', 'sender-not-allowed', stranger],
      ['email:alice@example.test', 'deny', 'auto-submitted', auto],
    ]);
    await new Promise((r) => setTimeout(r, 1000));
    expect(repliesTo(stranger)).toEqual([]);
    expect(repliesTo(auto)).toEqual([]);
    expect(smtp.mails.some((m) => m.envelope.to.includes('eve@evil.test'))).toBe(false);
    expect(query<{ n: number }>('SELECT COUNT(*) AS n FROM jobs')[0]!.n).toBe(3);
    // The server said why in its log, too.
    expect(server!.output()).toMatch(/mail ignored/);
    expect(readFileSync(join(dovecot.dir, 'dovecot.log'), 'utf8')).not.toMatch(/Fatal/);
  });
});
