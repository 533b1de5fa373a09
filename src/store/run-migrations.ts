import type { DataSource } from 'typeorm';
import { SkadiError } from '../core/index.js';
import { StoreDb } from './store-db.js';

const LOCK_WAIT_SECONDS = 120;

/**
 * Applies the pending migrations of the DataSource's dialect and returns their names.
 * Several server processes may start together against one MySQL: they take turns on a
 * server-wide named lock, and the later ones find nothing left to do.
 */
export async function runMigrations(dataSource: DataSource): Promise<string[]> {
  const db = new StoreDb(dataSource);
  if (db.dialect === 'sqlite') {
    // SQLite DDL is transactional: all migrations commit together or not at all.
    const applied = await db.runAlone(() => dataSource.runMigrations({ transaction: 'all' }));
    return applied.map((m) => m.name);
  }
  // GET_LOCK belongs to a connection, so hold one for the whole run.
  const runner = dataSource.createQueryRunner();
  const lockName = `skadi:migrate:${String(dataSource.options.database)}`.slice(0, 64);
  try {
    const rows = (await runner.query('SELECT GET_LOCK(?, ?) AS got', [lockName, LOCK_WAIT_SECONDS])) as Array<{ got: number | string | null }>;
    if (Number(rows[0]?.got) !== 1) {
      throw new SkadiError('SKADI_UNAVAILABLE', `another process has been migrating the database for over ${LOCK_WAIT_SECONDS} s`);
    }
    try {
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      return applied.map((m) => m.name);
    } finally {
      await runner.query('SELECT RELEASE_LOCK(?)', [lockName]);
    }
  } finally {
    await runner.release();
  }
}
