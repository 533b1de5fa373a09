import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { SkadiError } from '../core/errors.js';
import { randomId } from '../core/ids.js';
import type { Clock } from '../core/clock.js';
import type { ApiToken, TokenKind, TokenStore } from '../core/stores.js';

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
}

export function createTokenService(options: { cacheMs?: number }, deps: { tokens: TokenStore; clock: Clock }): TokenService {
  // A short cache keeps the agent poll at one database query; revocation still takes effect within cacheMs.
  const cacheMs = options.cacheMs ?? 2000;
  const cache = new Map<string, { row: ApiToken | null; at: number }>();
  /** Lookups on their way: requests that arrive meanwhile with the same token share them. */
  const pending = new Map<string, Promise<ApiToken | null>>();

  async function lookup(id: string): Promise<ApiToken | null> {
    const hit = cache.get(id);
    const now = Date.now();
    if (hit && now - hit.at < cacheMs) return hit.row;
    let read = pending.get(id);
    if (!read) {
      read = deps.tokens.get(id).finally(() => pending.delete(id));
      pending.set(id, read);
      const row = await read;
      if (cache.size > 50_000) cache.clear();
      cache.set(id, { row, at: now });
      return row;
    }
    return read;
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
      cache.delete(id);
      pending.delete(id);
      return deps.tokens.revoke(id, deps.clock.now());
    },
    async revokeAllOf(kind, subject) {
      cache.clear();
      pending.clear();
      return deps.tokens.revokeAllOf(kind, subject, deps.clock.now());
    },
  };
}
