import type { Stores } from '../core/index.js';
import { createDataSource } from './create-data-source.js';
import { redact } from './parse-database-url.js';
import { runMigrations } from './run-migrations.js';
import { storesOver, type TypeormStoresDeps } from './stores-over.js';

export type { TypeormStoresDeps } from './stores-over.js';

export interface TypeormStoresOptions {
  /** `sqlite:<file>`, `sqlite::memory:`, `mysql://user:pass@host:3306/db` or `mariadb://…`. */
  url: string;
  /** Apply pending migrations before returning (default false: the schema must be current). */
  migrate?: boolean;
  /** Log every SQL statement. */
  logging?: boolean;
}

/**
 * Connects to the database named by `options.url`, optionally migrates it, and returns every
 * store over that one connection (pool). Never synchronizes the schema.
 */
export async function createTypeormStores(options: TypeormStoresOptions, deps: TypeormStoresDeps = {}): Promise<Stores> {
  const dataSource = await createDataSource(options.url, { logging: options.logging });
  try {
    if (options.migrate) {
      const applied = await runMigrations(dataSource);
      if (applied.length > 0) deps.logger?.info({ migrations: applied, database: redact(options.url) }, 'database migrated');
    }
  } catch (err) {
    await dataSource.destroy();
    throw err;
  }
  return storesOver(dataSource, deps);
}
