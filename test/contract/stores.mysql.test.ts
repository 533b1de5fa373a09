import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTypeormStores } from '../../src/store/create-typeorm-stores.js';
import { mysqlUrl, uniqueName } from '../helpers/services.js';
import { storesContract } from './stores.contract.js';
import { schemaContract } from './stores-schema.contract.js';

// MariaDB is always there (test/helpers/services.ts): when it is not, these tests fail, never skip.
const server = new URL(mysqlUrl());

function urlFor(database: string): string {
  const url = new URL(server);
  url.pathname = `/${database}`;
  return url.toString();
}

async function admin<T>(fn: (c: mysql.Connection) => Promise<T>): Promise<T> {
  const connection = await mysql.createConnection({
    host: server.hostname,
    port: Number(server.port || 3306),
    user: decodeURIComponent(server.username) || 'root',
    password: decodeURIComponent(server.password),
  });
  try {
    return await fn(connection);
  } finally {
    await connection.end();
  }
}

async function createDatabase(name: string): Promise<void> {
  await admin((c) => c.query(`CREATE DATABASE \`${name}\` CHARACTER SET utf8mb4`));
}

async function dropDatabase(name: string): Promise<void> {
  await admin((c) => c.query(`DROP DATABASE IF EXISTS \`${name}\``));
}

const database = uniqueName('skadi_stores');
const url = urlFor(database);

beforeAll(() => createDatabase(database));
afterAll(() => dropDatabase(database));

storesContract('mysql', () => createTypeormStores({ url, migrate: true }));

let scratchCount = 0;
schemaContract('mysql', async () => {
  const name = `${database}_s${++scratchCount}`;
  await createDatabase(name);
  return { url: urlFor(name), drop: () => dropDatabase(name) };
});

describe('mysql tables', () => {
  it('are InnoDB, utf8mb4 with a binary collation', async () => {
    const rows = await admin(async (c) => {
      const [result] = await c.query<mysql.RowDataPacket[]>(
        'SELECT TABLE_NAME AS name, ENGINE AS engine, TABLE_COLLATION AS collation FROM information_schema.TABLES WHERE TABLE_SCHEMA = ? AND TABLE_NAME <> ?',
        [database, 'migrations'],
      );
      return result;
    });
    expect(rows.map((r) => r.name as string).sort()).toEqual(['agents', 'api_tokens', 'audit_log', 'job_outputs', 'jobs', 'kv_entries', 'outbox_events', 'replies']);
    for (const row of rows) {
      expect(row.engine).toBe('InnoDB');
      expect(row.collation).toMatch(/^utf8mb4_.*bin$/);
    }
  });
});
