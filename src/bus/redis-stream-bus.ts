import { EVENTS, silentLogger, SkadiError, type BusEvent, type EventBus, type EventHandler, type EventName, type Logger, type Subscription } from '../core/index.js';
import type { Redis } from 'ioredis';
import { detectClaimCommand, type ClaimCommand } from './pending-claimer.js';
import { closeRedisConnection, openRedisConnection, redisUnavailable, waitUntilReady } from './redis-connection.js';
import { startStreamConsumer } from './stream-consumer.js';

export interface RedisStreamBusOptions {
  url: string;
  /** Prepended to every stream key (`<prefix>skadi.job-status`); one per deployment or test. */
  keyPrefix: string;
  /**
   * This process's name in every consumer group. Keep it stable across restarts (host name,
   * pod name): a restarted consumer re-reads the events it had taken but not acknowledged.
   */
  consumer: string;
  /** How long one XREADGROUP waits for new events (default 5000 ms). */
  blockMs?: number;
  /** Pending events idle this long are taken from their (presumed dead) consumer (default 30 s). */
  claimIdleMs?: number;
  /**
   * How they are taken: `detect` (default) asks the server its version once, then uses XAUTOCLAIM
   * from Redis 6.2 and XPENDING + XCLAIM before. Naming a command forces it (tests of the
   * Redis 5 path on a newer server).
   */
  claimCommand?: 'detect' | ClaimCommand;
  /** Approximate stream length kept (XADD MAXLEN ~, default 100 000). */
  maxLen?: number;
  /** Entries read per XREADGROUP (default 50). */
  batch?: number;
  /** First and longest wait before a failed handler sees its event again (defaults 200 ms, 10 s). */
  retryMinMs?: number;
  retryMaxMs?: number;
  /** How long close() lets a running handler finish and acknowledge (default 5000 ms). */
  closeGraceMs?: number;
  /** Longest a publish or ping may take before it fails, connecting included (default 2000 ms). */
  commandTimeoutMs?: number;
}

export interface RedisStreamBusDeps {
  logger?: Logger;
}

/**
 * Event bus on Redis Streams (Redis >= 5): one stream per event name, one
 * consumer group per subscriber role, acknowledged after the handler resolves. Publish fails
 * fast while Redis is down (the outbox keeps the event); subscriptions wait and resume.
 */
export function createRedisStreamBus(options: RedisStreamBusOptions, deps: RedisStreamBusDeps = {}): EventBus {
  const logger = (deps.logger ?? silentLogger).child({ component: 'redis-stream-bus' });
  const blockMs = options.blockMs ?? 5000;
  const claimIdleMs = options.claimIdleMs ?? 30_000;
  const maxLen = options.maxLen ?? 100_000;
  const commandTimeoutMs = options.commandTimeoutMs ?? 2000;
  const streamKey = (name: EventName): string => options.keyPrefix + EVENTS[name].stream;

  // Shared by every publish: no offline queue and few retries, so that while Redis is down a
  // publish rejects within milliseconds and the outbox relay backs off instead of piling up.
  const pub = openRedisConnection(options.url, `skadi:${options.consumer}:publish`, logger, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    commandTimeout: commandTimeoutMs,
    connectTimeout: commandTimeoutMs,
    // The relay publishes the events of many jobs in one tick (and the consumers' CLIENT UNBLOCK
    // is rare): commands issued in one tick leave in one write, in the order they were issued.
    enableAutoPipelining: true,
  });
  const subscriptions = new Set<Subscription>();
  // Consumer names taken per (stream, group) in this process: a second subscription to the same
  // group gets its own name, so it never re-reads the first one's pending entries as its own.
  const taken = new Map<string, Set<number>>();
  let closed = false;

  // The server's version is asked once per bus, by the first subscription to connect.
  let detected: Promise<ClaimCommand> | null = null;
  const claimCommand = (conn: Redis): Promise<ClaimCommand> => {
    if (options.claimCommand !== undefined && options.claimCommand !== 'detect') return Promise.resolve(options.claimCommand);
    if (!detected) {
      const attempt = detectClaimCommand(conn, logger);
      detected = attempt;
      attempt.catch(() => {
        if (detected === attempt) detected = null; // Redis went away: the next subscription asks again
      });
    }
    return detected;
  };

  const ensureOpen = (what: string): void => {
    if (closed) throw new SkadiError('SKADI_UNAVAILABLE', `${what}: event bus is closed`);
  };

  return {
    async publish(name, payload, id) {
      ensureOpen('publish');
      const key = streamKey(name);
      const body = JSON.stringify(payload);
      // XADD is sent synchronously when the connection is up, so calls made in order reach the
      // stream in order even when the caller does not await each one.
      if (pub.status !== 'ready') await waitUntilReady(pub, commandTimeoutMs, `publish ${name}`);
      try {
        await pub.xadd(key, 'MAXLEN', '~', maxLen, '*', 'id', id, 'payload', body);
      } catch (err) {
        throw redisUnavailable(err, `publish ${name}`);
      }
    },

    async subscribe<N extends EventName>(name: N, group: string, handler: EventHandler<N>): Promise<Subscription> {
      ensureOpen('subscribe');
      const key = streamKey(name);
      const slotKey = `${key}\u0000${group}`;
      const slots = taken.get(slotKey) ?? new Set<number>();
      taken.set(slotKey, slots);
      let slot = 0;
      while (slots.has(slot)) slot++;
      slots.add(slot);
      const consumer = slot === 0 ? options.consumer : `${options.consumer}~${slot}`;
      let inner: Subscription;
      try {
        inner = await startStreamConsumer(
          {
            url: options.url,
            key,
            name,
            group,
            consumer,
            blockMs,
            claimIdleMs,
            batch: options.batch ?? 50,
            retryMinMs: options.retryMinMs ?? 200,
            retryMaxMs: options.retryMaxMs ?? 10_000,
            readyTimeoutMs: commandTimeoutMs,
            closeGraceMs: options.closeGraceMs ?? 5000,
          },
          handler as unknown as (event: BusEvent) => Promise<void>,
          { control: pub, claimCommand, logger },
        );
      } catch (err) {
        slots.delete(slot);
        throw err;
      }
      if (closed) {
        await inner.close();
        throw new SkadiError('SKADI_UNAVAILABLE', 'subscribe: event bus is closed');
      }
      const subscription: Subscription = {
        async close() {
          if (!subscriptions.delete(subscription)) return;
          await inner.close();
          slots.delete(slot);
        },
      };
      subscriptions.add(subscription);
      return subscription;
    },

    async ping() {
      ensureOpen('ping');
      if (pub.status !== 'ready') await waitUntilReady(pub, commandTimeoutMs, 'ping');
      try {
        await pub.ping();
      } catch (err) {
        throw redisUnavailable(err, 'ping');
      }
    },

    async close() {
      if (closed) return;
      closed = true;
      await Promise.all([...subscriptions].map((s) => s.close()));
      await closeRedisConnection(pub);
    },
  };
}
