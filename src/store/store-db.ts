import type { DataSource, EntityManager } from 'typeorm';
import { AsyncLock } from './async-lock.js';
import { isRetryableLockError } from './db-errors.js';

export type Dialect = 'sqlite' | 'mysql';

/** The dialect family of an initialised DataSource. */
export function dialectOf(dataSource: DataSource): Dialect {
  return dataSource.options.type === 'better-sqlite3' ? 'sqlite' : 'mysql';
}

// better-sqlite3 gives TypeORM one connection per DataSource and runs every statement
// synchronously. Two async operations on it would interleave inside each other's
// transactions, and two DataSources on one file in one process would busy-wait on each
// other's write lock while blocking the event loop the holder needs to commit. So every
// operation on a SQLite file queues on one lock per file per process. It costs nothing:
// the connection could only do one thing at a time anyway.
const sqliteLocks = new Map<string, AsyncLock>();

function sqliteLock(dataSource: DataSource): AsyncLock {
  const file = String(dataSource.options.database);
  if (file === ':memory:') return new AsyncLock(); // a private database per DataSource
  let lock = sqliteLocks.get(file);
  if (!lock) {
    lock = new AsyncLock();
    sqliteLocks.set(file, lock);
  }
  return lock;
}

const MAX_LOCK_RETRIES = 4;

/** How the stores reach the database: plain operations and write transactions, per dialect. */
export class StoreDb {
  readonly dialect: Dialect;
  private readonly lock: AsyncLock | null;

  constructor(readonly dataSource: DataSource) {
    this.dialect = dialectOf(dataSource);
    this.lock = this.dialect === 'sqlite' ? sqliteLock(dataSource) : null;
  }

  /** Runs statements outside a transaction (each one atomic on its own). */
  run<T>(fn: (em: EntityManager) => Promise<T>): Promise<T> {
    if (this.lock) return this.lock.run(() => fn(this.dataSource.manager));
    return fn(this.dataSource.manager);
  }

  /** Runs `fn` in a write transaction; on MySQL a deadlock victim is run again. */
  transaction<T>(fn: (em: EntityManager) => Promise<T>): Promise<T> {
    if (this.lock) return this.lock.run(() => this.sqliteTransaction(fn));
    return this.mysqlTransaction(fn);
  }

  // BEGIN IMMEDIATE takes the write lock up front (waiting up to busy_timeout for another
  // process). TypeORM's deferred BEGIN would take it at the first write, and a transaction
  // that read first could then fail at once with SQLITE_BUSY_SNAPSHOT.
  private async sqliteTransaction<T>(fn: (em: EntityManager) => Promise<T>): Promise<T> {
    const em = this.dataSource.manager;
    await em.query('BEGIN IMMEDIATE');
    try {
      const result = await fn(em);
      await em.query('COMMIT');
      return result;
    } catch (err) {
      // Also after a failed COMMIT; harmless (and ignored) when no transaction is open.
      await em.query('ROLLBACK').catch(() => undefined);
      throw err;
    }
  }

  private async mysqlTransaction<T>(fn: (em: EntityManager) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.dataSource.transaction(fn);
      } catch (err) {
        if (!isRetryableLockError(err) || attempt >= MAX_LOCK_RETRIES) throw err;
        await new Promise((r) => setTimeout(r, 5 + Math.random() * 20 * attempt));
      }
    }
  }
}
