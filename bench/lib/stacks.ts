import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import { Redis } from 'ioredis';
import { onCleanup } from './cleanup.js';

export type StackId = 'sqlite' | 'mariadb';

export const STACK_LABELS: Record<StackId, string> = {
  sqlite: 'SQLite + in-process bus',
  mariadb: 'MariaDB + Redis',
};

/** Where one stack's server keeps its state for this run; dispose() removes all of it. */
export interface PreparedStack {
  id: StackId;
  label: string;
  databaseUrl: string;
  redisUrl: string | null;
  /** Unique per run, so nothing collides with another run or a test suite on the same Redis. */
  keyPrefix: string;
  dataDir: string;
  dispose(): Promise<void>;
}

export interface StackEndpoints {
  /** Server where a fresh database is created for the run (its database part is ignored). */
  mysqlUrl: string;
  redisUrl: string;
  /** SQLite durability (`?synchronous=` of the URL); the server's default (full) when absent. */
  sqliteSynchronous?: 'full' | 'normal';
}

const runId = () => `${process.pid}_${randomBytes(3).toString('hex')}`;

export async function prepareStack(id: StackId, endpoints: StackEndpoints): Promise<PreparedStack> {
  const dataDir = await mkdtemp(join(tmpdir(), `skadi-bench-${id}-`));
  const removeDir = onCleanup(`remove ${dataDir}`, () => rm(dataDir, { recursive: true, force: true }));
  const name = `skadi_bench_${runId()}`;
  const keyPrefix = `${name}:`;
  if (id === 'sqlite') {
    const sync = endpoints.sqliteSynchronous ? `?synchronous=${endpoints.sqliteSynchronous}` : '';
    return { id, label: STACK_LABELS[id], databaseUrl: `sqlite:${join(dataDir, 'bench.db')}${sync}`, redisUrl: null, keyPrefix, dataDir, dispose: removeDir };
  }

  const server = new URL(endpoints.mysqlUrl);
  const admin = { host: server.hostname || '127.0.0.1', port: Number(server.port || 3306), user: decodeURIComponent(server.username) || 'root', password: decodeURIComponent(server.password) };
  const conn = await mysql.createConnection({ ...admin, connectTimeout: 5000 });
  try {
    // Without the charset MariaDB may create it latin1 (RECIPES.md).
    await conn.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  } finally {
    await conn.end();
  }
  const dropDatabase = onCleanup(`drop database ${name}`, async () => {
    const c = await mysql.createConnection({ ...admin, connectTimeout: 5000 });
    try {
      await c.query(`DROP DATABASE IF EXISTS \`${name}\``);
    } finally {
      await c.end();
    }
  });
  const deleteKeys = onCleanup(`delete redis keys ${keyPrefix}*`, async () => void (await deleteRedisKeys(endpoints.redisUrl, keyPrefix)));
  const url = new URL(endpoints.mysqlUrl);
  url.pathname = `/${name}`;
  return {
    id,
    label: STACK_LABELS[id],
    databaseUrl: url.toString(),
    redisUrl: endpoints.redisUrl,
    keyPrefix,
    dataDir,
    async dispose() {
      await deleteKeys();
      await dropDatabase();
      await removeDir();
    },
  };
}

/** Deletes every key under the prefix (streams and their consumer groups). */
export async function deleteRedisKeys(redisUrl: string, prefix: string): Promise<number> {
  const redis = new Redis(redisUrl, { maxRetriesPerRequest: 1, connectTimeout: 5000, lazyConnect: true });
  try {
    await redis.connect();
    let cursor = '0';
    let deleted = 0;
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) deleted += await redis.del(...keys);
    } while (cursor !== '0');
    return deleted;
  } finally {
    redis.disconnect();
  }
}
