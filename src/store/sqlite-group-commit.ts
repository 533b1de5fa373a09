import { setImmediate as nextTurn } from 'node:timers';
import type BetterSqlite3 from 'better-sqlite3';

/** Work queued on a SQLite file: what it runs on, and how it is settled. */
interface Op {
  /** The better-sqlite3 connection the work uses (one per DataSource). */
  connection: BetterSqlite3.Database;
  /** `tx`: a write transaction (own savepoint in the group); `run`: statements outside one. */
  kind: 'tx' | 'run' | 'alone';
  fn: () => Promise<unknown>;
  resolve: (value: unknown) => void;
  reject: (err: unknown) => void;
}

type Settled = { op: Op; ok: true; value: unknown } | { op: Op; ok: false; error: unknown };

export interface GroupCommitOptions {
  /** Most operations committed together. */
  maxOps?: number;
  /** Longest a group stays open while more work keeps arriving, ms. */
  maxOpenMs?: number;
  /** Busy when 8 groups ended within this many ms: then even a lone transaction waits one turn for company. */
  busyWindowMs?: number;
}

/** Busy: this many groups ended within `busyWindowMs` (default 8 ms: over ~1000 commits a second). */
const BUSY_GROUPS = 8;

type Control = 'BEGIN IMMEDIATE' | 'COMMIT' | 'ROLLBACK' | 'SAVEPOINT skadi_tx' | 'RELEASE skadi_tx' | 'ROLLBACK TO skadi_tx';
const controlStatements = new WeakMap<BetterSqlite3.Database, Map<Control, BetterSqlite3.Statement>>();

/**
 * Serialises every operation on one SQLite file in this process (better-sqlite3 is synchronous
 * and has one connection per DataSource, so two operations must never interleave) and commits
 * write transactions in groups.
 *
 * A write transaction queued while others are pending does not get a BEGIN … COMMIT of its
 * own: the scheduler opens one `BEGIN IMMEDIATE`, runs each transaction in its own SAVEPOINT
 * (one that throws is rolled back alone), lets the event loop turn once when the queue runs
 * dry under load so that requests that arrived meanwhile can join, and COMMITs the group. Each caller's
 * promise settles only after that COMMIT, so nobody acts on a write that is not durable yet:
 * per transaction the guarantees are those of a transaction of its own, while the commit
 * (WAL append, and fsync with synchronous=FULL) is paid once per group. Plain operations
 * (`run`) queued while a group is open run inside it and settle with it; outside a group they
 * run as before, each statement its own autocommit.
 *
 * Operations of another connection on the same file (a second DataSource, as the two-process
 * tests use) wait until the group is committed, then run.
 */
export class SqliteGroupCommit {
  private readonly queue: Op[] = [];
  private draining = false;
  private readonly maxOps: number;
  private readonly maxOpenMs: number;
  private readonly busyWindowMs: number;
  /** Per connection, what sees its control statements (BEGIN, SAVEPOINT, COMMIT, …): TypeORM's query log. */
  private readonly loggers = new WeakMap<BetterSqlite3.Database, (sql: string) => void>();
  /** When the last BUSY_GROUPS groups ended (performance.now()), oldest first. */
  private readonly recentEnds: number[] = [];

  constructor(options: GroupCommitOptions = {}) {
    this.maxOps = options.maxOps ?? 256;
    this.maxOpenMs = options.maxOpenMs ?? 4;
    this.busyWindowMs = options.busyWindowMs ?? 8;
  }

  setLogger(connection: BetterSqlite3.Database, log: (sql: string) => void): void {
    this.loggers.set(connection, log);
  }

  private control(connection: BetterSqlite3.Database, sql: Control): void {
    let prepared = controlStatements.get(connection);
    if (!prepared) controlStatements.set(connection, (prepared = new Map()));
    let stmt = prepared.get(sql);
    if (!stmt) prepared.set(sql, (stmt = connection.prepare(sql)));
    this.loggers.get(connection)?.(sql);
    stmt.run();
  }

  /** Statements outside a transaction (joins the open group, if any, and settles with it). */
  run<T>(connection: BetterSqlite3.Database, fn: () => Promise<T>): Promise<T> {
    return this.enqueue(connection, 'run', fn);
  }

  /** A write transaction. */
  transaction<T>(connection: BetterSqlite3.Database, fn: () => Promise<T>): Promise<T> {
    return this.enqueue(connection, 'tx', fn);
  }

  /** Work that manages transactions itself (migrations): never inside a group. */
  alone<T>(connection: BetterSqlite3.Database, fn: () => Promise<T>): Promise<T> {
    return this.enqueue(connection, 'alone', fn);
  }

