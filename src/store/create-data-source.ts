import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DataSource, type DataSourceOptions, type Logger as TypeOrmLogger } from 'typeorm';
import { ENTITIES, applyDialectColumnTypes } from '../../entities/index.js';
import { MYSQL_MIGRATIONS, SQLITE_MIGRATIONS } from '../../entities/migrations/index.js';
import { SkadiError } from '../core/index.js';
import { detectMysqlFlavour } from './detect-mysql-flavour.js';
import { parseDatabaseUrl, redact, type DatabaseTarget } from './parse-database-url.js';

/** Milliseconds a SQLite connection waits for another process's write lock before SQLITE_BUSY. */
export const SQLITE_BUSY_TIMEOUT_MS = 5000;

export interface DataSourceSettings {
  /** Log every SQL statement (debugging). */
  logging?: boolean;
  /** Receives every statement (and errors, migrations); e.g. to count queries in a test. */
  logger?: TypeOrmLogger;
}

type MysqlTarget = Extract<DatabaseTarget, { dialect: 'mysql' }>;

/**
 * SQLite in WAL mode with `synchronous = NORMAL` unless the URL says `?synchronous=full`:
 * - NORMAL (default): a commit is appended to the WAL but not fsynced; the WAL is fsynced at
 *   checkpoints. Every commit stays atomic and the database consistent, and a commit survives a
 *   crash of the process (it is in the OS's page cache); a power loss or kernel crash may undo
 *   the last commits before the checkpoint — a job that was accepted, or a transition whose
 *   event was already relayed. This is the usual choice for WAL, and the embedded default: an
 *   fsync blocks the event loop (better-sqlite3 is synchronous), and on the benchmark machine
 *   one per commit took the light-load dispatch p99 from ~8 ms to 50-90 ms.
 * - FULL: the WAL is fsynced at every commit, so what was reported done survives power loss.
 *   Concurrent writes share one commit (sqlite-group-commit.ts), so under load the cost is
 *   spread; at light load each commit pays its fsync. For deployments that need it without
 *   MySQL/MariaDB (whose InnoDB default is durable at every commit).
 */
function sqliteOptions(target: Extract<DatabaseTarget, { dialect: 'sqlite' }>): DataSourceOptions {
  const file = target.file;
  return {
    type: 'better-sqlite3',
    database: file,
    // WAL lets readers run while one process writes; meaningless for a memory database.
    enableWAL: file !== ':memory:',
    timeout: SQLITE_BUSY_TIMEOUT_MS,
    // TypeORM turns foreign keys on too; stated here so the settings read in one place.
    prepareDatabase: (db: { pragma(source: string): unknown }) => {
      db.pragma(`busy_timeout = ${SQLITE_BUSY_TIMEOUT_MS}`);
      db.pragma('foreign_keys = ON');
      db.pragma(`synchronous = ${target.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
    },
    migrations: [...SQLITE_MIGRATIONS],
  };
}

async function mysqlOptions(target: MysqlTarget): Promise<DataSourceOptions> {
  const endpoint = { host: target.host, port: target.port, user: target.user, password: target.password };
  const type = target.flavour === 'mariadb' ? 'mariadb' : await detectMysqlFlavour(endpoint);
  return {
    type,
    host: target.host,
    port: target.port,
    username: target.user,
    password: target.password,
    database: target.database,
    charset: 'utf8mb4',
    // Instants are epoch-ms integers, so no DATETIME conversion depends on this; set for
    // anything read or written by hand.
    timezone: 'Z',
    supportBigNumbers: true,
    bigNumberStrings: true,
    ...(target.connectionLimit ? { poolSize: target.connectionLimit } : {}),
    migrations: [...MYSQL_MIGRATIONS],
  };
}

/**
 * Builds and initialises a DataSource for `sqlite:<file>`, `sqlite::memory:`, `mysql://…` or
 * `mariadb://…`. Runs no migrations and never synchronizes the schema (see runMigrations).
 */
export async function createDataSource(url: string, settings: DataSourceSettings = {}): Promise<DataSource> {
  const target = parseDatabaseUrl(url);
  if (target.dialect === 'sqlite' && target.file !== ':memory:') await mkdir(dirname(target.file), { recursive: true });
  try {
    const options = target.dialect === 'sqlite' ? sqliteOptions(target) : await mysqlOptions(target);
    const dataSource = new DataSource({
      ...options,
      entities: [...ENTITIES],
      synchronize: false,
      migrationsRun: false,
      logging: settings.logging ?? false,
      ...(settings.logger ? { logger: settings.logger } : {}),
    } as DataSourceOptions);
    await dataSource.initialize();
    applyDialectColumnTypes(dataSource);
    return dataSource;
  } catch (err) {
    // Name the database (without its password) so a start-up failure says what it tried.
    const reason = err instanceof Error ? err.message : String(err);
    throw new SkadiError('SKADI_UNAVAILABLE', `cannot open the database ${redact(url)}: ${reason}`, { url: redact(url) });
  }
}
