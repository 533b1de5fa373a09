import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteGroupCommit } from '../../../src/store/sqlite-group-commit.js';

describe('SqliteGroupCommit', () => {
  let dir: string;
  let db: Database.Database;
  let other: Database.Database;
  let log: string[];
  let scheduler: SqliteGroupCommit;

  const count = (conn = other) => (conn.prepare('SELECT COUNT(*) AS n FROM t').get() as { n: number }).n;
  const insert = (v: number) => async () => {
    db.prepare('INSERT INTO t (v) VALUES (?)').run(v);
    return v;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'skadi-group-'));
    db = new Database(join(dir, 'g.db'));
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE t (v INTEGER PRIMARY KEY)');
    other = new Database(join(dir, 'g.db'));
    log = [];
    scheduler = new SqliteGroupCommit();
    scheduler.setLogger(db, (sql) => log.push(sql));
  });

  afterEach(() => {
    db.close();
    other.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('commits concurrent transactions together, and settles each only once they are committed', async () => {
    const seen: number[] = [];
    const all = [1, 2, 3, 4].map((v) =>
      scheduler.transaction(db, insert(v)).then((r) => {
        seen.push(count()); // read through another connection: committed data only
        return r;
      }),
    );
    expect(await Promise.all(all)).toEqual([1, 2, 3, 4]);
    expect(seen).toEqual([4, 4, 4, 4]);
    expect(log.filter((s) => s === 'BEGIN IMMEDIATE' || s === 'COMMIT')).toEqual(['BEGIN IMMEDIATE', 'COMMIT']);
  });

  it('a lone transaction is a plain BEGIN … COMMIT', async () => {
    await scheduler.transaction(db, insert(1));
    expect(log).toEqual(['BEGIN IMMEDIATE', 'COMMIT']);
  });

  it('rolls back a failing transaction alone; the rest of its group commits', async () => {
    const results = await Promise.allSettled([
      scheduler.transaction(db, insert(1)),
      scheduler.transaction(db, async () => {
        db.prepare('INSERT INTO t (v) VALUES (?)').run(2);
        throw new Error('boom');
      }),
      scheduler.transaction(db, insert(3)),
      scheduler.transaction(db, insert(1)), // duplicate key
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected']);
    expect(other.prepare('SELECT v FROM t ORDER BY v').all()).toEqual([{ v: 1 }, { v: 3 }]);
  });

  it('rolls back a failing first transaction entirely and carries on', async () => {
    const results = await Promise.allSettled([
      scheduler.transaction(db, async () => {
        db.prepare('INSERT INTO t (v) VALUES (?)').run(7);
        throw new Error('boom');
      }),
      scheduler.transaction(db, insert(8)),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled']);
    expect(other.prepare('SELECT v FROM t ORDER BY v').all()).toEqual([{ v: 8 }]);
    expect(db.inTransaction).toBe(false);
  });

  it('runs plain operations queued during a group inside it, settled after the commit', async () => {
    const tx = scheduler.transaction(db, insert(1));
    const read = scheduler.run(db, async () => count(db));
    let committedWhenRead = -1;
    await read.then(() => (committedWhenRead = count()));
    await tx;
    expect(await read).toBe(1); // sees the group's write
    expect(committedWhenRead).toBe(1);
  });

  it('under load, lets work that arrives while a group waits join it (one event-loop turn)', async () => {
    const first = [scheduler.transaction(db, insert(1)), scheduler.transaction(db, insert(2))];
    const third = new Promise((resolve) => setImmediate(() => resolve(scheduler.transaction(db, insert(3)))));
    await Promise.all(first);
    await third;
    expect(count()).toBe(3);
    expect(log.filter((s) => s === 'COMMIT')).toHaveLength(1);
  });

  it('commits a lone transaction at once, without waiting for a turn of the event loop', async () => {
    const first = scheduler.transaction(db, insert(1));
    const second = new Promise((resolve) => setImmediate(() => resolve(scheduler.transaction(db, insert(2)))));
    await first;
    expect(count()).toBe(1);
    await second;
    expect(log.filter((s) => s === 'COMMIT')).toHaveLength(2);
  });

  it('when groups have been committing back to back, a lone transaction waits one turn for company', async () => {
    // Busy: ten lone transactions one after the other, each its own group (a wide window, so a slow machine counts too).
    scheduler = new SqliteGroupCommit({ busyWindowMs: 60_000 });
    scheduler.setLogger(db, (sql) => log.push(sql));
    for (let v = 1; v <= 10; v++) await scheduler.transaction(db, insert(v));
    log.length = 0;
    const lone = scheduler.transaction(db, insert(11));
    const late = new Promise((resolve) => setImmediate(() => resolve(scheduler.transaction(db, insert(12)))));
    await lone;
    await late;
    expect(count()).toBe(12);
    expect(log.filter((s) => s === 'COMMIT')).toHaveLength(1);
  });

  it('never interleaves two connections on one file: the second waits for the group to commit', async () => {
    scheduler.setLogger(other, (sql) => log.push(`other: ${sql}`));
    const a = scheduler.transaction(db, insert(1));
    const b = scheduler.transaction(other, async () => {
      other.prepare('INSERT INTO t (v) VALUES (?)').run(2);
    });
    const c = scheduler.transaction(db, insert(3));
    await Promise.all([a, b, c]);
    expect(log).toEqual(['BEGIN IMMEDIATE', 'COMMIT', 'other: BEGIN IMMEDIATE', 'other: COMMIT', 'BEGIN IMMEDIATE', 'COMMIT']);
    expect(count()).toBe(3);
  });

  it('runs work that manages its own transaction alone', async () => {
    const tx = scheduler.transaction(db, insert(1));
    const alone = scheduler.alone(db, async () => {
      db.exec('BEGIN; INSERT INTO t (v) VALUES (5); COMMIT');
      return db.inTransaction;
    });
    await tx;
    expect(await alone).toBe(false);
    expect(count()).toBe(2);
  });
});
