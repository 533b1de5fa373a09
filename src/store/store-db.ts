import type BetterSqlite3 from 'better-sqlite3';
import { QueryFailedError, type DataSource, type EntityManager } from 'typeorm';
import { isRetryableLockError } from './db-errors.js';
import { SqliteGroupCommit } from './sqlite-group-commit.js';

export type Dialect = 'sqlite' | 'mysql';

/** A value bound to a `?` placeholder of a raw statement. */
export type SqlParam = string | number | boolean | null;

/** What a raw statement returned: the rows of a SELECT, or the rows a write changed. */
export interface SqlOutcome<R> {
  rows: R[];
  affected: number;
}

/** One statement of an atomic script (see StoreDb.atomic). */
export interface AtomicStep {
  sql: string;
  params: readonly SqlParam[];
  /**
   * Run only if the step before changed exactly one row (an outbox INSERT after its
   * compare-and-set UPDATE). `sql` is the plain statement; `conditionalSql` the same statement
   * with that condition in SQL, for MySQL, where the whole script is one round trip
   * (`INSERT … SELECT … FROM DUAL WHERE ROW_COUNT() = 1`).
   */
  ifPreviousChanged?: { conditionalSql: string };
}

/** The slice of a mysql2 (callback API) pool the hot path uses. */
interface RawMysqlConnection {
  query(sql: string, values: readonly unknown[], cb: (err: Error | null, results: unknown) => void): void;
  release(): void;
  destroy(): void;
}
interface RawMysqlPool {
  query(sql: string, values: readonly unknown[], cb: (err: Error | null, results: unknown) => void): void;
  getConnection(cb: (err: Error | null, connection: RawMysqlConnection) => void): void;
  end(cb: (err?: Error | null) => void): void;
}

/** The dialect family of an initialised DataSource. */
export function dialectOf(dataSource: DataSource): Dialect {
  return dataSource.options.type === 'better-sqlite3' ? 'sqlite' : 'mysql';
}

// better-sqlite3 gives TypeORM one connection per DataSource and runs every statement
// synchronously. Two async operations on it would interleave inside each other's
// transactions, and two DataSources on one file in one process would busy-wait on each
// other's write lock while blocking the event loop the holder needs to commit. So every
// operation on a SQLite file queues on one scheduler per file per process. It costs nothing:
// the connection could only do one thing at a time anyway. The scheduler also commits
// concurrent write transactions together (group commit, see sqlite-group-commit.ts).
const sqliteSchedulers = new Map<string, SqliteGroupCommit>();

function sqliteScheduler(dataSource: DataSource): SqliteGroupCommit {
  const file = String(dataSource.options.database);
  if (file === ':memory:') return new SqliteGroupCommit(); // a private database per DataSource
  let scheduler = sqliteSchedulers.get(file);
  if (!scheduler) {
    scheduler = new SqliteGroupCommit();
    sqliteSchedulers.set(file, scheduler);
  }
  return scheduler;
}

const MAX_LOCK_RETRIES = 4;

/**
 * MySQL group commit (see StoreDb.pumpScripts): scripts on the wire at once; scripts and bytes
 * per batch. (8 on the wire was tried: smaller batches, more round trips and more CPU per job
 * for no gain in throughput on the benchmark machine.)
 */
const MAX_SCRIPTS_IN_FLIGHT = 4;
/**
 * Claims (a poll handing out jobs) are the one write a waiting agent sees: they have a lane of
 * their own, so a claim never queues behind a full lane of acks, results and audit writes whose
 * commits are slow. They still go together when several wait.
 */
const MAX_URGENT_SCRIPTS_IN_FLIGHT = 4;
const MAX_SCRIPTS_PER_BATCH = 64;
const MAX_BATCH_BYTES = 1024 * 1024;

/** MySQL: reads on the wire at once, and reads per multi-statement batch. */
const MAX_READS_IN_FLIGHT = 4;
const MAX_READS_PER_BATCH = 32;

interface QueuedRead {
  sql: string;
  params: readonly SqlParam[];
  resolve: (raw: unknown) => void;
  reject: (err: unknown) => void;
}

function toOutcome<R>(raw: unknown): SqlOutcome<R> {
  return Array.isArray(raw) ? { rows: raw as R[], affected: 0 } : { rows: [], affected: (raw as { affectedRows?: number } | null)?.affectedRows ?? 0 };
}

interface QueuedScript {
  steps: readonly AtomicStep[];
  resolve: (affected: number[]) => void;
  reject: (err: unknown) => void;
}

