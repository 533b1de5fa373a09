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

function sqliteOptions(file: string): DataSourceOptions {
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
    const options = target.dialect === 'sqlite' ? sqliteOptions(target.file) : await mysqlOptions(target);
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
