import { ImapFlow, type MailboxObject } from 'imapflow';
import { backoffDelay, type BackoffPolicy, type Clock, type KeyValueStore, type Logger } from '../../src/core/index.js';
import type { EmailConfig } from './email-config.js';
import { imapLogger } from './imap-logger.js';
import { MailCursor } from './mail-cursor.js';
import { nextUids, type FetchedMail, type MailMeta } from './mailbox-pass.js';

export type { FetchedMail } from './mailbox-pass.js';

/** The keyword set on handled mail (with \Seen) when it stays in the mailbox. */
export const PROCESSED_KEYWORD = '$SkadiProcessed';

/** How long start() waits for the first connection before leaving it to the background. */
const START_WAIT_MS = 5000;
/** How long stop() waits for the mail being handled. */
const STOP_WAIT_MS = 15_000;
/** Shortest wait between two checks started by the timer. */
const MIN_RECHECK_MS = 250;

export interface MailboxWatcherOptions {
  imap: EmailConfig['imap'];
  pollIntervalMs: number;
  /** With IDLE, a full check still runs this often, in case a notification was lost (default 5 min). */
  sweepIntervalMs?: number;
  /** Between reconnects (default 1 s doubling to 2 min). */
  reconnect?: BackoffPolicy;
  /** Between tries of a mail whose handling failed (default 5 s doubling to 10 min). */
  retry?: BackoffPolicy;
  /** Connection and greeting timeout (default 30 s). */
  timeoutMs?: number;
}

export interface MailboxWatcherDeps {
  kv: KeyValueStore;
  clock: Clock;
  logger: Logger;
  /** Names this process on mail claims; stable across restarts. */
  owner: string;
  /** Handles one new mail. Resolves when it is done with (run, ignored or refused); throws to be retried later. */
  handle(mail: FetchedMail): Promise<void>;
}

/**
 * Watches one IMAP folder: reads every mail above the stored cursor in UID order, hands each to
 * `handle`, marks it processed (flag or move), and advances the cursor. New mail is noticed by
 * IDLE, or by polling where the server has no IDLE. A lost connection is re-opened with backoff.
 */
export class MailboxWatcher {
  private client: ImapFlow | null = null;
  private stopped = true;
  private running: Promise<void> | null = null;
  private dirty = false;
  private timer: NodeJS.Timeout | null = null;
  private reconnects = 0;
  private readonly retries = new Map<number, { attempts: number; nextAt: number }>();
  /** Clients whose end was already handled (imapflow may or may not emit 'close' for a failed connect). */
  private readonly ended = new WeakSet<ImapFlow>();
  private readonly cursor: MailCursor;
  private readonly log: Logger;

  constructor(private readonly options: MailboxWatcherOptions, private readonly deps: MailboxWatcherDeps) {
    const { imap } = options;
    this.cursor = new MailCursor(`${imap.user}@${imap.host}:${imap.port}/${imap.mailbox}`, deps.kv);
    this.log = deps.logger.child({ component: 'email-imap', mailbox: imap.mailbox });
  }

  /**
   * Connects (waiting at most a few seconds, so an unreachable server does not hold up the
   * server's start) and starts the first check. A failure is logged and retried in the
   * background, never thrown.
   */
  async start(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    let timer: NodeJS.Timeout | undefined;
    const patience = new Promise<void>((resolve) => (timer = setTimeout(resolve, START_WAIT_MS)));
    await Promise.race([this.connect(), patience]);
    clearTimeout(timer);
  }

  /** Stops watching: waits for the mail being handled, then logs out. Idempotent. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.clearTimer();
    // The mail being handled gets a while to finish; past that the connection closes under it and it is retried after a restart.
    if (this.running) await Promise.race([this.running, new Promise((resolve) => setTimeout(resolve, STOP_WAIT_MS).unref())]);
    const client = this.client;
    this.client = null;
    if (client && client.usable) {
      await Promise.race([client.logout().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 2000).unref())]);
    }
    client?.close();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(delayMs: number, what: () => void): void {
    this.clearTimer();
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      what();
    }, delayMs);
  }

  private async connect(): Promise<void> {
    const { imap } = this.options;
    const timeout = this.options.timeoutMs ?? 30_000;
    const client = new ImapFlow({
      host: imap.host,
      port: imap.port,
      secure: imap.secure,
      // true: STARTTLS or fail; undefined: STARTTLS when offered.
      doSTARTTLS: imap.secure ? undefined : imap.requireTLS ? true : undefined,
      auth: { user: imap.user, pass: imap.password },
      logger: imapLogger(this.log),
      disableAutoIdle: true,
      // Servers drop IDLE after 30 min (RFC 2177); NAT boxes sooner.
      maxIdleTime: 4 * 60_000,
      connectionTimeout: timeout,
      greetingTimeout: timeout,
      socketTimeout: Math.max(5 * 60_000, this.options.pollIntervalMs + 60_000),
    });
    client.on('error', (err: Error) => this.log.warn({ err }, 'IMAP connection error'));
    client.on('exists', () => this.kick());
    client.on('close', () => this.closed(client));
    try {
      await client.connect();
      if (this.stopped) return client.close();
      this.client = client;
      if (imap.processedFolder) await this.ensureFolder(client, imap.processedFolder);
      this.log.info({ host: imap.host, idle: client.capabilities.has('IDLE') }, 'watching the mailbox');
      this.kick();
    } catch (err) {
      this.log.error({ err, host: imap.host, port: imap.port, user: imap.user }, 'cannot open the mailbox; retrying');
      client.close();
      this.closed(client);
    }
  }

  /** The connection is gone (error, server restart, logout): come back after a backoff. */
  private closed(client: ImapFlow): void {
    if (this.ended.has(client)) return;
    this.ended.add(client);
    if (this.client === client) this.client = null;
    if (this.stopped) return;
    const delay = backoffDelay(this.reconnects++, this.options.reconnect ?? { baseMs: 1000, capMs: 120_000, jitter: 'equal' });
    this.log.info({ delayMs: delay }, 'IMAP connection closed; reconnecting');
    this.schedule(delay, () => void this.connect());
  }

