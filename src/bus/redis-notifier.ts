import type { Redis } from 'ioredis';
import { silentLogger, type Logger, type Notifier } from '../core/index.js';
import { closeRedisConnection, openRedisConnection, redisUnavailable, waitUntilReady } from './redis-connection.js';

export interface RedisNotifierOptions {
  url: string;
  /** Prepended to every channel name (pub/sub channels ignore the database number). */
  keyPrefix: string;
  /** Name of this process in CLIENT LIST (default `notifier`). */
  consumer?: string;
  /** Longest a notify may take, connecting included (default 1000 ms): wake-ups are best effort. */
  commandTimeoutMs?: number;
}

export interface RedisNotifierDeps {
  logger?: Logger;
}

type Handler = (message: string) => void;

/**
 * Wake-ups between server processes over Redis PUBLISH/SUBSCRIBE. One subscriber connection
 * carries every channel of the process; it (re)subscribes on each `ready`, so listeners come
 * back by themselves after an outage. Lossy by design: a notify while Redis is down fails
 * fast, and nothing is replayed.
 */
export function createRedisNotifier(options: RedisNotifierOptions, deps: RedisNotifierDeps = {}): Notifier {
  const logger = (deps.logger ?? silentLogger).child({ component: 'redis-notifier' });
  const timeoutMs = options.commandTimeoutMs ?? 1000;
  const name = options.consumer ?? 'notifier';
  const fast = { enableOfflineQueue: false, maxRetriesPerRequest: 1, commandTimeout: timeoutMs, connectTimeout: timeoutMs };
  // No auto-pipelining here: it defers each command by a macrotask and holds it while the previous
  // pipeline is answered, which a lone wake-up (the usual case) would pay in dispatch latency.
  const pub = openRedisConnection(options.url, `skadi:${name}:notify`, logger, fast);
  /** Per full channel name: its handlers, and the SUBSCRIBE that a listen() waits for. */
  const listeners = new Map<string, { handlers: Set<Handler>; subscribed: Promise<void> }>();
  let sub: Redis | null = null;
  let closed = false;

  const subscribeAll = (conn: Redis, channels: string[]): Promise<void> => {
    if (channels.length === 0) return Promise.resolve();
    return conn.subscribe(...channels).then(
      () => undefined,
      (err: unknown) => logger.warn({ err: err instanceof Error ? err.message : String(err) }, 'subscribe failed; will retry when Redis is back'),
    );
  };

  /**
   * Resolves once Redis confirmed the subscription, so a notify sent after listen() resolves is
   * received. If Redis is down it resolves anyway: the `ready` handler subscribes later, and
   * until then waiters fall back to their poll timeout.
   */
  const subscribeOne = async (conn: Redis, channel: string): Promise<void> => {
    if (conn.status !== 'ready') await waitUntilReady(conn, timeoutMs, 'listen').catch(() => undefined);
    if (conn.status === 'ready') await subscribeAll(conn, [channel]);
  };

  const subscriber = (): Redis => {
    if (sub) return sub;
    const conn = openRedisConnection(options.url, `skadi:${name}:listen`, logger, { ...fast, commandTimeout: undefined, autoResubscribe: false });
    // After every (re)connect the server has forgotten our channels: subscribe them all again.
    conn.on('ready', () => void subscribeAll(conn, [...listeners.keys()]));
    conn.on('message', (channel: string, message: string) => {
      for (const handler of listeners.get(channel)?.handlers ?? []) {
        try {
          handler(message);
        } catch (err) {
          logger.warn({ channel, err: err instanceof Error ? err.message : String(err) }, 'notification listener threw');
        }
      }
    });
    sub = conn;
    return conn;
  };

  return {
    async notify(channel, message) {
      if (closed) return;
      if (pub.status !== 'ready') await waitUntilReady(pub, timeoutMs, 'notify');
      try {
        await pub.publish(options.keyPrefix + channel, message);
      } catch (err) {
        throw redisUnavailable(err, 'notify');
      }
    },

    async listen(channel, handler) {
      const full = options.keyPrefix + channel;
      const conn = subscriber();
      let entry = listeners.get(full);
      if (!entry) {
        entry = { handlers: new Set(), subscribed: subscribeOne(conn, full) };
        listeners.set(full, entry);
      }
      const own: Handler = (message) => handler(message);
      entry.handlers.add(own);
      await entry.subscribed;
      return async () => {
        const current = listeners.get(full);
        if (!current?.handlers.delete(own) || current.handlers.size > 0) return;
        listeners.delete(full);
        if (conn.status === 'ready') await conn.unsubscribe(full).catch(() => undefined);
      };
    },

    async close() {
      if (closed) return;
      closed = true;
      listeners.clear();
      await Promise.all([closeRedisConnection(pub), sub ? closeRedisConnection(sub) : Promise.resolve()]);
    },
  };
}
