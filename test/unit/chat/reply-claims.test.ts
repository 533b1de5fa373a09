import { describe, expect, it } from 'vitest';
import { createReplyClaims } from '../../../src/chat/reply-claims.js';
import { silentLogger, type ReplyStore } from '../../../src/core/index.js';
import { manualClock } from '../../helpers/manual-clock.js';
import { MemoryReplyStore } from '../../helpers/memory-reply-store.js';

type Method = 'claim' | 'markSent' | 'release' | 'get';

/** A ReplyStore whose next call of a method fails, before or after it took effect (a database that went away). */
function flaky(store: MemoryReplyStore) {
  const failures = new Map<Method, 'before' | 'after'>();
  const wrap =
    <A extends unknown[], R>(method: Method, fn: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      const when = failures.get(method);
      failures.delete(method);
      if (when === 'before') throw new Error(`${method}: connection lost`);
      const result = await fn(...args);
      if (when === 'after') throw new Error(`${method}: connection lost after commit`);
      return result;
    };
  const replies: ReplyStore = {
    claim: wrap('claim', store.claim.bind(store)),
    markSent: wrap('markSent', store.markSent.bind(store)),
    release: wrap('release', store.release.bind(store)),
    releaseAbandoned: store.releaseAbandoned.bind(store),
    get: wrap('get', store.get.bind(store)),
    list: store.list.bind(store),
  };
  return { replies, failNext: (method: Method, when: 'before' | 'after' = 'before') => failures.set(method, when) };
}

function setup() {
  const clock = manualClock(new Date('2026-03-01T12:00:00Z'));
  const store = new MemoryReplyStore();
  const { replies, failNext } = flaky(store);
  const claims = createReplyClaims({ owner: 'node-1/abc', claimTtlMs: 60_000 }, { replies, clock, logger: silentLogger });
  const sent: string[] = [];
  const send = async () => {
    sent.push('message');
    return `m${sent.length}`;
  };
  return { clock, store, claims, failNext, sent, send };
}

describe('reply claims when the database fails half-way', () => {
  it('a reply sent but not recorded is recorded on the retry, never sent again', async () => {
    const { claims, failNext, sent, send, store } = setup();
    failNext('markSent');
    await expect(claims.exclusively('j1', 'result', 'w1', send)).rejects.toThrow(/connection lost/);
    expect(sent).toHaveLength(1);
    await claims.exclusively('j1', 'result', 'w1', send);
    expect(sent).toHaveLength(1);
    expect(await store.get('j1', 'result')).toMatchObject({ state: 'sent', messageId: 'm1' });
  });

  it('a claim whose INSERT committed but whose answer was lost is taken back and sent once', async () => {
    const { claims, failNext, sent, send, store } = setup();
    failNext('claim', 'after');
    await expect(claims.exclusively('j1', 'queued', 'w1', send)).rejects.toThrow(/after commit/);
    expect(sent).toHaveLength(0);
    await claims.exclusively('j1', 'queued', 'w1', send);
    expect(sent).toHaveLength(1);
    expect(await store.get('j1', 'queued')).toMatchObject({ state: 'sent', owner: 'node-1/abc' });
  });

  it('a failed send whose release failed too is retried by this process at once, not after the claim expires', async () => {
    const { claims, failNext, sent, store } = setup();
    failNext('release');
    await expect(
      claims.exclusively('j1', 'result', 'w1', async () => {
        throw new Error('platform down');
      }),
    ).rejects.toThrow(/platform down/);
    expect(await store.get('j1', 'result')).toMatchObject({ state: 'claimed' });
    await claims.exclusively('j1', 'result', 'w1', async () => {
      sent.push('message');
      return 'm1';
    });
    expect(sent).toHaveLength(1);
    expect(await store.get('j1', 'result')).toMatchObject({ state: 'sent', messageId: 'm1' });
  });

  it('another process still waits for a claim held by this one', async () => {
    const { clock, store, failNext, claims, send } = setup();
    failNext('markSent');
    await expect(claims.exclusively('j1', 'result', 'w1', send)).rejects.toThrow();
    const other = createReplyClaims({ owner: 'node-2/def', claimTtlMs: 60_000 }, { replies: store, clock, logger: silentLogger });
    await expect(other.exclusively('j1', 'result', 'w1', send)).rejects.toThrow(/waits for reply result/);
  });

  it('two handlers of one process never send the same reply at once', async () => {
    const { claims, sent } = setup();
    let release!: () => void;
    const slow = claims.exclusively('j1', 'result', 'w1', async () => {
      sent.push('message');
      await new Promise<void>((resolve) => (release = resolve));
      return 'm1';
    });
    await new Promise((resolve) => setImmediate(resolve));
    await expect(claims.exclusively('j1', 'result', 'w1', async () => 'm2')).rejects.toThrow(/waits for reply result/);
    release();
    await slow;
    expect(sent).toHaveLength(1);
  });
});
