import { describe, expect, it } from 'vitest';
import { displayNameOf, UserNames } from '../../../../adapters/slack/user-names.js';
import { silentLogger } from '../../../../src/core/index.js';
import { manualClock } from '../../../helpers/manual-clock.js';

describe('slack display names', () => {
  function names(lookup: (user: string) => Promise<string | null>, options = {}) {
    const clock = manualClock();
    const looked: string[] = [];
    const cache = new UserNames(options, {
      lookup: (user) => {
        looked.push(user);
        return lookup(user);
      },
      clock,
      logger: silentLogger,
    });
    return { cache, clock, looked };
  }

  it('resolves once, caches for the TTL, and shares concurrent lookups', async () => {
    const { cache, clock, looked } = names(async (user) => `Name of ${user}`, { ttlMs: 1000 });
    expect(await Promise.all([cache.get('T1', 'U1'), cache.get('T1', 'U1')])).toEqual(['Name of U1', 'Name of U1']);
    expect(await cache.get('T1', 'U1')).toBe('Name of U1');
    expect(looked).toEqual(['U1']);
    clock.advance(1001);
    await cache.get('T1', 'U1');
    expect(looked).toEqual(['U1', 'U1']);
  });

  it('falls back to the user id when the lookup fails or is slow, and remembers a failure briefly', async () => {
    const failing = names(async () => Promise.reject(new Error('missing_scope')), { failureTtlMs: 500 });
    expect(await failing.cache.get('T1', 'U2')).toBe('U2');
    expect(await failing.cache.get('T1', 'U2')).toBe('U2');
    expect(failing.looked).toHaveLength(1);
    failing.clock.advance(501);
    await failing.cache.get('T1', 'U2');
    expect(failing.looked).toHaveLength(2);

    const slow = names(() => new Promise((resolve) => setTimeout(() => resolve('Late'), 200)), { timeoutMs: 20 });
    expect(await slow.cache.get('T1', 'U3', 'fallback')).toBe('fallback');
  });

  it('keeps at most maxEntries names, dropping the least recently used', async () => {
    const { cache, looked } = names(async (user) => user.toLowerCase(), { maxEntries: 2 });
    await cache.get('T', 'A');
    await cache.get('T', 'B');
    await cache.get('T', 'A');
    await cache.get('T', 'C');
    expect(cache.size).toBe(2);
    await cache.get('T', 'A');
    await cache.get('T', 'B');
    expect(looked).toEqual(['A', 'B', 'C', 'B']);
  });

  it('prefers the display name, then the real name, then the handle', () => {
    expect(displayNameOf({ name: 'ann', real_name: 'Ann Smith', profile: { display_name: 'annie', real_name: 'Ann Smith' } })).toBe('annie');
    expect(displayNameOf({ name: 'ann', profile: { display_name: ' ', real_name: 'Ann Smith' } })).toBe('Ann Smith');
    expect(displayNameOf({ name: 'ann' })).toBe('ann');
    expect(displayNameOf(undefined)).toBeNull();
  });
});
