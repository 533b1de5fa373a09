import { ConfigError } from '../../src/core/index.js';
import { parseAddress } from './addresses.js';

/** One mail server connection (IMAP or SMTP). */
export interface MailServerConfig {
  host: string;
  port: number;
  /** Implicit TLS from the first byte (IMAPS 993, SMTPS 465). */
  secure: boolean;
  /**
   * Without `secure`: refuse to log in unless the server upgrades the connection with STARTTLS.
   * Defaults to true except for a loopback host, so a password never crosses a network in clear.
   */
  requireTLS: boolean;
  user: string | null;
  password: string | null;
}

/** The validated `email` config section. */
export interface EmailConfig {
  imap: MailServerConfig & {
    user: string;
    password: string;
    /** Folder watched for commands. */
    mailbox: string;
    /** Folder processed mail is moved to; null flags it (\Seen and a keyword) in place. */
    processedFolder: string | null;
  };
  smtp: MailServerConfig;
  /** Sender of the bot's mail, `bot@example.com` or `Skadi <bot@example.com>`. */
  from: string;
  /** Addresses or globs (`*@example.com`) whose mail may run commands; anyone else is ignored. */
  allowSenders: readonly string[];
  /** Accept only mail that a trusted server's Authentication-Results header shows as DKIM-, SPF- or DMARC-authenticated. */
  requireAuthResults: boolean;
  /** authserv-ids (the first word of Authentication-Results) written by your own receiving servers. */
  trustedAuthServIds: readonly string[];
  maxMessageBytes: number;
  maxAttachmentBytes: number;
  /** How often the mailbox is checked when the server has no IDLE. */
  pollIntervalMs: number;
}

const KEYS = ['imap', 'smtp', 'from', 'allowSenders', 'requireAuthResults', 'trustedAuthServIds', 'maxMessageBytes', 'maxAttachmentBytes', 'pollIntervalMs'];
const SERVER_KEYS = ['host', 'port', 'secure', 'requireTLS', 'user', 'password'];
const IMAP_KEYS = [...SERVER_KEYS, 'mailbox', 'processedFolder'];
const SIZE_UNITS: Record<string, number> = { b: 1, kb: 1000, kib: 1024, mb: 1e6, mib: 1024 ** 2 };
const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkKeys(raw: Record<string, unknown>, allowed: readonly string[], key: string): void {
  for (const name of Object.keys(raw)) {
    if (!allowed.includes(name)) throw new ConfigError(`${key}.${name}`, `unknown key; expected one of ${allowed.join(', ')}`);
  }
}

function text(raw: unknown, key: string, fallback?: string | null): string | null {
  if (raw === undefined || raw === null || raw === '') {
    if (fallback === undefined) throw new ConfigError(key, 'missing');
    return fallback;
  }
  if (typeof raw !== 'string' && typeof raw !== 'number') throw new ConfigError(key, `expected a string, got ${JSON.stringify(raw)}`);
  return String(raw);
}

function bool(raw: unknown, key: string, fallback: boolean): boolean {
  if (raw === undefined || raw === null) return fallback;
  if (typeof raw === 'boolean') return raw;
  if (typeof raw === 'string' && /^(true|false|yes|no|1|0|on|off)$/i.test(raw.trim())) return /^(true|yes|1|on)$/i.test(raw.trim());
  throw new ConfigError(key, `expected true or false, got ${JSON.stringify(raw)}`);
}

function unitNumber(raw: unknown, key: string, fallback: number, units: Record<string, number>, expected: string, min: number): number {
  if (raw === undefined || raw === null) return fallback;
  let value: number | undefined;
  if (typeof raw === 'number' && Number.isFinite(raw)) value = raw;
  else if (typeof raw === 'string') {
    const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]+)?\s*$/i.exec(raw);
    const unit = m ? units[(m[2] ?? Object.keys(units)[0]!).toLowerCase()] : undefined;
    if (m && unit !== undefined) value = Math.round(Number(m[1]) * unit);
  }
  if (value === undefined || !Number.isInteger(value) || value < min) throw new ConfigError(key, `expected ${expected} (at least ${min}), got ${JSON.stringify(raw)}`);
  return value;
}

