import { describe, expect, it } from 'vitest';
import { createTokenService } from '../../../src/auth/token-service.js';
import type { ApiToken, TokenKind, TokenStore } from '../../../src/core/index.js';

/** A token store that counts reads and answers after a tick, as a database would. */
class CountingTokens implements TokenStore {
  readonly rows = new Map<string, ApiToken>();
  reads = 0;
  async create(token: Omit<ApiToken, 'revokedAt' | 'lastUsedAt'>): Promise<void> {
    this.rows.set(token.id, { ...token, revokedAt: null, lastUsedAt: null });
  }
  async get(id: string): Promise<ApiToken | null> {
    this.reads++;
    await new Promise((r) => setTimeout(r, 5));
    const row = this.rows.get(id);
    return row ? { ...row } : null;
  }
  async list(kind?: TokenKind): Promise<ApiToken[]> {
    return [...this.rows.values()].filter((t) => !kind || t.kind === kind);
  }
  async revoke(id: string, at: Date): Promise<boolean> {
    const row = this.rows.get(id);
    if (!row || row.revokedAt) return false;
    row.revokedAt = at;
    return true;
  }
  async revokeAllOf(): Promise<number> {
    return 0;
  }
}

describe('token service', () => {
  it('concurrent requests with one token share one database read', async () => {
    const tokens = new CountingTokens();
    const service = createTokenService({}, { tokens, clock: { now: () => new Date() } });
    const { token } = await service.create('agent', 'web-1', 'test');
    const rows = await Promise.all(Array.from({ length: 20 }, () => service.verify(token, 'agent')));
    expect(rows.every((r) => r.subject === 'web-1')).toBe(true);
    expect(tokens.reads).toBe(1);
  });

  it('refuses a revoked token at once, and a wrong secret however many ask together', async () => {
    const tokens = new CountingTokens();
    const service = createTokenService({}, { tokens, clock: { now: () => new Date() } });
    const { id, token } = await service.create('agent', 'web-1', 'test');
    await service.verify(token, 'agent');
    await service.revoke(id);
    await expect(service.verify(token, 'agent')).rejects.toMatchObject({ code: 'SKADI_UNAUTHENTICATED' });
    const forged = token.slice(0, -4) + 'AAAA';
    const results = await Promise.allSettled([service.verify(forged, 'agent'), service.verify(forged, 'agent')]);
    expect(results.every((r) => r.status === 'rejected')).toBe(true);
  });
});
