import { createRequire } from 'node:module';
import { StoreDb } from '../../src/store/store-db.js';

/**
 * Counts the SQL the server sends, by shape — a diagnostic for `--count-queries`.
 * - SQLite: statements. Wraps StoreDb.exec (the stores' raw hot-path statements, timed: their
 *   own time, as better-sqlite3 runs them synchronously) and `query` of TypeORM's
 *   better-sqlite3 query runner, which every QueryBuilder call ends in (counted, not twice).
 *   The group commit's BEGIN/SAVEPOINT/COMMIT are not counted.
 * - MySQL: round trips. Wraps mysql2's connection `query`, which TypeORM's pool and the
 *   stores' hot-path pool both end in; a multi-statement batch (a group commit, batched reads)
 *   counts once, shown by its statements' shapes.
 */
export interface QueryCounter {
  reset(): void;
  /** Statement shapes with their counts and total time, most frequent first. */
  snapshot(): Array<{ sql: string; count: number; totalMs: number }>;
  total(): number;
}

const stats = new Map<string, { count: number; totalMs: number }>();
let installed = false;
let insideExec = false;

export function shapeOf(sql: string): string {
  return sql
    .replace(/\s+/g, ' ')
    .replace(/\((\s*\?\s*,)+\s*\?\s*\)/g, '(?…)')
    .replace(/\b\d{6,}\b/g, 'N')
    .replace(/["`]/g, '')
    .replace(/^SELECT (.{40}).* FROM/, 'SELECT $1… FROM')
    .slice(0, 150);
}

function note(sql: string, ms: number): void {
  const shape = shapeOf(sql);
  const s = stats.get(shape) ?? { count: 0, totalMs: 0 };
  s.count++;
  s.totalMs += ms;
  stats.set(shape, s);
}

function noteRoundTrip(text: string): void {
  const statements = text.split(/;\s*/).filter(Boolean);
  if (statements.length === 1) return note(text, 0);
  // A batch: its statement kinds, e.g. "batch: START TRANSACTION; 3× UPDATE jobs; 3× INSERT INTO outbox_events; COMMIT".
  const kinds = new Map<string, number>();
  for (const st of statements) {
    const k = shapeOf(st).replace(/^((?:SELECT .*? FROM|UPDATE|INSERT INTO|DELETE FROM) \S+|START TRANSACTION|COMMIT).*$/, '$1');
    kinds.set(k, (kinds.get(k) ?? 0) + 1);
  }
  note(`batch: ${[...kinds].map(([k, n]) => (n > 1 ? `${n}× ${k}` : k)).join('; ')}`.slice(0, 150), 0);
}

export function installQueryCounter(): QueryCounter {
  if (!installed) {
    installed = true;
    const exec = StoreDb.prototype.exec;
    StoreDb.prototype.exec = function (this: StoreDb, em, sql, params) {
      const t0 = process.hrtime.bigint();
      insideExec = true;
      let pending;
      try {
        pending = exec.call(this, em, sql, params);
      } finally {
        insideExec = false;
      }
      const done = () => note(sql, Number(process.hrtime.bigint() - t0) / 1e6);
      pending.then(done, done);
      return pending;
    } as typeof exec;
    const require = createRequire(import.meta.url);
    const runner = (require('typeorm/driver/better-sqlite3/BetterSqlite3QueryRunner.js') as Record<string, { prototype: { query: (sql: string, ...rest: unknown[]) => Promise<unknown> } }>).BetterSqlite3QueryRunner!.prototype;
    const original = runner.query;
    runner.query = function (this: unknown, sql: string, ...rest: unknown[]) {
      if (!insideExec) note(sql, 0);
      return original.call(this, sql, ...rest);
    };
    // mysql2's BaseConnection: every round trip, whichever pool.
    const mysql2 = require('mysql2') as { Connection: { prototype: object } };
    const base = Object.getPrototypeOf(mysql2.Connection.prototype) as { query: (sql: unknown, ...rest: unknown[]) => unknown };
    const baseQuery = base.query;
    base.query = function (this: unknown, sql: unknown, ...rest: unknown[]) {
      const text = typeof sql === 'string' ? sql : (sql as { sql?: string })?.sql ?? '';
      if (text && !/^(SELECT 1|SELECT VERSION)/.test(text)) noteRoundTrip(text);
      return baseQuery.call(this, sql, ...rest);
    };
  }
  return {
    reset: () => stats.clear(),
    snapshot: () => [...stats].map(([sql, s]) => ({ sql, ...s })).sort((a, b) => b.count - a.count),
    total: () => [...stats.values()].reduce((a, s) => a + s.count, 0),
  };
}