  private enqueue<T>(connection: BetterSqlite3.Database, kind: Op['kind'], fn: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ connection, kind, fn, resolve: resolve as (v: unknown) => void, reject });
      if (!this.draining) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.draining = true;
    try {
      while (this.queue.length > 0) {
        const head = this.queue[0]!;
        if (head.kind === 'tx') await this.runGroup(head.connection);
        else {
          this.queue.shift();
          await settle(head);
        }
      }
    } finally {
      this.draining = false;
    }
  }

  /**
   * Runs the transactions (and plain operations) of `connection` at the head of the queue in
   * one BEGIN … COMMIT. The first transaction needs no savepoint: if it fails, nothing else is
   * in the group yet and the whole transaction is rolled back, as it would be on its own.
   */
  private async runGroup(connection: BetterSqlite3.Database): Promise<void> {
    const done: Settled[] = [];
    try {
      this.control(connection, 'BEGIN IMMEDIATE');
    } catch (err) {
      // Another process held the write lock past busy_timeout: this transaction fails, the rest try again.
      this.queue.shift()!.reject(err);
      return;
    }
    const openedAt = Date.now();
    /** The operation whose savepoint statements are running (it settles with the group if they fail). */
    let running: Op | null = null;
    try {
      for (;;) {
        const op = this.queue[0];
        if (!op || op.connection !== connection || op.kind === 'alone' || done.length >= this.maxOps) {
          // Dry under load (the group already holds several, or groups have been ending back to
          // back): let the event loop turn once, so requests that are already in can join. Under
          // throughput load every HTTP request arrives in its own callback, so without the second
          // condition each one committed alone (~3.7 commits per job, 0.11 ms each); with it a
          // group holds ~10 and the server's CPU per job fell by a third. A lone operation at light
          // load commits at once: there is nothing to share the commit with, and the turn would
          // only add latency (a claim is on the dispatch path).
          if (!op && (done.length >= 2 || (done.length === 1 && this.busy())) && done.length < this.maxOps && Date.now() - openedAt < this.maxOpenMs) {
            await new Promise<void>((resolve) => nextTurn(resolve));
            if (this.queue.length > 0) continue;
          }
          break;
        }
        this.queue.shift();
        if (done.length === 0) {
          const result = await attempt(op);
          if (!result.ok) {
            this.rollback(connection);
            op.reject(result.error);
            return;
          }
          done.push(result);
        } else {
          running = op;
          done.push(op.kind === 'tx' ? await this.inSavepoint(connection, op) : await attempt(op));
          running = null;
        }
        if (!connection.inTransaction) {
          // SQLite rolled the whole transaction back (I/O error, disk full): the group is lost.
          const last = done[done.length - 1]!;
          throw last.ok ? new Error('the SQLite transaction was rolled back') : last.error;
        }
      }
    } catch (err) {
      // A control statement failed, or SQLite aborted the transaction: nothing of the group is kept.
      this.rollback(connection);
      for (const d of done) d.op.reject(d.ok ? err : d.error);
      running?.reject(err);
      return;
    }
    this.groupEnded();
    try {
      this.control(connection, 'COMMIT');
    } catch (err) {
      this.rollback(connection);
      for (const d of done) d.op.reject(d.ok ? err : d.error);
      return;
    }
    for (const d of done) {
      if (d.ok) d.op.resolve(d.value);
      else d.op.reject(d.error);
    }
  }

  /** Many groups ended just now: a lone transaction waits one turn for company rather than commit alone. */
  private busy(): boolean {
    return this.recentEnds.length >= BUSY_GROUPS && performance.now() - this.recentEnds[0]! < this.busyWindowMs;
  }

  private groupEnded(): void {
    this.recentEnds.push(performance.now());
    if (this.recentEnds.length > BUSY_GROUPS) this.recentEnds.shift();
  }

  private rollback(connection: BetterSqlite3.Database): void {
    try {
      if (connection.inTransaction) this.control(connection, 'ROLLBACK');
    } catch {
      // nothing more to undo
    }
  }

  private async inSavepoint(connection: BetterSqlite3.Database, op: Op): Promise<Settled> {
    this.control(connection, 'SAVEPOINT skadi_tx');
    const result = await attempt(op);
    if (!connection.inTransaction) return result;
    if (result.ok) this.control(connection, 'RELEASE skadi_tx');
    else {
      this.control(connection, 'ROLLBACK TO skadi_tx');
      this.control(connection, 'RELEASE skadi_tx');
    }
    return result;
  }
}

async function attempt(op: Op): Promise<Settled> {
  try {
    return { op, ok: true, value: await op.fn() };
  } catch (error) {
    return { op, ok: false, error };
  }
}

async function settle(op: Op): Promise<void> {
  const result = await attempt(op);
  if (result.ok) op.resolve(result.value);
  else op.reject(result.error);
}
