import type { Clock, Logger } from '../../src/core/index.js';
import { qrTerminalText } from './qr-code.js';

export type WechatState = 'stopped' | 'starting' | 'waiting-for-scan' | 'scanned' | 'logged-in' | 'logged-out';

export interface WechatEventRecord {
  at: string;
  type: 'start' | 'scan' | 'login' | 'relogin' | 'logout' | 'error' | 'stop';
  message: string;
}

/** What `/wechat/status` shows. The QR payload is only given to callers with the status token. */
export interface WechatStatusSnapshot {
  platform: 'wechat';
  state: WechatState;
  loggedIn: boolean;
  /** The account the bot runs as, once logged in. */
  user: { id: string; name: string } | null;
  since: string;
  /** The login QR code's content while WeChat waits for a scan. */
  qrcode: string | null;
  lastEvent: WechatEventRecord | null;
  events: WechatEventRecord[];
  lastHeartbeatAt: string | null;
}

/** The code drawn for the terminal, or its text when it is too long for a QR code. */
function drawable(qrcode: string): string {
  try {
    return qrTerminalText(qrcode);
  } catch {
    return qrcode;
  }
}

/** wechaty-puppet's ScanStatus values. */
const SCAN = { Cancel: 1, Waiting: 2, Scanned: 3, Confirmed: 4, Timeout: 5 } as const;
const KEEP_EVENTS = 20;
const ERROR_REPEAT_MS = 60_000;

export interface LoginStatusDeps {
  clock: Clock;
  logger: Logger;
  /** Where the QR code is drawn for the operator (the terminal: stderr). */
  print: (text: string) => void;
  /** The link to the page with the QR code, printed under it. */
  pageLink: string;
}

/**
 * The WeChat session as the operator sees it: state, account, login QR code and recent events.
 * Every login, logout and reconnect goes to the log and to this record, which the status
 * route serves.
 */
export class LoginStatus {
  private state: WechatState = 'stopped';
  private since: Date;
  private user: { id: string; name: string } | null = null;
  private qrcode: string | null = null;
  private printedQr: string | null = null;
  private lastHeartbeat: Date | null = null;
  private loggedOutAt: Date | null = null;
  private everLoggedIn = false;
  private lastError: { message: string; loggedAt: number; repeats: number } | null = null;
  private readonly events: WechatEventRecord[] = [];

  constructor(private readonly deps: LoginStatusDeps) {
    this.since = deps.clock.now();
  }

  get loggedIn(): boolean {
    return this.state === 'logged-in';
  }

  get userName(): string | null {
    return this.user?.name ?? null;
  }

  private enter(state: WechatState, type: WechatEventRecord['type'], message: string): void {
    this.state = state;
    this.since = this.deps.clock.now();
    this.events.push({ at: this.since.toISOString(), type, message });
    if (this.events.length > KEEP_EVENTS) this.events.shift();
  }

  starting(puppet: string): void {
    this.enter('starting', 'start', `starting with ${puppet}`);
    this.deps.logger.info({ puppet }, 'WeChat: starting');
  }

  scan(qrcode: string, status: number): void {
    if (status === SCAN.Waiting || status === SCAN.Timeout) {
      this.qrcode = qrcode || null;
      if (this.state !== 'waiting-for-scan' || this.printedQr !== qrcode) this.enter('waiting-for-scan', 'scan', 'waiting for the login QR code to be scanned');
      if (qrcode && this.printedQr !== qrcode) {
        // Puppets repeat the scan event while they wait: draw each new code once.
        this.printedQr = qrcode;
        this.deps.logger.info({ page: this.deps.pageLink.replace(/token=[^&]+/, 'token=…') }, 'WeChat: scan the QR code to log in (printed in the terminal, also on the status page)');
        this.deps.print(`\nWeChat login: scan this QR code with the WeChat app of the bot's account\n${drawable(qrcode)}\nor open ${this.deps.pageLink}\n\n`);
      }
    } else if (status === SCAN.Scanned) {
      this.qrcode = null;
      this.enter('scanned', 'scan', 'QR code scanned; confirm the login on the phone');
      this.deps.logger.info('WeChat: QR code scanned, waiting for confirmation on the phone');
    } else if (status === SCAN.Cancel) {
      this.qrcode = null;
      this.enter('waiting-for-scan', 'scan', 'login cancelled on the phone');
      this.deps.logger.warn('WeChat: login cancelled on the phone');
    }
  }

  login(user: { id: string; name: string }): void {
    this.qrcode = null;
    this.printedQr = null;
    this.user = user;
    const again = this.everLoggedIn;
    this.everLoggedIn = true;
    const away = this.loggedOutAt ? this.deps.clock.now().getTime() - this.loggedOutAt.getTime() : null;
    this.loggedOutAt = null;
    if (again) {
      this.enter('logged-in', 'relogin', `logged in again as ${user.name}${away === null ? '' : ` after ${Math.round(away / 1000)} s`}`);
      this.deps.logger.info({ user, awayMs: away }, 'WeChat: logged in again (reconnected); pending replies are being sent');
    } else {
      this.enter('logged-in', 'login', `logged in as ${user.name}`);
      this.deps.logger.info({ user }, 'WeChat: logged in');
    }
  }

  logout(reason: string): void {
    if (this.state === 'stopped') return;
    this.loggedOutAt = this.deps.clock.now();
    this.enter('logged-out', 'logout', `logged out${reason ? `: ${reason}` : ''}`);
    this.deps.logger.warn({ user: this.user, reason }, 'WeChat: logged out; replies wait until the bot logs in again');
  }

  error(message: string): void {
    // Puppets retry fast (wechat4u without a network: dozens a second); one line per error and minute is enough.
    const now = this.deps.clock.now();
    const last = this.lastError;
    if (last && last.message === message && now.getTime() - last.loggedAt < ERROR_REPEAT_MS) {
      last.repeats += 1;
      return;
    }
    const repeats = last && last.message === message ? last.repeats : 0;
    this.lastError = { message, loggedAt: now.getTime(), repeats: 0 };
    this.events.push({ at: now.toISOString(), type: 'error', message: repeats ? `${message} (and ${repeats} times more)` : message });
    if (this.events.length > KEEP_EVENTS) this.events.shift();
    this.deps.logger.warn({ err: message, ...(repeats ? { repeatedSinceLastLog: repeats } : {}) }, 'WeChat: puppet reported an error');
  }

  heartbeat(): void {
    this.lastHeartbeat = this.deps.clock.now();
  }

  stopped(): void {
    this.qrcode = null;
    this.enter('stopped', 'stop', 'stopped');
  }

  /** The record for the status route; `withSecrets` adds the QR code. */
  snapshot(withSecrets: boolean): WechatStatusSnapshot {
    return {
      platform: 'wechat',
      state: this.state,
      loggedIn: this.loggedIn,
      user: this.user ? { ...this.user } : null,
      since: this.since.toISOString(),
      qrcode: withSecrets ? this.qrcode : null,
      lastEvent: this.events.at(-1) ?? null,
      events: [...this.events].reverse(),
      lastHeartbeatAt: this.lastHeartbeat?.toISOString() ?? null,
    };
  }
}