/** MySQL scripts waiting, and on the wire, in one lane (see StoreDb.pumpScripts). */
interface ScriptLane {
  readonly queue: QueuedScript[];
  inFlight: number;
  readonly max: number;
}

/** Rough size of a script's parameters, to keep a batch well under max_allowed_packet. */
function scriptSize(steps: readonly AtomicStep[]): number {
  let size = 0;
  for (const step of steps) {
    size += step.sql.length;
    for (const p of step.params) size += typeof p === 'string' ? p.length * 2 : 8;
  }
  return size;
}

/**
 * How the stores reach the database, per dialect.
 *
 * - `run` / `transaction`: TypeORM work (QueryBuilder) outside or inside a write transaction.
 * - The hot path (jobs, outbox, audit, agents: see job-sql.ts) bypasses the QueryBuilder with
 *   raw SQL bound by parameters: `query` (reads), `writeOne` (one-statement writes), `atomic`
 *   (a transaction of a few statements: a compare-and-set and its outbox event).
 * - SQLite: one scheduler per file serialises the connection and commits concurrent writes
 *   together (sqlite-group-commit.ts); reads go to a second, read-only connection and never wait.
 * - MySQL: a second pool (multipleStatements) where reads, and transactions, that arrive while
 *   a few are on the wire go together in one round trip (one commit for the transactions).
 */
export class StoreDb {
  readonly dialect: Dialect;
  private readonly scheduler: SqliteGroupCommit | null;
  private readonly connection: BetterSqlite3.Database | null;
  /**
   * MySQL: a second mysql2 pool, with TypeORM's connection settings plus multipleStatements,
   * used only by the raw hot-path statements (fixed texts, every value a `?` parameter), so a
   * transition is one round trip: START TRANSACTION; UPDATE …; INSERT …; COMMIT.
   */
  private hotPool: RawMysqlPool | null = null;
  private readonly scripts: ScriptLane = { queue: [], inFlight: 0, max: MAX_SCRIPTS_IN_FLIGHT };
  private readonly urgentScripts: ScriptLane = { queue: [], inFlight: 0, max: MAX_URGENT_SCRIPTS_IN_FLIGHT };
  /** MySQL: atomic scripts and reads asked for, and the round trips that ran them (tests, diagnostics). */
  readonly mysqlStats = { scripts: 0, scriptRoundTrips: 0, reads: 0, readRoundTrips: 0 };
  private readonly reads: QueuedRead[] = [];
  private readsInFlight = 0;
  /** Prepared statements of the raw hot-path SQL, by text (SQLite). The texts are a small fixed set. */
  private readonly statements = new Map<string, BetterSqlite3.Statement>();
  /** SQLite: the read connection (undefined until first used; null when there is none) and its statements. */
  private reader: BetterSqlite3.Database | null | undefined = undefined;
  private readonly readStatements = new Map<string, BetterSqlite3.Statement>();

  constructor(readonly dataSource: DataSource) {
    this.dialect = dialectOf(dataSource);
    if (this.dialect === 'sqlite') {
      this.scheduler = sqliteScheduler(dataSource);
      this.connection = (dataSource.driver as unknown as { databaseConnection: BetterSqlite3.Database }).databaseConnection;
      this.scheduler.setLogger(this.connection, (sql) => dataSource.logger.logQuery(sql, []));
    } else {
      this.scheduler = null;
      this.connection = null;
    }
  }

  private mysqlPool(): RawMysqlPool {
    if (!this.hotPool) {
      const driver = this.dataSource.driver as unknown as {
        mysql: { createPool(options: Record<string, unknown>): RawMysqlPool };
        createConnectionOptions(options: unknown, credentials: unknown): Record<string, unknown>;
      };
      const options = driver.createConnectionOptions(this.dataSource.options, this.dataSource.options);
      // Room for every script and read on the wire at once, unless the URL sets a limit.
      const connectionLimit = (options.connectionLimit as number | undefined) ?? MAX_SCRIPTS_IN_FLIGHT + MAX_URGENT_SCRIPTS_IN_FLIGHT + MAX_READS_IN_FLIGHT;
      this.hotPool = driver.mysql.createPool({ ...options, connectionLimit, multipleStatements: true });
    }
    return this.hotPool;
  }

  /** Releases what the StoreDb opened itself (the MySQL hot-path pool); the DataSource is the caller's. */
  async close(): Promise<void> {
    if (this.reader) this.reader.close();
    this.reader = null;
    this.readStatements.clear();
    const pool = this.hotPool;
    this.hotPool = null;
    if (pool) await new Promise<void>((resolve) => pool.end(() => resolve()));
  }

