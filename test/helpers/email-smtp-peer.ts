import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';

/** One mail the peer accepted. */
export interface PeerMail {
  /** Envelope sender and recipients (MAIL FROM / RCPT TO). */
  envelope: { from: string | null; to: string[] };
  /** The login used, if the client authenticated. */
  user: string | null;
  raw: Buffer;
  parsed: ParsedMail;
  /** A header by name (lower-case), unfolded; null when absent. */
  header(name: string): string | null;
}

export interface SmtpPeer {
  host: string;
  port: number;
  mails: PeerMail[];
  /** Answers the next `count` DATA commands with `code` (e.g. 451 = try again later, 550 = refused). */
  failNext(count: number, code: number): void;
  /** Waits until `predicate` holds for the mails received (default 10 s). */
  waitFor(predicate: (mails: PeerMail[]) => boolean, timeoutMs?: number): Promise<PeerMail[]>;
  close(): Promise<void>;
}

function headerOf(parsed: ParsedMail, name: string): string | null {
  const line = parsed.headerLines.find((h) => h.key.toLowerCase() === name.toLowerCase())?.line;
  if (line === undefined) return null;
  return line.slice(line.indexOf(':') + 1).replace(/\r?\n[ \t]+/g, ' ').trim();
}

/**
 * A local SMTP server on 127.0.0.1:0 that records what it is sent, parsed with mailparser:
 * the peer Skadi's replies go to in tests. No TLS (STARTTLS disabled), login optional.
 */
export async function startSmtpPeer(): Promise<SmtpPeer> {
  const mails: PeerMail[] = [];
  let failures: { count: number; code: number } = { count: 0, code: 451 };
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onAuth(auth, _session, callback) {
      callback(null, { user: auth.username ?? 'anonymous' });
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (failures.count > 0) {
          failures.count -= 1;
          const err = Object.assign(new Error(failures.code >= 500 ? 'Mailbox unavailable' : 'Try again later'), { responseCode: failures.code });
          return callback(err);
        }
        const raw = Buffer.concat(chunks);
        simpleParser(raw).then(
          (parsed) => {
            mails.push({
              envelope: { from: session.envelope.mailFrom ? session.envelope.mailFrom.address : null, to: session.envelope.rcptTo.map((r) => r.address) },
              user: typeof session.user === 'string' ? session.user : null,
              raw,
              parsed,
              header: (name) => headerOf(parsed, name),
            });
            callback();
          },
          (err: Error) => callback(err),
        );
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  server.on('error', () => undefined);
  const { port } = server.server.address() as AddressInfo;
  return {
    host: '127.0.0.1',
    port,
    mails,
    failNext(count, code) {
      failures = { count, code };
    },
    async waitFor(predicate, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(mails)) {
        if (Date.now() > deadline) throw new Error(`SMTP peer: condition not met within ${timeoutMs} ms; got ${mails.length} mails: ${mails.map((m) => m.parsed.subject).join(' | ')}`);
        await new Promise((r) => setTimeout(r, 25));
      }
      return mails;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