/** The port, or -1 when absent (then `secure` picks the usual one). */
function portNumber(raw: unknown, key: string): number {
  if (raw === undefined || raw === null) return -1;
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^\s*\d+\s*$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new ConfigError(key, `expected a port number 1-65535, got ${JSON.stringify(raw)}`);
  return n;
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function server(raw: unknown, key: string, defaults: { securePort: number; plainPort: number }): MailServerConfig {
  if (!isRecord(raw)) throw new ConfigError(key, 'expected an object with host, port, secure, user, password');
  const host = text(raw.host, `${key}.host`)!;
  const port = portNumber(raw.port, `${key}.port`);
  // Without an explicit `secure`, the port says it (993/465 are TLS ports); without either, TLS.
  const secure = bool(raw.secure, `${key}.secure`, port === -1 ? true : port === defaults.securePort);
  const finalPort = port === -1 ? (secure ? defaults.securePort : defaults.plainPort) : port;
  return {
    host,
    port: finalPort,
    secure,
    requireTLS: bool(raw.requireTLS, `${key}.requireTLS`, !secure && !isLoopback(host)),
    user: text(raw.user, `${key}.user`, null),
    password: text(raw.password, `${key}.password`, null),
  };
}

function stringList(raw: unknown, key: string): string[] {
  const list = typeof raw === 'string' ? [raw] : raw;
  if (!Array.isArray(list)) throw new ConfigError(key, `expected a list of strings, got ${JSON.stringify(raw)}`);
  return list.map((item, i) => {
    if (typeof item !== 'string' || item.trim() === '') throw new ConfigError(`${key}[${i}]`, `expected a non-empty string, got ${JSON.stringify(item)}`);
    return item.trim();
  });
}

function senderPatterns(raw: unknown): string[] {
  if (raw === undefined) throw new ConfigError('email.allowSenders', 'missing: list the addresses (or globs such as *@example.com) whose mail may run commands');
  const list = stringList(raw, 'email.allowSenders');
  if (list.length === 0) throw new ConfigError('email.allowSenders', 'is empty: nobody could run a command; list at least one address or glob');
  list.forEach((pattern, i) => {
    if (!/^[^\s@]+@[^\s@]+$/.test(pattern)) throw new ConfigError(`email.allowSenders[${i}]`, `"${pattern}" is not an address or address glob such as alice@example.com or *@example.com`);
  });
  return list.map((pattern) => pattern.toLowerCase());
}

/**
 * Validates the `email` section; throws ConfigError naming the exact key. Accepts its own
 * output (the wiring validates again what the config loader produced).
 */
export function validateEmailConfig(raw: unknown): EmailConfig {
  if (!isRecord(raw)) throw new ConfigError('email', 'expected an object with imap, smtp, from and allowSenders');
  checkKeys(raw, KEYS, 'email');
  if (raw.imap === undefined) throw new ConfigError('email.imap', 'missing: the mailbox to watch (host, user, password)');
  if (raw.smtp === undefined) throw new ConfigError('email.smtp', 'missing: the server replies are sent through (host, port)');
  if (isRecord(raw.imap)) checkKeys(raw.imap, IMAP_KEYS, 'email.imap');
  if (isRecord(raw.smtp)) checkKeys(raw.smtp, SERVER_KEYS, 'email.smtp');
  const imapServer = server(raw.imap, 'email.imap', { securePort: 993, plainPort: 143 });
  const imapRaw = raw.imap as Record<string, unknown>;
  if (imapServer.user === null) throw new ConfigError('email.imap.user', 'missing: the IMAP login, usually the mailbox address');
  if (imapServer.password === null) throw new ConfigError('email.imap.password', 'missing: set it in the config or in SKADI_EMAIL_IMAP_PASSWORD');
  const smtp = server(raw.smtp, 'email.smtp', { securePort: 465, plainPort: 587 });
  // Most providers use one password for both (an app password); don't make users repeat it.
  if (smtp.user !== null && smtp.password === null) {
    if (smtp.user !== imapServer.user) throw new ConfigError('email.smtp.password', 'missing: set it in the config or in SKADI_EMAIL_SMTP_PASSWORD (or leave smtp.user out to send without logging in)');
    smtp.password = imapServer.password;
  }
  if (smtp.user === null && smtp.password !== null) throw new ConfigError('email.smtp.user', 'missing: smtp.password is set, so name the login it belongs to');

  const from = text(raw.from, 'email.from', imapServer.user.includes('@') ? imapServer.user : undefined)!;
  if (!parseAddress(from)) throw new ConfigError('email.from', `"${from}" is not an address such as bot@example.com or "Skadi <bot@example.com>"`);
  const requireAuthResults = bool(raw.requireAuthResults, 'email.requireAuthResults', false);
  const trustedAuthServIds = raw.trustedAuthServIds === undefined ? [] : stringList(raw.trustedAuthServIds, 'email.trustedAuthServIds').map((id) => id.toLowerCase());
  if (requireAuthResults && trustedAuthServIds.length === 0) {
    throw new ConfigError('email.trustedAuthServIds', 'missing: with requireAuthResults, name the authserv-id your receiving server writes (the first word of its Authentication-Results header, e.g. mx.google.com)');
  }
  const maxMessageBytes = unitNumber(raw.maxMessageBytes, 'email.maxMessageBytes', 10 * 1024 ** 2, SIZE_UNITS, 'a size such as 10MiB', 1024);
  return {
    imap: {
      ...imapServer,
      user: imapServer.user,
      password: imapServer.password,
      mailbox: text(imapRaw.mailbox, 'email.imap.mailbox', 'INBOX')!,
      processedFolder: text(imapRaw.processedFolder, 'email.imap.processedFolder', null),
    },
    smtp,
    from,
    allowSenders: senderPatterns(raw.allowSenders),
    requireAuthResults,
    trustedAuthServIds,
    maxMessageBytes,
    maxAttachmentBytes: unitNumber(raw.maxAttachmentBytes, 'email.maxAttachmentBytes', Math.min(5 * 1024 ** 2, maxMessageBytes), SIZE_UNITS, 'a size such as 5MiB', 1),
    pollIntervalMs: unitNumber(raw.pollIntervalMs, 'email.pollIntervalMs', 60_000, DURATION_UNITS, 'a duration such as 30s', 1000),
  };
}
