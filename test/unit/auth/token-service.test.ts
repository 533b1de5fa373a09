import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTokenService } from '../../../src/auth/token-service.js';
import type { ApiToken, TokenKind, TokenStore } from '../../../src/core/index.js';
import { createInProcessNotifier } from '../../../src/bus/in-process-notifier.js';

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

  it('keeps a verified token longer than a poll wait, so re-polls cost no read; a revoke still applies at once', async () => {
    const tokens = new CountingTokens();
    const service = createTokenService({}, { tokens, clock: { now: () => new Date() } });
    const { id, token } = await service.create('agent', 'web-1', 'test');
    await service.verify(token, 'agent');
    await service.verify(token, 'agent');
    expect(tokens.reads).toBe(1);
    // A read in flight when the revoke happens does not put the old row back in the cache.
    const racing = service.verify(token, 'agent');
    await service.revoke(id);
    await racing.catch(() => undefined);
    await expect(service.verify(token, 'agent')).rejects.toMatchObject({ code: 'SKADI_UNAUTHENTICATED', message: 'token revoked' });
  });

  it('a revoke in one process drops the cached row in the others (followRevocations)', async () => {
    const tokens = new CountingTokens();
    const notifier = createInProcessNotifier();
    const a = createTokenService({}, { tokens, clock: { now: () => new Date() } });
    const b = createTokenService({}, { tokens, clock: { now: () => new Date() } });
    const stops = [await a.followRevocations(notifier), await b.followRevocations(notifier)];
    const { id, token } = await a.create('agent', 'web-1', 'test');
    await b.verify(token, 'agent');
    await a.revoke(id);
    await new Promise((r) => setTimeout(r, 10));
    await expect(b.verify(token, 'agent')).rejects.toMatchObject({ message: 'token revoked' });
    for (const stop of stops) await stop();
  });

  afterEach(() => vi.restoreAllMocks());

  it('a revoke written to the database behind its back: user tokens stop within 2 s, agent tokens within the cache time', async () => {
    const tokens = new CountingTokens();
    const service = createTokenService({}, { tokens, clock: { now: () => new Date() } });
    const agent = await service.create('agent', 'web-1', 'test');
    const user = await service.create('user', 'api:ci', 'test');
    await service.verify(agent.token, 'agent');
    await service.verify(user.token, 'user');
    // `skadi token revoke` on a deployment without Redis: the database changes, nobody is told.
    await tokens.revoke(agent.id, new Date());
    await tokens.revoke(user.id, new Date());
    const start = Date.now();
    const now = vi.spyOn(Date, 'now').mockReturnValue(start + 2_500);
    await expect(service.verify(user.token, 'user')).rejects.toMatchObject({ message: 'token revoked' });
    expect((await service.verify(agent.token, 'agent')).subject).toBe('web-1');
    now.mockReturnValue(start + 61_000);
    await expect(service.verify(agent.token, 'agent')).rejects.toMatchObject({ message: 'token revoked' });
  });
});
