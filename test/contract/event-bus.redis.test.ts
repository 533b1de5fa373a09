import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { detectClaimCommand } from '../../src/bus/pending-claimer.js';
import { createRedisStreamBus, type RedisStreamBusOptions } from '../../src/bus/redis-stream-bus.js';
import { EVENTS, silentLogger, type EventBus, type Logger } from '../../src/core/index.js';
import { jobStatusPayload, recordingLogger, sleep, waitFor } from '../helpers/bus-kit.js';
import { redisUrl, uniqueName } from '../helpers/services.js';
import { eventBusContract } from './event-bus.contract.js';

const base = `${uniqueName('skadi_bus')}:`;
let admin: Redis;
let counter = 0;
const buses: EventBus[] = [];

/** A bus on this file's key space; short waits so that retries and claims happen within a test. */
function bus(overrides: Partial<RedisStreamBusOptions> = {}, logger?: Logger): EventBus {
  const created = createRedisStreamBus({ url: redisUrl(), keyPrefix: `${base}${counter}:`, consumer: 'proc-1', blockMs: 500, retryMinMs: 50, retryMaxMs: 200, ...overrides }, { logger });
  buses.push(created);
  return created;
}

beforeAll(async () => {
  // No skip when Redis is missing: the suite fails here.
  admin = new Redis(redisUrl(), { maxRetriesPerRequest: 1, retryStrategy: () => null });
  await admin.ping();
});

