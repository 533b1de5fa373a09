import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { captureOutput, freePort, kill9, scratchDir, spawnTracked, terminate, waitUntil } from './processes.js';

export interface PrivateRedisOptions {
  /**
   * Append-only file, as production runs Redis when it holds streams (default true): a restart
   * then keeps the streams, their consumer groups and pending entries. Without it a restart
   * starts empty — every relayed-but-unconsumed event and every consumer group is gone.
   */
  appendOnly?: boolean;
  /** `everysec` (Redis's default with AOF) or `always`. */
  appendFsync?: 'everysec' | 'always';
}

export interface PrivateRedis {
  readonly port: number;
  readonly url: string;
  readonly running: boolean;
  start(): Promise<void>;
  /** SIGTERM: Redis flushes the AOF and exits (a planned restart). */
  stop(): Promise<void>;
  /** kill -9: whatever was not yet fsynced is lost. */
  kill9(): Promise<void>;
  /** Stops the server and deletes its directory. */
  destroy(): Promise<void>;
  /** A short-lived client for checks (XINFO, XPENDING, …). */
  withClient<T>(fn: (client: Redis) => Promise<T>): Promise<T>;
  log(): string;
}

/**
 * A private redis-server on a free loopback port with its own directory, never the machine's
 * shared server on 6379. Restartable on the same port and data.
 */
export async function startPrivateRedis(options: PrivateRedisOptions = {}): Promise<PrivateRedis> {
  const dir = scratchDir('skadi-faults-redis-');
  const port = await freePort();
  const appendOnly = options.appendOnly ?? true;
  let child: ChildProcess | null = null;
  let output: () => string = () => '';
  const logFile = join(dir.path, 'redis.log');

  const withClient = async <T>(fn: (client: Redis) => Promise<T>): Promise<T> => {
    const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, connectTimeout: 1000, retryStrategy: () => null });
    client.on('error', () => undefined);
    try {
      await client.connect();
      return await fn(client);
    } finally {
      client.disconnect();
    }
  };

  const start = async (): Promise<void> => {
    if (child && child.exitCode === null && child.signalCode === null) return;
    const args = [
      '--port', String(port),
      '--bind', '127.0.0.1',
      '--dir', dir.path,
      '--save', '',
      '--appendonly', appendOnly ? 'yes' : 'no',
      '--appendfsync', options.appendFsync ?? 'everysec',
      '--logfile', logFile,
      '--pidfile', join(dir.path, 'redis.pid'),
      '--daemonize', 'no',
    ];
    const started = spawnTracked('redis-server', args);
    child = started;
    output = captureOutput(started);
    await waitUntil(
      `Redis on port ${port}`,
      async () => {
        if (started.exitCode !== null) throw new Error(`redis-server exited with ${started.exitCode}`);
        // PING answers LOADING while the AOF is read back: wait until the data is there.
        return (await withClient((c) => c.ping())) === 'PONG';
      },
      30_000,
      50,
    );
  };

  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get running() {
      return child !== null && child.exitCode === null && child.signalCode === null;
    },
    start,
    async stop() {
      if (child) await terminate(child, 20_000);
    },
    async kill9() {
      if (child) await kill9(child);
    },
    async destroy() {
      if (child) await terminate(child, 10_000);
      dir.remove();
    },
    withClient,
    log: () => `${existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-20_000) : ''}${output()}`,
  };
}
