import { describe, expect, it } from 'vitest';
import { randomId } from '../../src/core/index.js';
import type { EventMessagePayload, Stores } from '../../src/core/index.js';
import { at, drainOutbox, FAR_FUTURE, T0, uid, type StoresContext } from './stores-fixtures.js';

const MESSAGE: EventMessagePayload = {
  message: {
    id: 'Ev01ABC',
    platform: 'slack',
    thread: { platform: 'slack', conversationId: 'C1', threadId: '1.2' },
    sender: { id: 'U2', identity: 'slack:T1/U2', displayName: 'Ålice', isBot: false },
    text: 'web-1 uptime 🙂',
    mentionsBot: true,
    receivedAt: T0.toISOString(),
  },
  jobId: null,
  command: 'help',
};

/** OutboxStore, ReplyStore and KeyValueStore. */
export function messagingContract(ctx: StoresContext): void {
  const outbox = () => ctx.stores().outbox;
  const replies = () => ctx.stores().replies;
  const kv = () => ctx.stores().kv;

  async function withOther<T>(fn: (other: Stores) => Promise<T>): Promise<T> {
    const other = await ctx.open();
    try {
      return await fn(other);
    } finally {
      await other.close();
    }
  }

  describe('OutboxStore', () => {
    it('claims unrelayed events whose claim expired, oldest first, for a while; relayed ones never again', async () => {
      await drainOutbox(ctx.stores());
      const a = await outbox().add('EventMessage', MESSAGE, uid('msg'), at(2), at(10));
      const b = await outbox().add('EventMessage', { ...MESSAGE, jobId: 'j1' }, uid('msg'), at(1), at(10));
      expect(a).toEqual({ id: a.id, name: 'EventMessage', payload: MESSAGE, createdAt: at(2) });
      expect(await outbox().countUnrelayed()).toBe(2);
      expect(await outbox().claimUnrelayed(at(10), at(100), 10)).toEqual([]); // claim_until must be passed
      const first = await outbox().claimUnrelayed(at(11), at(100), 1);
      expect(first).toEqual([b]);
      expect(await outbox().claimUnrelayed(at(11), at(100), 10)).toEqual([a]);
      expect(await outbox().claimUnrelayed(at(50), at(200), 10)).toEqual([]); // both held until 100
      expect(await outbox().claimUnrelayed(at(101), at(200), 10)).toEqual([b, a]); // claims expired
      await outbox().markRelayed([a.id], at(300));
      expect(await outbox().countUnrelayed()).toBe(1);
      expect(await outbox().claimUnrelayed(FAR_FUTURE, FAR_FUTURE, 10)).toEqual([b]);
      await outbox().markRelayed([b.id], at(400));
      await outbox().markRelayed([], at(400));
      expect(await outbox().countUnrelayed()).toBe(0);
      const pending = await outbox().add('EventMessage', MESSAGE, uid('msg'), at(0), FAR_FUTURE);
      expect(await outbox().prune(at(1))).toBe(0); // b was created at 1: not before 1
      expect(await outbox().prune(at(2))).toBe(1); // b
      expect(await outbox().prune(FAR_FUTURE)).toBe(1); // a; never the unrelayed one
      expect(await outbox().countUnrelayed()).toBe(1);
      await outbox().markRelayed([pending.id], at(500));
    });

    it('treats adding the same event id twice as one event', async () => {
      await drainOutbox(ctx.stores());
      const id = uid('msg');
      await outbox().add('EventMessage', MESSAGE, id, at(1), at(1));
      await outbox().add('EventMessage', MESSAGE, id, at(2), at(2));
      expect(await outbox().countUnrelayed()).toBe(1);
    });

    it('never lets two relayers on two connections claim the same event', async () => {
      await drainOutbox(ctx.stores());
      const ids: string[] = [];
      for (let i = 0; i < 40; i++) ids.push((await outbox().add('EventMessage', MESSAGE, `race-${randomId(10)}`, at(i), at(0))).id);
      await withOther(async (other) => {
        const relayer = async (stores: Stores) => {
          const got: string[] = [];
          for (;;) {
            const events = await stores.outbox.claimUnrelayed(at(1), FAR_FUTURE, 7);
            if (events.length === 0) return got;
            got.push(...events.map((e) => e.id));
          }
        };
        const [x, y, z] = await Promise.all([relayer(ctx.stores()), relayer(other), relayer(other)]);
        const all = [...x!, ...y!, ...z!];
        expect(new Set(all).size).toBe(all.length);
        expect([...all].sort()).toEqual([...ids].sort());
      });
    });
  });

  describe('ReplyStore', () => {
    it('claims once, refuses while held, hands an expired claim over, and never re-sends', async () => {
      const job = randomId(12);
      expect(await replies().claim(job, 'result', 'p1', at(0), at(100))).toBe(true);
      expect(await replies().get(job, 'result')).toEqual({ jobId: job, key: 'result', state: 'claimed', owner: 'p1', claimedUntil: at(100), messageId: null, sentAt: null });
      expect(await replies().claim(job, 'result', 'p2', at(50), at(150))).toBe(false); // held by p1
      expect(await replies().claim(job, 'result', 'p1', at(50), at(150))).toBe(false); // held, even for p1
      expect(await replies().claim(job, 'result', 'p2', at(100), at(150))).toBe(false); // until is inclusive
      expect(await replies().claim(job, 'result', 'p2', at(101), at(200))).toBe(true); // expired: taken over
      expect((await replies().get(job, 'result'))!.owner).toBe('p2');
      await replies().markSent(job, 'result', 'p2', '1700000000.000200', at(120));
      expect(await replies().get(job, 'result')).toMatchObject({ state: 'sent', owner: 'p2', messageId: '1700000000.000200', sentAt: at(120) });
      expect(await replies().claim(job, 'result', 'p3', FAR_FUTURE, FAR_FUTURE)).toBe(false); // sent is final
      expect(await replies().get(uid('job'), 'result')).toBeNull();
    });

    it('gives a claim back on release (by its owner only) so it can be retried', async () => {
      const job = randomId(12);
      expect(await replies().claim(job, 'queued', 'p1', at(0), at(100))).toBe(true);
      await replies().release(job, 'queued', 'p2'); // not p2's
      expect(await replies().claim(job, 'queued', 'p2', at(1), at(100))).toBe(false);
      await replies().release(job, 'queued', 'p1');
      expect(await replies().claim(job, 'queued', 'p2', at(1), at(100))).toBe(true);
      expect(await replies().claim(job, 'running', 'p2', at(1), at(100))).toBe(true);
      await replies().markSent(job, 'running', 'p2', null, at(2));
      expect((await replies().list(job)).map((r) => [r.key, r.state])).toEqual([
        ['queued', 'claimed'],
        ['running', 'sent'],
      ]);
      expect(await replies().list(uid('job'))).toEqual([]);
    });

    it('frees the unsent claims of an earlier run of a process, and nothing else', async () => {
      const job = randomId(12);
      const node = uid('node');
      expect(await replies().claim(job, 'queued', `${node}/run1`, at(0), FAR_FUTURE)).toBe(true);
      expect(await replies().claim(job, 'result', `${node}/run1`, at(0), FAR_FUTURE)).toBe(true);
      expect(await replies().claim(job, 'running', `${node}/run1`, at(0), FAR_FUTURE)).toBe(true);
      await replies().markSent(job, 'running', `${node}/run1`, 'm1', at(1));
      expect(await replies().claim(job, 'result#1', `${node}/run2`, at(0), FAR_FUTURE)).toBe(true);
      expect(await replies().claim(job, 'result#2', `${node}x/run1`, at(0), FAR_FUTURE)).toBe(true);

      expect(await replies().releaseAbandoned(`${node}/`, `${node}/run2`)).toBe(2);
      expect((await replies().list(job)).map((r) => [r.key, r.state, r.owner])).toEqual([
        ['result#1', 'claimed', `${node}/run2`],
        ['result#2', 'claimed', `${node}x/run1`],
        ['running', 'sent', `${node}/run1`],
      ]);
      expect(await replies().claim(job, 'result', `${node}/run2`, at(2), FAR_FUTURE)).toBe(true);
    });

    it('lets exactly one of several processes claim a reply', async () => {
      const job = randomId(12);
      await withOther(async (other) => {
        const results = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? other : ctx.stores()).replies.claim(job, 'result', `p${i}`, at(0), at(100))));
        expect(results.filter(Boolean)).toHaveLength(1);
      });
    });
  });

  describe('KeyValueStore', () => {
    it('sets, gets and overwrites JSON values', async () => {
      const key = uid('email:uid');
      expect(await kv().get(key)).toBeNull();
      await kv().set(key, { uidValidity: 7, last: 1234, names: ['a', 'é'] });
      expect(await kv().get(key)).toEqual({ uidValidity: 7, last: 1234, names: ['a', 'é'] });
      await kv().set(key, 42);
      expect(await kv().get<number>(key)).toBe(42);
      await kv().set(key, 'text');
      expect(await kv().get<string>(key)).toBe('text');
    });

    it('sets with an expiry, replacing the entry and its expiry (a lease turned into a long-lived record)', async () => {
      const key = uid('lease');
      expect(await kv().setIfAbsent(key, { state: 'handling' }, new Date(Date.now() + 10_000))).toBe(true);
      await kv().set(key, { state: 'done' }, new Date(Date.now() + 3_600_000));
      expect(await kv().get(key)).toEqual({ state: 'done' });
      expect(await kv().setIfAbsent(key, { state: 'handling' }, new Date(Date.now() + 10_000))).toBe(false);
      await kv().set(key, 'gone', new Date(Date.now() - 1_000));
      expect(await kv().get(key)).toBeNull();
      expect(await kv().setIfAbsent(key, 'again', null)).toBe(true);
    });

    it('inserts only if absent, treating an expired entry as absent', async () => {
      const key = uid('dedupe');
      const future = new Date(Date.now() + 3_600_000);
      expect(await kv().setIfAbsent(key, 1, future)).toBe(true);
      expect(await kv().setIfAbsent(key, 2, future)).toBe(false);
      expect(await kv().get(key)).toBe(1);
      const stale = uid('dedupe');
      expect(await kv().setIfAbsent(stale, 'old', new Date(Date.now() - 1_000))).toBe(true);
      expect(await kv().get(stale)).toBeNull(); // expired reads as absent
      expect(await kv().setIfAbsent(stale, 'new', future)).toBe(true);
      expect(await kv().get(stale)).toBe('new');
      const forever = uid('dedupe');
      expect(await kv().setIfAbsent(forever, true, null)).toBe(true);
      expect(await kv().setIfAbsent(forever, false, null)).toBe(false);
    });

    it('keeps keys that differ only in case or trailing spaces apart', async () => {
      const base = uid('slack:Ev');
      const future = new Date(Date.now() + 3_600_000);
      expect(await kv().setIfAbsent(`${base}A`, 1, future)).toBe(true);
      expect(await kv().setIfAbsent(`${base}a`, 2, future)).toBe(true);
      expect(await kv().setIfAbsent(`${base}a `, 3, future)).toBe(true);
      expect(await kv().get(`${base}A`)).toBe(1);
      expect(await kv().get(`${base}a`)).toBe(2);
    });

    it('takes keys longer than its column (long e-mail Message-IDs) and keeps them apart', async () => {
      const base = `inbound:email:<${'x'.repeat(400)}@mail.example>`;
      expect(await kv().setIfAbsent(`${base}1`, 1, null)).toBe(true);
      expect(await kv().setIfAbsent(`${base}2`, 2, null)).toBe(true);
      expect(await kv().setIfAbsent(`${base}1`, 3, null)).toBe(false);
      expect(await kv().get(`${base}2`)).toBe(2);
      await kv().set(`${base}2`, 'two');
      expect(await kv().get(`${base}2`)).toBe('two');
    });

    it('prunes expired entries only', async () => {
      const now = Date.now();
      const gone = uid('p');
      const kept = uid('p');
      await kv().setIfAbsent(gone, 1, new Date(now - 10_000));
      await kv().setIfAbsent(kept, 1, new Date(now + 3_600_000));
      expect(await kv().prune(new Date(now))).toBeGreaterThanOrEqual(1);
      expect(await kv().get(kept)).toBe(1);
      expect(await kv().setIfAbsent(gone, 2, null)).toBe(true);
    });

    it('lets exactly one of several processes insert a key', async () => {
      const key = uid('once');
      await withOther(async (other) => {
        const results = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? other : ctx.stores()).kv.setIfAbsent(key, i, null)));
        expect(results.filter(Boolean)).toHaveLength(1);
      });
    });
  });
}
