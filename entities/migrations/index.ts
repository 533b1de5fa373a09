import type { MigrationInterface } from 'typeorm';
import { InitialSchemaMysql1763770000000 } from './mysql/1763770000000-initial-schema.js';
import { InitialSchemaSqlite1763770000000 } from './sqlite/1763770000000-initial-schema.js';
import { JobSignatureMysql1764000000000 } from './mysql/1764000000000-job-signature.js';
import { JobSignatureSqlite1764000000000 } from './sqlite/1764000000000-job-signature.js';
import { FanOutMysql1764100000000 } from './mysql/1764100000000-fan-out.js';
import { FanOutSqlite1764100000000 } from './sqlite/1764100000000-fan-out.js';

type MigrationClass = new () => MigrationInterface;

// Two lists because the dialects differ in column types (text/longtext), quoting, table
// options and whether DDL is transactional. Each new migration is added to both; the schema
// test checks that each list yields exactly the entities' schema.

/** Schema migrations for SQLite, oldest first. */
export const SQLITE_MIGRATIONS: readonly MigrationClass[] = [InitialSchemaSqlite1763770000000, JobSignatureSqlite1764000000000, FanOutSqlite1764100000000];

/** Schema migrations for MySQL/MariaDB (InnoDB, utf8mb4), oldest first. */
export const MYSQL_MIGRATIONS: readonly MigrationClass[] = [InitialSchemaMysql1763770000000, JobSignatureMysql1764000000000, FanOutMysql1764100000000];
