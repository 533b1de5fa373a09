import { resolve } from 'node:path';
import { ConfigError } from '../core/index.js';

/** Where the stores live, parsed from `SKADI_DATABASE_URL`. */
export type DatabaseTarget =
  | {
      dialect: 'sqlite';
      /** Absolute file path, or `:memory:`. */
      file: string;
      /**
       * Durability of a commit (see create-data-source.ts). Default `normal`: not fsynced, durable
       * against a crash of the process, not of the machine; `?synchronous=full`: fsynced, survives
       * power loss.
       */
      synchronous?: SqliteSynchronous;
    }
  | {
      dialect: 'mysql';
      /** `mariadb` for `mariadb://`; `auto` for `mysql://` (the server is asked which it is). */
      flavour: 'mariadb' | 'auto';
      host: string;
      port: number;
      user: string;
      password: string;
      database: string;
      /** Pool size (`?connectionLimit=`); TypeORM's default when absent. */
      connectionLimit?: number;
    };

const KEY = 'database.url';

export type SqliteSynchronous = 'full' | 'normal';
const SQLITE_SYNCHRONOUS: readonly SqliteSynchronous[] = ['full', 'normal'];

/**
 * Parses `sqlite:<file>[?synchronous=full|normal]`, `sqlite::memory:`,
 * `mysql://user:pass@host:port/db` or `mariadb://…`. A relative SQLite path is resolved
 * against `cwd`; in a SQLite URL, what follows the last `?` is parameters.
 */
export function parseDatabaseUrl(url: string, cwd = process.cwd()): DatabaseTarget {
  if (url.startsWith('sqlite:')) {
    // `sqlite:///abs/file` and `sqlite:/abs/file` both mean /abs/file.
    let rest = url.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '');
    let synchronous: SqliteSynchronous | undefined;
    const query = rest.lastIndexOf('?');
    if (query >= 0) {
      for (const [name, value] of new URLSearchParams(rest.slice(query + 1))) {
        if (name !== 'synchronous') throw new ConfigError(KEY, `unknown parameter "${name}" (supported for SQLite: synchronous)`);
        if (!(SQLITE_SYNCHRONOUS as readonly string[]).includes(value.toLowerCase())) throw new ConfigError(KEY, `synchronous must be full or normal, got "${value}"`);
        synchronous = value.toLowerCase() as SqliteSynchronous;
      }
      rest = rest.slice(0, query);
    }
    if (rest === ':memory:') return { dialect: 'sqlite', file: ':memory:' };
    if (rest === '') throw new ConfigError(KEY, `"${url}" names no file (use sqlite:<file> or sqlite::memory:)`);
    return { dialect: 'sqlite', file: resolve(cwd, rest), ...(synchronous ? { synchronous } : {}) };
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new ConfigError(KEY, `"${redact(url)}" is not a URL (expected sqlite:<file>, mysql://… or mariadb://…)`);
  }
  const scheme = parsed.protocol.replace(/:$/, '');
  if (scheme !== 'mysql' && scheme !== 'mariadb') {
    throw new ConfigError(KEY, `unsupported scheme "${scheme}" (expected sqlite, mysql or mariadb)`);
  }
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (!database || database.includes('/')) throw new ConfigError(KEY, `"${redact(url)}" must name one database (mysql://host/db)`);
  let connectionLimit: number | undefined;
  for (const [name, value] of parsed.searchParams) {
    if (name !== 'connectionLimit') throw new ConfigError(KEY, `unknown parameter "${name}" (supported: connectionLimit)`);
    connectionLimit = Number(value);
    if (!Number.isInteger(connectionLimit) || connectionLimit < 1) throw new ConfigError(KEY, `connectionLimit must be a positive integer, got "${value}"`);
  }
  return {
    dialect: 'mysql',
    flavour: scheme === 'mariadb' ? 'mariadb' : 'auto',
    host: parsed.hostname || '127.0.0.1',
    port: parsed.port ? Number(parsed.port) : 3306,
    user: decodeURIComponent(parsed.username) || 'root',
    password: decodeURIComponent(parsed.password),
    database,
    connectionLimit,
  };
}

/** The URL without its password, for messages. */
export function redact(url: string): string {
  return url.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@');
}
