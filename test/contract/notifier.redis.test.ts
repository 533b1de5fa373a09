import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisNotifier } from '../../src/bus/redis-notifier.js';
import type { Notifier } from '../../src/core/index.js';
import { sleep, waitFor } from '../helpers/bus-kit.js';
import { redisUrl, uniqueName } from '../helpers/services.js';
import { notifierContract } from './notifier.contract.js';

// Pub/sub leaves no keys behind; the prefix keeps this file's channels apart from other runs.
const prefix = `${uniqueName('skadi_notify')}:`;
const open: Notifier[] = [];

function notifier(keyPrefix = prefix): Notifier {
  const created = createRedisNotifier({ url: redisUrl(), keyPrefix });
  open.push(created);
  return created;
}

beforeAll(async () => {
  // No skip when Redis is missing: the suite fails here.
  const admin = new Redis(redisUrl(), { maxRetriesPerRequest: 1, retryStrategy: () => null });
  try {
    await admin.ping();
  } finally {
    admin.disconnect();
  }
});

afterAll(async () => {
  await Promise.all(open.map((n) => n.close()));
});

notifierContract('redis pub/sub', async () => notifier());

describe('redis notifier', () => {
  it('wakes another process (another connection) listening on the same prefix, and nobody on another prefix', async () => {
    const sender = notifier();
    const receiver = notifier();
    const stranger = notifier(`${prefix}other:`);
    const got: string[] = [];
    const strangerGot: string[] = [];
    await receiver.listen('agent:web-1', (m) => got.push(m));
    await stranger.listen('agent:web-1', (m) => strangerGot.push(m));
    await sender.notify('agent:web-1', 'job-queued');
    await waitFor('receiver woken', () => got.length === 1, 2000, 1);
    await sleep(30);
    expect(got).toEqual(['job-queued']);
    expect(strangerGot).toEqual([]);
  });

  it('shares one subscriber connection between all listeners', async () => {
    const consumer = uniqueName('proc');
    const n = createRedisNotifier({ url: redisUrl(), keyPrefix: prefix, consumer });
    open.push(n);
    const unlistens = await Promise.all(Array.from({ length: 5 }, (_, i) => n.listen(`c${i}`, () => undefined)));
    const admin = new Redis(redisUrl());
    try {
      const clients = String(await admin.client('LIST')).split('\n').filter((line) => line.includes(` name=skadi:${consumer}:listen `));
      expect(clients).toHaveLength(1);
      expect(clients[0]).toContain(' sub=5 ');
    } finally {
      admin.disconnect();
      await Promise.all(unlistens.map((u) => u()));
    }
  });

  it('fails fast while Redis is unreachable: notify rejects and listen resolves within a second', async () => {
    const down = createRedisNotifier({ url: 'redis://127.0.0.1:1', keyPrefix: prefix });
    try {
      let started = Date.now();
      await expect(down.notify('x', 'y')).rejects.toMatchObject({ code: 'SKADI_UNAVAILABLE' });
      expect(Date.now() - started).toBeLessThan(1000);
      started = Date.now();
      const unlisten = await down.listen('x', () => undefined);
      expect(Date.now() - started).toBeLessThan(1500);
      await unlisten();
    } finally {
      await down.close();
    }
  });
});