afterAll(async () => {
  await Promise.all(buses.map((b) => b.close()));
  if (admin?.status !== 'ready') return; // Redis was unreachable: beforeAll already failed the suite
  let cursor = '0';
  do {
    const [next, keys] = await admin.scan(cursor, 'MATCH', `${base}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await admin.del(...keys);
  } while (cursor !== '0');
  admin.disconnect();
});

eventBusContract('redis streams', async () => {
  counter++; // a fresh key prefix per test: groups and pending lists start empty
  return bus();
});

// The Redis 5 path (XPENDING + XCLAIM instead of XAUTOCLAIM), forced on this newer server.
eventBusContract('redis streams, claiming with XPENDING + XCLAIM', async () => {
  counter++;
  return bus({ claimCommand: 'XCLAIM' });
});

describe('redis stream bus', () => {
  const streamKey = (prefix: string): string => prefix + EVENTS.EventJobStatus.stream;

  it('stores the event id and JSON payload in the stream entry and acknowledges after handling', async () => {
    counter++;
    const prefix = `${base}${counter}:`;
    const b = bus();
    const got: string[] = [];
    await b.subscribe('EventJobStatus', 'acks', async (e) => void got.push(e.id));
    await b.publish('EventJobStatus', jobStatusPayload(3), 'ev-3');
    await waitFor('handled', () => got.length === 1);
    const entries = await admin.xrange(streamKey(prefix), '-', '+');
    expect(entries).toHaveLength(1);
    const fields = entries[0]![1];
    expect(fields[fields.indexOf('id') + 1]).toBe('ev-3');
    expect(JSON.parse(fields[fields.indexOf('payload') + 1]!)).toEqual(jobStatusPayload(3));
    await waitFor('acknowledged', async () => ((await admin.xpending(streamKey(prefix), 'acks')) as [number])[0] === 0);
  });

  it('shares a group between two processes (consumer names): each event once', async () => {
    counter++;
    const one = bus({ consumer: 'proc-a' });
    const two = bus({ consumer: 'proc-b' });
    const seen: string[] = [];
    await one.subscribe('EventJobStatus', 'router', async (e) => void seen.push(e.id));
    await two.subscribe('EventJobStatus', 'router', async (e) => void seen.push(e.id));
    const expected = Array.from({ length: 40 }, (_, i) => `e${i}`);
    await Promise.all(expected.map((id, i) => one.publish('EventJobStatus', jobStatusPayload(i), id)));
    await waitFor('all handled', () => seen.length >= 40);
    await sleep(100);
    expect([...seen].sort()).toEqual([...expected].sort());
  });

  it('resumes a consumer restarted with the same name: it handles what it had taken but not acknowledged', async () => {
    counter++;
    const first = bus({ consumer: 'web-1', retryMinMs: 5000, retryMaxMs: 5000 });
    let attempts = 0;
    await first.subscribe('EventJobStatus', 'router', async () => {
      attempts++;
      throw new Error('crash before ack');
    });
    await first.publish('EventJobStatus', jobStatusPayload(1), 'taken');
    await waitFor('first consumer took the event', () => attempts === 1);
    await first.close(); // stops without acknowledging: the entry stays in web-1's pending list

    const restarted = bus({ consumer: 'web-1' });
    const got: string[] = [];
    await restarted.subscribe('EventJobStatus', 'router', async (e) => void got.push(e.id));
    await waitFor('restarted consumer handled the pending event', () => got.includes('taken'));
    await restarted.publish('EventJobStatus', jobStatusPayload(2), 'after');
    await waitFor('and then new ones', () => got.includes('after'));
    expect(got).toEqual(['taken', 'after']);
  });

  it.each(['detect', 'XCLAIM'] as const)('takes over events a dead consumer left pending after claimIdleMs (claimCommand: %s)', async (claimCommand) => {
    counter++;
    const prefix = `${base}${counter}:`;
    const key = streamKey(prefix);
    const publisher = bus({ consumer: 'publisher', claimCommand });
    await admin.xgroup('CREATE', key, 'router', '$', 'MKSTREAM');
    await publisher.publish('EventJobStatus', jobStatusPayload(1), 'orphan');
    // A consumer that read the entry and died.
    const read = await admin.xreadgroup('GROUP', 'router', 'dead-proc', 'COUNT', 10, 'STREAMS', key, '>');
    expect(read).not.toBeNull();

    const lines = recordingLogger();
    const survivor = bus({ consumer: 'alive', claimIdleMs: 200, blockMs: 100, claimCommand }, lines);
    const got: string[] = [];
    const started = Date.now();
    await survivor.subscribe('EventJobStatus', 'router', async (e) => void got.push(e.id));
    await waitFor('survivor took over the orphan', () => got.includes('orphan'), 5000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(150); // not before it was idle long enough
    await waitFor('nothing left pending', async () => ((await admin.xpending(key, 'router')) as [number])[0] === 0);
    // `detect` chose XAUTOCLAIM on this server (>= 6.2); the forced fallback really used XCLAIM.
    const took = lines.lines.find((l) => l.msg === 'took over idle pending events');
    expect(took?.obj).toMatchObject({ claimed: 1, command: claimCommand === 'detect' ? 'XAUTOCLAIM' : 'XCLAIM' });
  });

  it('XPENDING + XCLAIM: pages through the pending list, takes only idle entries, and two survivors handle each orphan once', async () => {
    counter++;
    const prefix = `${base}${counter}:`;
    const key = streamKey(prefix);
    const publisher = bus({ consumer: 'publisher' });
    await admin.xgroup('CREATE', key, 'router', '$', 'MKSTREAM');
    const orphans = Array.from({ length: 7 }, (_, i) => `orphan-${i}`);
    for (const [i, id] of orphans.entries()) await publisher.publish('EventJobStatus', jobStatusPayload(i), id);
    // Two consumers read the entries and died.
    await admin.xreadgroup('GROUP', 'router', 'dead-a', 'COUNT', 4, 'STREAMS', key, '>');
    await admin.xreadgroup('GROUP', 'router', 'dead-b', 'COUNT', 10, 'STREAMS', key, '>');
    await sleep(1100);
    // A live consumer just read these: not idle, so nobody may take them.
    await publisher.publish('EventJobStatus', jobStatusPayload(100), 'busy-0');
    await publisher.publish('EventJobStatus', jobStatusPayload(101), 'busy-1');
    await admin.xreadgroup('GROUP', 'router', 'live', 'COUNT', 10, 'STREAMS', key, '>');

    const got: string[] = [];
    // batch 2: the nine pending entries take five XPENDING pages.
    const options = { claimIdleMs: 1000, blockMs: 100, batch: 2, claimCommand: 'XCLAIM' } as const;
    for (const consumer of ['alive-1', 'alive-2']) await bus({ ...options, consumer }).subscribe('EventJobStatus', 'router', async (e) => void got.push(e.id));
    await waitFor('survivors took over every orphan', () => orphans.every((id) => got.includes(id)), 5000);
    const live = (await admin.xpending(key, 'router', '-', '+', 10, 'live')) as unknown[];
    expect(live).toHaveLength(2);
    await sleep(300);
    expect([...got].sort()).toEqual([...orphans].sort());
  });

  it('detects XAUTOCLAIM on this server', async () => {
    const version = /redis_version:(\d+)\.(\d+)/.exec(await admin.info('server'))!;
    const expected = Number(version[1]) > 6 || (Number(version[1]) === 6 && Number(version[2]) >= 2) ? 'XAUTOCLAIM' : 'XCLAIM';
    expect(await detectClaimCommand(admin, silentLogger)).toBe(expected);
  });

  it('recreates its group when the stream vanished (Redis restarted without persistence)', async () => {
    counter++;
    const prefix = `${base}${counter}:`;
    const b = bus({ blockMs: 100 });
    const got: string[] = [];
    await b.subscribe('EventJobStatus', 'router', async (e) => void got.push(e.id));
    await admin.del(streamKey(prefix));
    await sleep(150);
    await b.publish('EventJobStatus', jobStatusPayload(1), 'after-loss');
    await waitFor('event after the loss handled', () => got.includes('after-loss'), 5000);
  });

  it('trims the stream to about maxLen', async () => {
    counter++;
    const prefix = `${base}${counter}:`;
    const b = bus({ maxLen: 100 });
    await Promise.all(Array.from({ length: 1000 }, (_, i) => b.publish('EventJobStatus', jobStatusPayload(i), `t${i}`)));
    expect(await admin.xlen(streamKey(prefix))).toBeLessThan(400);
  });

  it('fails fast while Redis is unreachable: publish, ping and subscribe reject within a second', async () => {
    const down = createRedisStreamBus({ url: 'redis://127.0.0.1:1', keyPrefix: `${base}down:`, consumer: 'x' });
    try {
      for (const attempt of [() => down.publish('EventJobStatus', jobStatusPayload(1), 'lost'), () => down.ping(), () => down.subscribe('EventJobStatus', 'g', async () => undefined)]) {
        const started = Date.now();
        await expect(attempt()).rejects.toMatchObject({ code: 'SKADI_UNAVAILABLE' });
        expect(Date.now() - started).toBeLessThan(1000);
      }
      // Also later, between reconnect attempts.
      await sleep(200);
      const started = Date.now();
      await expect(down.publish('EventJobStatus', jobStatusPayload(2), 'lost-2')).rejects.toMatchObject({ code: 'SKADI_UNAVAILABLE' });
      expect(Date.now() - started).toBeLessThan(1000);
    } finally {
      await down.close();
    }
  });
});
