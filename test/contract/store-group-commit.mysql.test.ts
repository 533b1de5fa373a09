import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewJob, Stores } from '../../src/core/index.js';
import { createDataSource } from '../../src/store/create-data-source.js';
import { runMigrations } from '../../src/store/run-migrations.js';
import { StoreDb } from '../../src/store/store-db.js';
import { storesOver } from '../../src/store/stores-over.js';
import { mysqlUrl, uniqueName } from '../helpers/services.js';

// MySQL group commit (StoreDb.atomic): concurrent transitions share round trips, and each one
// still succeeds or fails on its own.
const server = new URL(mysqlUrl());
const database = uniqueName('skadi_group');
const T = new Date('2031-01-01T00:00:00.000Z');

async function admin(sql: string): Promise<void> {
  const c = await mysql.createConnection({ host: server.hostname, port: Number(server.port || 3306), user: decodeURIComponent(server.username) || 'root', password: decodeURIComponent(server.password) });
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

function newJob(id: string, extra: Partial<NewJob> = {}): NewJob {
  return {
    id,
    agent: 'web-1',
    message: 'uptime',
    requester: { identity: 'api:ci' },
    thread: null,
    state: 'queuing',
    reason: null,
    timeoutMs: 60_000,
    expiresAt: new Date(T.getTime() + 60_000),
    parentId: null,
    createdAt: T,
    ...extra,
  };
}

describe('mysql group commit', () => {
  let stores: Stores;
  let db: StoreDb;

  beforeAll(async () => {
    await admin(`CREATE DATABASE \`${database}\` CHARACTER SET utf8mb4`);
    const url = new URL(server);
    url.pathname = `/${database}`;
    const dataSource = await createDataSource(url.toString());
    await runMigrations(dataSource);
    stores = storesOver(dataSource);
    // The stores' own StoreDb is private; a second one over the same DataSource shows the batching.
    db = new StoreDb(dataSource);
  });

  afterAll(async () => {
    await db?.close();
    await stores?.close();
    await admin(`DROP DATABASE IF EXISTS \`${database}\``);
  });

  it('runs many concurrent scripts in fewer round trips, each with its own result', async () => {
    await db.exec(db.dataSource.manager, 'CREATE TABLE g (id INT PRIMARY KEY, v INT NOT NULL)', []);
    const ids = Array.from({ length: 40 }, (_, i) => i + 1);
    const before = { ...db.mysqlStats };
    const results = await Promise.all(
      ids.map((id) =>
        db.atomic([
          { sql: 'INSERT INTO g (id, v) VALUES (?, 0)', params: [id] },
          { sql: 'UPDATE g SET v = v + 1 WHERE id = ? AND v = ?', params: [id, id % 2 === 0 ? 0 : 99] },
          { sql: 'INSERT INTO g (id, v) VALUES (?, 1)', params: [1000 + id], ifPreviousChanged: { conditionalSql: 'INSERT INTO g (id, v) SELECT ?, 1 FROM DUAL WHERE ROW_COUNT() = 1' } },
        ]),
      ),
    );
    expect(results).toEqual(ids.map((id) => (id % 2 === 0 ? [1, 1, 1] : [1, 0, 0])));
    expect(db.mysqlStats.scripts - before.scripts).toBe(40);
    expect(db.mysqlStats.scriptRoundTrips - before.scriptRoundTrips).toBeLessThan(40);
    const { rows } = await db.query<{ n: number | string }>('SELECT COUNT(*) AS n FROM g', []);
    expect(Number(rows[0]!.n)).toBe(60);
  });

  it('a failing script in a batch fails alone; the others commit', async () => {
    const before = { ...db.mysqlStats };
    const outcomes = await Promise.allSettled(
      Array.from({ length: 12 }, (_, i) =>
        db.atomic([{ sql: 'INSERT INTO g (id, v) VALUES (?, 0)', params: [i === 7 ? 1 : 500 + i] }]), // id 1 exists
      ),
    );
    expect(outcomes.map((o) => o.status)).toEqual(Array.from({ length: 12 }, (_, i) => (i === 7 ? 'rejected' : 'fulfilled')));
    expect(db.mysqlStats.scriptRoundTrips - before.scriptRoundTrips).toBeGreaterThan(1);
    const { rows } = await db.query<{ n: number | string }>('SELECT COUNT(*) AS n FROM g WHERE id >= 500 AND id < 600', []);
    expect(Number(rows[0]!.n)).toBe(11);
  });

  it('runs concurrent reads in fewer round trips; a failing one fails alone', async () => {
    const before = { ...db.mysqlStats };
    const reads = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => db.query<{ v: number }>(i === 5 ? 'SELECT v FROM no_such_table' : 'SELECT v FROM g WHERE id = ?', i === 5 ? [] : [i + 1])));
    expect(reads.map((r) => r.status)).toEqual(Array.from({ length: 20 }, (_, i) => (i === 5 ? 'rejected' : 'fulfilled')));
    expect((reads[3] as PromiseFulfilledResult<{ rows: Array<{ v: number }> }>).value.rows).toEqual([{ v: 1 }]);
    expect((reads[4] as PromiseFulfilledResult<{ rows: Array<{ v: number }> }>).value.rows).toEqual([{ v: 0 }]);
    expect(db.mysqlStats.reads - before.reads).toBe(20);
  });

  it('concurrent jobs and transitions through the stores: every job once, every event written', async () => {
    const jobs = await Promise.all(Array.from({ length: 30 }, (_, i) => stores.jobs.create(newJob(`grp${String(i).padStart(9, '0')}`), T)));
    // Two racers per job for the same compare-and-set: exactly one wins each.
    const races = await Promise.all(
      jobs.flatMap(({ job }) => [0, 1].map((n) => stores.jobs.transition({ jobId: job.id, from: ['queuing'], to: 'sent', patch: { leaseId: `L${n}`, ackDeadline: T }, at: T }, T))),
    );
    expect(races.filter((r) => r !== null)).toHaveLength(30);
    const dup = await Promise.allSettled([
      stores.jobs.create(newJob('grpidem00001', { idempotency: { scope: 's', key: 'k', fingerprint: 'f' } }), T),
      stores.jobs.create(newJob('grpidem00002', { idempotency: { scope: 's', key: 'k', fingerprint: 'f' } }), T),
      stores.jobs.create(newJob('grpother0001'), T),
    ]);
    expect(dup.map((d) => d.status).sort()).toEqual(['fulfilled', 'fulfilled', 'rejected']);
    expect(dup[2]!.status).toBe('fulfilled');
    expect(await stores.outbox.countUnrelayed()).toBe(30 + 30 + 2);
  });
});
