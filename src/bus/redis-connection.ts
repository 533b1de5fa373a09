import { Redis, type RedisOptions } from 'ioredis';
import { SkadiError, type Logger } from '../core/index.js';

/**
 * Opens an ioredis connection for one role (publish, a subscription, pub/sub) and logs its
 * outages once each: ioredis emits `error` on every failed reconnect attempt (every ~2 s),
 * which would flood the log while Redis is down.
 */
export function openRedisConnection(url: string, role: string, logger: Logger, options: RedisOptions = {}): Redis {
  const conn = new Redis(url, {
    connectionName: role.replace(/[^A-Za-z0-9_.:-]/g, '_'),
    // ioredis's default: reconnect forever, 50 ms, 100 ms, … up to 2 s apart.
    retryStrategy: (times: number) => Math.min(times * 50, 2000),
    ...options,
  });
  let down = false;
  conn.on('error', (err: Error) => {
    if (down) return;
    down = true;
    logger.warn({ role, err: err.message }, 'redis connection failed; retrying in the background');
  });
  conn.on('ready', () => {
    if (!down) return;
    down = false;
    logger.info({ role }, 'redis connection restored');
  });
  return conn;
}

/** The error callers see while Redis is unreachable: retryable, HTTP 503. */
export function redisUnavailable(err: unknown, what: string): SkadiError {
  if (err instanceof SkadiError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new SkadiError('SKADI_UNAVAILABLE', `${what}: redis unavailable (${message})`);
}

/**
 * Resolves when the connection is ready. Fails fast instead of queueing: while ioredis waits
 * between reconnect attempts (`reconnecting`), or as soon as the attempt in progress fails,
 * so a caller such as the outbox relay backs off instead of hanging for the whole outage.
 */
export function waitUntilReady(conn: Redis, timeoutMs: number, what: string): Promise<void> {
  const status = conn.status;
  if (status === 'ready') return Promise.resolve();
  if (status === 'end' || status === 'close' || status === 'reconnecting') {
    return Promise.reject(redisUnavailable(new Error(`connection ${status}`), what));
  }
  // Many publishes may wait at once (a burst at start-up): they share one set of listeners.
  let waiting = readiness.get(conn);
  if (!waiting) {
    waiting = readyOrClosed(conn, timeoutMs).finally(() => readiness.delete(conn));
    readiness.set(conn, waiting);
  }
  return waiting.catch((err: unknown) => {
    throw redisUnavailable(err, what);
  });
}

const readiness = new WeakMap<Redis, Promise<void>>();

function readyOrClosed(conn: Redis, timeoutMs: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const done = (err: Error | null): void => {
      clearTimeout(timer);
      conn.off('ready', onReady);
      conn.off('close', onClose);
      conn.off('end', onClose);
      if (err) reject(err);
      else resolve();
    };
    const onReady = (): void => done(null);
    const onClose = (): void => done(new Error('connection closed'));
    const timer = setTimeout(() => done(new Error(`not ready within ${timeoutMs} ms`)), timeoutMs);
    conn.once('ready', onReady);
    conn.once('close', onClose);
    conn.once('end', onClose);
    if (conn.status === 'wait') conn.connect().catch(() => undefined);
  });
}

/** Ends a connection: QUIT when it is up (clean for the server), else drop it at once. */
export async function closeRedisConnection(conn: Redis, timeoutMs = 1000): Promise<void> {
  if (conn.status === 'end') return;
  if (conn.status !== 'ready') {
    conn.disconnect();
    return;
  }
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs);
  });
  await Promise.race([conn.quit().then(() => undefined, () => undefined), timeout]);
  clearTimeout(timer);
  // status changes while we await (TS narrowed it above)
  if ((conn.status as string) !== 'end') conn.disconnect();
}
