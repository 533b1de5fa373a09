import { randomBytes } from 'node:crypto';

/**
 * URLs of the real services integration suites talk to. The machine (and CI) always has
 * MariaDB and Redis, so suites never skip: the env vars only point them elsewhere. A suite
 * that cannot reach its service fails.
 */
export function mysqlUrl(): string {
  return process.env.SKADI_TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test';
}

export function redisUrl(): string {
  return process.env.SKADI_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
}

/** A name unique to this test file run, for databases and Redis key prefixes. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${randomBytes(3).toString('hex')}`;
}