  private mysqlCall(target: RawMysqlPool | RawMysqlConnection, sql: string, params: readonly SqlParam[]): Promise<unknown> {
    return new Promise((resolve, reject) => {
      target.query(sql, params, (err, results) => (err ? reject(new QueryFailedError(sql, [...params], err)) : resolve(results)));
    });
  }

  /**
   * SQL written with "double-quoted" identifiers, in this dialect's quoting (MySQL: backticks).
   * The hot-path statements are built once with it and bound with `?` parameters.
   */
  sql(text: string): string {
    return this.dialect === 'mysql' ? text.replace(/"/g, '`') : text;
  }

  /** Runs statements outside a transaction (each one atomic on its own). */
  run<T>(fn: (em: EntityManager) => Promise<T>): Promise<T> {
    if (this.scheduler) return this.scheduler.run(this.connection!, () => fn(this.dataSource.manager));
    return fn(this.dataSource.manager);
  }

  /** Work that opens its own transactions (migrations): on SQLite, never inside a commit group. */
  runAlone<T>(fn: (em: EntityManager) => Promise<T>): Promise<T> {
    if (this.scheduler) return this.scheduler.alone(this.connection!, () => fn(this.dataSource.manager));
    return fn(this.dataSource.manager);
  }

  /**
   * One raw read outside a transaction (see exec). On MySQL, reads that arrive while
   * MAX_READS_IN_FLIGHT are on the wire go together as one multi-statement round trip.
   */
  query<R = Record<string, unknown>>(sql: string, params: readonly SqlParam[]): Promise<SqlOutcome<R>> {
    if (this.scheduler) {
      const reader = this.sqliteReader();
      if (!reader) return this.run((em) => this.exec<R>(em, sql, params));
      try {
        return Promise.resolve(this.readNow<R>(reader, sql, params));
      } catch (err) {
        return Promise.reject(err);
      }
    }
    this.mysqlStats.reads++;
    return new Promise<unknown>((resolve, reject) => {
      this.reads.push({ sql, params, resolve, reject });
      this.pumpReads();
    }).then((raw) => toOutcome<R>(raw));
  }

  private pumpReads(): void {
    while (this.readsInFlight < MAX_READS_IN_FLIGHT && this.reads.length > 0) {
      const batch = this.reads.splice(0, MAX_READS_PER_BATCH);
      this.readsInFlight++;
      void this.runReads(batch).finally(() => {
        this.readsInFlight--;
        this.pumpReads();
      });
    }
  }

  private async runReads(batch: QueuedRead[]): Promise<void> {
    const pool = this.mysqlPool();
    if (batch.length > 1) {
      try {
        this.mysqlStats.readRoundTrips++;
        const results = (await this.mysqlCall(pool, batch.map((r) => r.sql).join('; '), batch.flatMap((r) => r.params))) as unknown[];
        batch.forEach((r, i) => r.resolve(results[i]));
        return;
      } catch {
        // One of them failed: each on its own below, so only that one fails.
      }
    }
    this.mysqlStats.readRoundTrips += batch.length;
    await Promise.all(batch.map((r) => this.mysqlCall(pool, r.sql, r.params).then(r.resolve, r.reject)));
  }

  /**
   * A write of one statement, atomic on its own; resolves to the rows it changed. SQLite: a
   * (grouped) transaction. MySQL: a one-step script, so concurrent ones share a round trip and
   * a commit (see atomic).
   */
  async writeOne(sql: string, params: readonly SqlParam[]): Promise<number> {
    if (this.scheduler) return this.transaction(async (em) => (await this.exec(em, sql, params)).affected);
    const [affected] = await this.atomic([{ sql, params }]);
    return affected ?? 0;
  }

  /**
   * Runs one raw statement (`?` placeholders) on the connection of `em` — inside a transaction,
   * pass the transaction's manager. This is the hot path's way around TypeORM's QueryBuilder:
   * on SQLite the QueryBuilder inlines every number into the SQL text (TypeORM's SQLite
   * escapeQueryWithParameters), so each statement with a timestamp is new text and is
   * prepared again; here each text is prepared once and kept. On MySQL it runs on the
   * transaction's connection when `em` has one, else on the hot-path pool. Failures are thrown
   * as TypeORM's QueryFailedError (so db-errors.ts reads them alike); SQLite statements are
   * logged through TypeORM's logger.
   */
  async exec<R = Record<string, unknown>>(em: EntityManager, sql: string, params: readonly SqlParam[]): Promise<SqlOutcome<R>> {
    if (this.dialect === 'mysql') {
      // Inside a TypeORM transaction the statement must use its connection; otherwise the hot pool.
      return toOutcome<R>(em.queryRunner ? await em.query(sql, params as SqlParam[]) : await this.mysqlCall(this.mysqlPool(), sql, params));
    }
    const bound = params.map((p) => (typeof p === 'boolean' ? (p ? 1 : 0) : p));
    this.dataSource.logger.logQuery(sql, bound);
    try {
      const stmt = this.statement(sql);
      if (stmt.reader) return { rows: stmt.all(...bound) as R[], affected: 0 };
      return { rows: [], affected: stmt.run(...bound).changes };
    } catch (err) {
      this.dataSource.logger.logQueryError(err instanceof Error ? err : String(err), sql, bound);
      throw new QueryFailedError(sql, bound, err instanceof Error ? err : new Error(String(err)));
    }
  }

  /**
   * SQLite: a second connection of this process for the raw hot-path reads. A read there sees
   * what is committed, at once: it never queues behind a write group that is still open (whose
   * writes are not visible until committed, and whose callers hear of them only then, so a flow
   * reads its own writes). WAL lets it read while the main connection writes. None for a memory
   * database (a second connection would be another database): reads queue as everything else.
   */
  private sqliteReader(): BetterSqlite3.Database | null {
    if (this.reader !== undefined) return this.reader;
    const file = String(this.dataSource.options.database);
    if (file === ':memory:' || !this.connection) return (this.reader = null);
    const driver = this.dataSource.driver as unknown as { sqlite: new (file: string, options: Record<string, unknown>) => BetterSqlite3.Database };
    const timeout = Number(this.connection.pragma('busy_timeout', { simple: true })) || 5000;
    this.reader = new driver.sqlite(file, { readonly: true, fileMustExist: true, timeout });
    return this.reader;
  }

  private readNow<R>(reader: BetterSqlite3.Database, sql: string, params: readonly SqlParam[]): SqlOutcome<R> {
    const bound = params.map((p) => (typeof p === 'boolean' ? (p ? 1 : 0) : p));
    this.dataSource.logger.logQuery(sql, bound);
    try {
      let stmt = this.readStatements.get(sql);
      if (!stmt) {
        stmt = reader.prepare(sql);
        if (!stmt.reader) throw new TypeError(`StoreDb.query is for reads: ${sql}`);
        if (this.readStatements.size >= 500) this.readStatements.clear();
        this.readStatements.set(sql, stmt);
      }
      return { rows: stmt.all(...bound) as R[], affected: 0 };
    } catch (err) {
      this.dataSource.logger.logQueryError(err instanceof Error ? err : String(err), sql, bound);
      throw new QueryFailedError(sql, bound, err instanceof Error ? err : new Error(String(err)));
    }
  }

  private statement(sql: string): BetterSqlite3.Statement {
    let stmt = this.statements.get(sql);
    if (!stmt) {
      stmt = this.connection!.prepare(sql);
      // A guard, not a cache policy: callers use a fixed set of texts (IN lists padded to a few sizes).
      if (this.statements.size >= 500) this.statements.clear();
      this.statements.set(sql, stmt);
    }
    return stmt;
  }

  /**
   * Runs the steps atomically and returns the rows each changed (0 for a skipped step). SQLite:
   * one (grouped) transaction. MySQL: one multi-statement round trip on the hot pool,
   * `START TRANSACTION; …; COMMIT`, rolled back on error; a deadlock victim is run again.
   * `urgent` (MySQL): a claim, run in its own lane (see MAX_URGENT_SCRIPTS_IN_FLIGHT).
   */
  async atomic(steps: readonly AtomicStep[], options: { urgent?: boolean } = {}): Promise<number[]> {
    if (steps.length === 0) return [];
    if (this.scheduler) {
      return this.transaction(async (em) => {
        const affected: number[] = [];
        for (const step of steps) {
          if (step.ifPreviousChanged && affected[affected.length - 1] !== 1) affected.push(0);
          else affected.push((await this.exec(em, step.sql, step.params)).affected);
        }
        return affected;
      });
    }
    this.mysqlStats.scripts++;
    const lane = options.urgent ? this.urgentScripts : this.scripts;
    return new Promise((resolve, reject) => {
      lane.queue.push({ steps, resolve, reject });
      this.pumpScripts(lane);
    });
  }

  /**
   * MySQL group commit. Up to MAX_SCRIPTS_IN_FLIGHT scripts run at once, each on its own; while
   * they do, the ones that arrive queue, and go together as the next one — a single
   * `START TRANSACTION; …; COMMIT` round trip with one commit (one redo-log flush). Light load
   * sees no delay; under load the round trips and flushes per job fall. A batch that fails is
   * rolled back whole and its scripts run again one by one, so each still succeeds or fails on
   * its own.
   */
  private pumpScripts(lane: ScriptLane): void {
    while (lane.inFlight < lane.max && lane.queue.length > 0) {
      const batch: QueuedScript[] = [];
      let size = 0;
      while (lane.queue.length > 0 && batch.length < MAX_SCRIPTS_PER_BATCH) {
        const next = lane.queue[0]!;
        const nextSize = scriptSize(next.steps);
        if (batch.length > 0 && size + nextSize > MAX_BATCH_BYTES) break;
        batch.push(lane.queue.shift()!);
        size += nextSize;
      }
      lane.inFlight++;
      void this.runScripts(batch).finally(() => {
        lane.inFlight--;
        this.pumpScripts(lane);
      });
    }
  }

  private async runScripts(batch: QueuedScript[]): Promise<void> {
    if (batch.length > 1) {
      try {
        const affected = await this.mysqlAtomic(batch.flatMap((q) => q.steps), 1);
        let at = 0;
        for (const q of batch) {
          q.resolve(affected.slice(at, at + q.steps.length));
          at += q.steps.length;
        }
        return;
      } catch {
        // Rolled back whole: each on its own below, so only the one at fault fails.
      }
    }
    await Promise.all(batch.map((q) => this.mysqlAtomic(q.steps, MAX_LOCK_RETRIES).then(q.resolve, q.reject)));
  }

  /** One `START TRANSACTION; …; COMMIT` round trip; a deadlock victim is run again up to `attempts` times in all. */
  private async mysqlAtomic(steps: readonly AtomicStep[], attempts: number): Promise<number[]> {
    const sql = `START TRANSACTION; ${steps.map((s) => (s.ifPreviousChanged ? s.ifPreviousChanged.conditionalSql : s.sql)).join('; ')}; COMMIT`;
    const params = steps.flatMap((s) => s.params);
    for (let attempt = 1; ; attempt++) {
      try {
        this.mysqlStats.scriptRoundTrips++;
        const results = (await this.mysqlScript(sql, params)) as Array<{ affectedRows?: number }>;
        return steps.map((_, i) => results[i + 1]?.affectedRows ?? 0);
      } catch (err) {
        if (!isRetryableLockError(err) || attempt >= attempts) throw err;
        await new Promise((r) => setTimeout(r, 5 + Math.random() * 20 * attempt));
      }
    }
  }

  /** A multi-statement script on one connection; on failure the transaction it opened is rolled back before the connection goes back. */
  private mysqlScript(sql: string, params: readonly SqlParam[]): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.mysqlPool().getConnection((err, connection) => {
        if (err) return reject(new QueryFailedError(sql, [...params], err));
        connection.query(sql, params, (error, results) => {
          if (!error) {
            connection.release();
            return resolve(results);
          }
          // A statement failed: the ones after it did not run, and the transaction may still be open.
          connection.query('ROLLBACK', [], (rollbackError) => {
            if (rollbackError) connection.destroy();
            else connection.release();
            reject(new QueryFailedError(sql, [...params], error));
          });
        });
      });
    });
  }

  /**
   * Runs `fn` in a write transaction; on MySQL a deadlock victim is run again. On SQLite it
   * settles once its (group's) COMMIT is done. SQLite transactions start with BEGIN IMMEDIATE,
   * which takes the write lock up front (waiting up to busy_timeout for another process):
   * TypeORM's deferred BEGIN would take it at the first write, and a transaction that read
   * first could then fail at once with SQLITE_BUSY_SNAPSHOT.
   */
  transaction<T>(fn: (em: EntityManager) => Promise<T>): Promise<T> {
    if (this.scheduler) return this.scheduler.transaction(this.connection!, () => fn(this.dataSource.manager));
    return this.mysqlTransaction(fn);
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

/** Pads an IN list to one of a few lengths (repeating its last value), so only a few statement texts exist. */
export function padInList<T>(values: readonly T[]): T[] {
  if (values.length === 0) return [];
  let size = 1;
  while (size < values.length) size *= 2;
  const padded = [...values];
  while (padded.length < size) padded.push(values[values.length - 1]!);
  return padded;
}

/** `?, ?, …` for n placeholders. */
export function placeholders(n: number): string {
  return new Array<string>(n).fill('?').join(', ');
}
