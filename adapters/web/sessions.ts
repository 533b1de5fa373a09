import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../src/core/index.js';

export const SESSION_COOKIE = 'skadi_web_session';

export interface WebUserConfig {
  name: string;
  /** SHA-256 (hex) of the user's token. */
  tokenHash: string;
}

const LOGIN_WINDOW_MS = 60_000;
const LOGIN_FAILURES_PER_WINDOW = 10;

export interface Session {
  id: string;
  user: string;
  expiresAt: Date;
}

export interface SessionStoreOptions {
  ttlMs: number;
  /** Bound on live sessions; the oldest is dropped beyond it. */
  maxSessions: number;
}

/**
 * Login check and in-memory sessions. Per process: behind a load balancer the web chat needs
 * sticky sessions (see the adapter's note).
 */
export class SessionStore {
  private readonly sessions = new Map<string, Session>();
  private readonly failures = new Map<string, { count: number; windowStart: number }>();
  private readonly hashes: Map<string, Buffer>;
  /** Compared against when the user is unknown, so a wrong name costs as long as a wrong token. */
  private readonly decoy = randomBytes(32);

  constructor(users: readonly WebUserConfig[], private readonly clock: Clock, private readonly options: SessionStoreOptions) {
    this.hashes = new Map(users.map((u) => [u.name, Buffer.from(u.tokenHash, 'hex')]));
  }

  /** True if `token` is the configured token of `user`; constant time in the token. */
  verify(user: string, token: string): boolean {
    const presented = createHash('sha256').update(token, 'utf8').digest();
    const expected = this.hashes.get(user);
    const ok = timingSafeEqual(presented, expected ?? this.decoy);
    return ok && expected !== undefined;
  }

  create(user: string): Session {
    this.prune();
    while (this.sessions.size >= this.options.maxSessions) {
      const oldest = this.sessions.keys().next().value;
      if (oldest === undefined) break;
      this.sessions.delete(oldest);
    }
    const session: Session = { id: randomBytes(32).toString('base64url'), user, expiresAt: new Date(this.clock.now().getTime() + this.options.ttlMs) };
    this.sessions.set(session.id, session);
    return session;
  }

  /** The live session with this id, or null if unknown or expired. */
  get(id: string | undefined): Session | null {
    if (!id) return null;
    const session = this.sessions.get(id);
    if (!session) return null;
    if (session.expiresAt.getTime() <= this.clock.now().getTime()) {
      this.sessions.delete(id);
      return null;
    }
    return session;
  }

  delete(id: string): void {
    this.sessions.delete(id);
  }

  /**
   * Milliseconds until `user` may try to log in again, or 0. Failed logins are counted per name
   * in fixed windows, so guessing a token online is slow; success clears the count.
   */
  retryAfterMs(user: string): number {
    const f = this.failures.get(user);
    if (!f) return 0;
    const left = f.windowStart + LOGIN_WINDOW_MS - this.clock.now().getTime();
    if (left <= 0) {
      this.failures.delete(user);
      return 0;
    }
    return f.count >= LOGIN_FAILURES_PER_WINDOW ? left : 0;
  }

  noteLogin(user: string, ok: boolean): void {
    if (ok) {
      this.failures.delete(user);
      return;
    }
    // Bounded: names are attacker-chosen; forgetting all counts is the safe way to stay small.
    if (this.failures.size >= 10_000) this.failures.clear();
    const now = this.clock.now().getTime();
    const f = this.failures.get(user);
    if (!f || now - f.windowStart >= LOGIN_WINDOW_MS) this.failures.set(user, { count: 1, windowStart: now });
    else f.count++;
  }

  /** Drops expired sessions. */
  prune(): void {
    const now = this.clock.now().getTime();
    for (const [id, s] of this.sessions) if (s.expiresAt.getTime() <= now) this.sessions.delete(id);
  }
}

/** Reads one cookie from a Cookie header (RFC 6265 syntax; no dependency for one value). */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * The Set-Cookie value for a session. HttpOnly keeps it from scripts; SameSite=Strict keeps
 * other sites from using it (with the JSON-only bodies, this is the CSRF defence).
 */
export function sessionCookie(value: string, maxAgeSeconds: number, secure: boolean): string {
  const parts = [`${SESSION_COOKIE}=${value}`, 'Path=/', 'HttpOnly', 'SameSite=Strict', `Max-Age=${Math.max(0, Math.floor(maxAgeSeconds))}`];
  if (secure) parts.push('Secure');
  return parts.join('; ');
}
