import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { SkadiError } from '../core/errors.js';
import { randomId } from '../core/ids.js';
import type { Clock } from '../core/clock.js';
import type { ApiToken, TokenKind, TokenStore } from '../core/stores.js';
import type { Notifier } from '../core/event-bus.js';

/**
 * Tokens look like `skadi_agt_<id>_<secret>` (agents) or `skadi_usr_<id>_<secret>` (users): the
 * prefix makes them recognisable to secret scanners, the id finds the row, and only a SHA-256
 * of the 256-bit secret is stored. A fast hash is enough for secrets of that entropy.
 */
const PREFIX: Record<TokenKind, string> = { agent: 'skadi_agt_', user: 'skadi_usr_' };
const TOKEN_PATTERN = /^skadi_(agt|usr)_([0-9a-z]{12})_([A-Za-z0-9_-]{43})$/;

export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

export interface TokenService {
  create(kind: TokenKind, subject: string, name: string): Promise<{ id: string; token: string }>;
  /** The token's row, or SKADI_UNAUTHENTICATED (unknown, malformed, wrong kind or revoked). */
  verify(token: string, kind: TokenKind): Promise<ApiToken>;
  revoke(id: string): Promise<boolean>;
  revokeAllOf(kind: TokenKind, subject: string): Promise<number>;
  /**
   * Shares revocations with the other server processes over `notifier` (Redis pub/sub when
   * configured): a revoke in any of them drops the cached row in all at once. Returns the stop.
   */
  followRevocations(notifier: Notifier): Promise<() => Promise<void>>;
}

/** Notifier channel of revocations: a token id, or `*` (drop every cached row). */
export const TOKEN_REVOKED_CHANNEL = 'token-revoked';

/**
 * Default lifetime of a cached agent token row: longer than an agent's poll wait (25 s, at most
 * 60 s), so an agent that re-polls costs no token query. A revoke through this service (or
 * another process's, with followRevocations; the CLI announces its revokes over Redis too) drops
 * the row at once; a revoke written to the database without an announcement (the CLI on a
 * deployment without Redis) is seen within it.
 */
export const TOKEN_CACHE_MS = 60_000;
/**
 * User (API and web) tokens are kept only briefly: they are used far less often than agents
 * poll, and a revoked user token must stop creating jobs at once, announcement or not.
 */
const USER_TOKEN_CACHE_MS = 2000;
/** Unknown ids are remembered only briefly: a probe with random ids must not fill the cache for long. */
const MISS_CACHE_MS = 2000;
const MAX_CACHED = 100_000;

export function createTokenService(options: { cacheMs?: number }, deps: { tokens: TokenStore; clock: Clock }): TokenService {
  const cacheMs = options.cacheMs ?? TOKEN_CACHE_MS;
  const cache = new Map<string, { row: ApiToken | null; at: number }>();
  /** Lookups on their way: requests that arrive meanwhile with the same token share them. */
  const pending = new Map<string, Promise<ApiToken | null>>();
  /** Bumped by every revocation: a read that began before it does not go into the cache. */
  let epoch = 0;
  let revocations: Notifier | null = null;
  const ttlOf = (row: ApiToken | null): number => Math.min(cacheMs, row === null ? MISS_CACHE_MS : row.kind === 'agent' ? cacheMs : USER_TOKEN_CACHE_MS);

  async function lookup(id: string): Promise<ApiToken | null> {
    const hit = cache.get(id);
    const now = Date.now();
    if (hit && now - hit.at < ttlOf(hit.row)) return hit.row;
    let read = pending.get(id);
    if (!read) {
      const startedIn = epoch;
      read = deps.tokens.get(id).finally(() => {
        if (pending.get(id) === read) pending.delete(id);
      });
      pending.set(id, read);
      const row = await read;
      if (startedIn === epoch && cacheMs > 0) {
        if (cache.size >= MAX_CACHED) cache.clear();
        cache.set(id, { row, at: now });
      }
      return row;
    }
    return read;
  }

  function forget(id: string): void {
    epoch++;
    if (id === '*') cache.clear();
    else cache.delete(id);
    if (id === '*') pending.clear();
    else pending.delete(id);
  }

  function announce(id: string): void {
    revocations?.notify(TOKEN_REVOKED_CHANNEL, id).catch(() => undefined);
  }

  const refuse = (why: string) => new SkadiError('SKADI_UNAUTHENTICATED', why);

  return {
    async create(kind, subject, name) {
      const id = randomId(12);
      const secret = randomBytes(32).toString('base64url');
      await deps.tokens.create({ id, kind, subject, name, hash: hashSecret(secret), createdAt: deps.clock.now() });
      return { id, token: `${PREFIX[kind]}${id}_${secret}` };
    },
    async verify(token, kind) {
      const m = TOKEN_PATTERN.exec(token);
      if (!m) throw refuse('malformed token');
      if ((m[1] === 'agt' ? 'agent' : 'user') !== kind) throw refuse(`this is not ${kind === 'agent' ? 'an agent' : 'a user'} token`);
      const row = await lookup(m[2]!);
      const given = Buffer.from(hashSecret(m[3]!), 'hex');
      const expected = Buffer.from(row?.hash ?? '0'.repeat(64), 'hex');
      // Compare even when the row is missing, so timing does not tell which ids exist.
      const equal = timingSafeEqual(given, expected);
      if (!row || !equal || row.kind !== kind) throw refuse('unknown token');
      if (row.revokedAt) throw refuse('token revoked');
      return row;
    },
    async revoke(id) {
      forget(id);
      const done = await deps.tokens.revoke(id, deps.clock.now());
      // Again after the write: a read that raced it may have cached the row as it was.
      forget(id);
      announce(id);
      return done;
    },
    async revokeAllOf(kind, subject) {
      forget('*');
      const n = await deps.tokens.revokeAllOf(kind, subject, deps.clock.now());
      forget('*');
      announce('*');
      return n;
    },
    async followRevocations(notifier) {
      const stop = await notifier.listen(TOKEN_REVOKED_CHANNEL, (id) => forget(id));
      revocations = notifier;
      return async () => {
        revocations = null;
        await stop();
      };
    },
  };
}
