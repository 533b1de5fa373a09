import { createConnection, type RowDataPacket } from 'mysql2/promise';
import { Redis } from 'ioredis';
import { mysqlUrl, redisUrl, uniqueName } from './services.js';

/** A private MariaDB database for one test file: created utf8mb4, dropped afterwards. */
export interface TestDatabase {
  name: string;
  /** `mysql://…/<name>`, for SKADI_DATABASE_URL. */
  url: string;
  /** Runs one statement on a short-lived connection (tests read what the server wrote). */
  query<T extends RowDataPacket>(sql: string, params?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

function connectionOptions(base: URL) {
  return { host: base.hostname, port: Number(base.port || 3306), user: decodeURIComponent(base.username), password: decodeURIComponent(base.password) };
}

export async function createTestDatabase(prefix: string): Promise<TestDatabase> {
  const base = new URL(mysqlUrl());
  const name = uniqueName(prefix);
  const admin = await createConnection(connectionOptions(base));
  try {
    // Without the charset MariaDB may create it latin1 (RECIPES.md).
    await admin.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  } finally {
    await admin.end();
  }
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    name,
    url: url.toString(),
    async query<T extends RowDataPacket>(sql: string, params: unknown[] = []) {
      const conn = await createConnection({ ...connectionOptions(base), database: name, supportBigNumbers: true, bigNumberStrings: true });
      try {
        const [rows] = await conn.query<T[]>(sql, params);
        return rows;
      } finally {
        await conn.end();
      }
    },
    async drop() {
      const conn = await createConnection(connectionOptions(base));
      try {
        await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
      } finally {
        await conn.end();
      }
    },
  };
}

/** A Redis key prefix of one test file, and the way to remove what was written under it. */
export interface TestRedis {
  url: string;
  /** For SKADI_REDIS_KEY_PREFIX; ends with `:`. */
  prefix: string;
  client: Redis;
  /** Deletes every key under the prefix (streams with their consumer groups) and disconnects. */
  cleanup(): Promise<void>;
}

export function createTestRedis(prefix: string): TestRedis {
  const url = redisUrl();
  const keyPrefix = `${uniqueName(prefix)}:`;
  const client = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 2 });
  return {
    url,
    prefix: keyPrefix,
    client,
    async cleanup() {
      try {
        let cursor = '0';
        do {
          const [next, keys] = await client.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 500);
          cursor = next;
          if (keys.length) await client.del(...keys);
        } while (cursor !== '0');
      } finally {
        client.disconnect();
      }
    },
  };
}

/** One entry of a Redis stream as Skadi writes it: fields `id` and `payload` (JSON). */
export interface StreamEntry<P> {
  streamId: string;
  id: string;
  payload: P;
}

/** Reads a whole stream (`XRANGE key - +`) and parses the payloads. */
export async function readStream<P>(client: Redis, key: string): Promise<Array<StreamEntry<P>>> {
  const entries = await client.xrange(key, '-', '+');
  return entries.map(([streamId, fields]) => {
    const map = new Map<string, string>();
    for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i]!, fields[i + 1]!);
    return { streamId, id: map.get('id') ?? '', payload: JSON.parse(map.get('payload') ?? 'null') as P };
  });
}