  private async ensureFolder(client: ImapFlow, folder: string): Promise<void> {
    const exists = (await client.list()).some((box) => box.path === folder);
    if (!exists) await client.mailboxCreate(folder);
  }

  /** Runs a check now, or right after the one under way. */
  private kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.dirty = true;
      return;
    }
    const client = this.client;
    if (!client) return;
    this.clearTimer();
    this.running = this.checkLoop(client).finally(() => {
      this.running = null;
      this.afterCheck(client);
    });
  }

  private async checkLoop(client: ImapFlow): Promise<void> {
    try {
      do {
        this.dirty = false;
        await this.check(client);
      } while (this.dirty && !this.stopped);
      this.reconnects = 0;
    } catch (err) {
      this.log.warn({ err }, 'mailbox check failed; reconnecting');
      client.close();
    }
  }

  /** Waits for news: IDLE where the server has it, a timer always (poll, sweep, or a mail's retry). */
  private afterCheck(client: ImapFlow): void {
    if (this.stopped || this.client !== client || !client.usable) return;
    const idle = client.capabilities.has('IDLE');
    const now = this.deps.clock.now().getTime();
    const retryAt = Math.min(...[...this.retries.values()].map((r) => r.nextAt));
    const every = idle ? Math.max(this.options.pollIntervalMs, this.options.sweepIntervalMs ?? 300_000) : this.options.pollIntervalMs;
    // A floor, so a retry that cannot run yet (claimed elsewhere) never turns into a busy loop.
    this.schedule(Math.max(MIN_RECHECK_MS, Math.min(every, retryAt - now)), () => this.kick());
    // Not awaited: idle() resolves only when the next command breaks it.
    if (idle) client.idle().catch((err: unknown) => this.log.debug({ err }, 'IDLE ended'));
  }

  /** One pass over the mailbox under the mailbox lock. */
  private async check(client: ImapFlow): Promise<void> {
    const lock = await client.getMailboxLock(this.options.imap.mailbox);
    try {
      // A server tells a session about new mail only in answer to a command (or in IDLE): poll it.
      await client.noop();
      const box = client.mailbox as MailboxObject;
      const keywords = !box.permanentFlags || box.permanentFlags.has('\\*') || box.permanentFlags.has(PROCESSED_KEYWORD);
      const plan = await nextUids(client, box, await this.cursor.load(), { keyword: keywords ? PROCESSED_KEYWORD : null, log: this.log });
      let lastUid = plan.cursor.lastUid;
      let blocked = false;
      for (const meta of plan.mails) {
        if (this.stopped) {
          blocked = true;
          break;
        }
        const done = await this.process(client, box, meta, keywords);
        if (!done) blocked = true;
        // The cursor only moves over mail that is finished, so a mail to retry is not skipped by a restart.
        if (!blocked) lastUid = meta.uid;
      }
      if (!blocked) lastUid = Math.max(lastUid, plan.highWater);
      // Forget retries of mail that is gone (deleted or moved by someone else).
      const present = new Set(plan.mails.map((m) => m.uid));
      for (const uid of this.retries.keys()) if (!present.has(uid) && !this.stopped) this.retries.delete(uid);
      if (lastUid !== plan.stored?.lastUid || plan.cursor.uidValidity !== plan.stored?.uidValidity) await this.cursor.save({ uidValidity: plan.cursor.uidValidity, lastUid });
    } finally {
      lock.release();
    }
  }

  /** Handles one mail; true when it is finished with (processed now or before). */
  private async process(client: ImapFlow, box: MailboxObject, meta: MailMeta, keywords: boolean): Promise<boolean> {
    if (meta.processed) return true;
    const now = this.deps.clock.now().getTime();
    const retry = this.retries.get(meta.uid);
    if (retry && retry.nextAt > now) return false;
    const uidValidity = String(box.uidValidity);
    if (!(await this.cursor.claim(uidValidity, meta.uid, this.deps.owner, new Date(now + 10 * 60_000)))) return false;
    const mail: FetchedMail = {
      ...meta,
      uidValidity,
      mailbox: this.options.imap.mailbox,
      load: async (what) => {
        const fetched = await client.fetchOne(String(meta.uid), what === 'source' ? { source: true } : { headers: true }, { uid: true });
        const data = fetched ? (what === 'source' ? fetched.source : fetched.headers) : undefined;
        if (!data) throw new Error(`mail UID ${meta.uid} is gone`);
        return data;
      },
    };
    try {
      await this.deps.handle(mail);
    } catch (err) {
      const attempts = (retry?.attempts ?? 0) + 1;
      const delay = backoffDelay(attempts - 1, this.options.retry ?? { baseMs: 5000, capMs: 600_000, jitter: 'equal' });
      this.retries.set(meta.uid, { attempts, nextAt: now + delay });
      this.log.warn({ err, uid: meta.uid, attempts, retryInMs: delay }, 'could not handle a mail; it will be retried');
      return false;
    }
    this.retries.delete(meta.uid);
    await client.messageFlagsAdd(String(meta.uid), keywords ? ['\\Seen', PROCESSED_KEYWORD] : ['\\Seen'], { uid: true });
    if (this.options.imap.processedFolder) await client.messageMove(String(meta.uid), this.options.imap.processedFolder, { uid: true });
    return true;
  }
}
