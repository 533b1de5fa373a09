import { ACTIVE_STATES, SkadiError, TERMINAL_STATES } from '../core/index.js';
import type { FanOutPlan, FanOutStore, Job, NewJob, OutboxEvent, TransitionResult } from '../core/index.js';
import type { JobEntity } from '../../entities/index.js';
import { isUniqueViolation } from './db-errors.js';
import { newJobRow, toJob } from './job-row.js';
import { jobStatusEvent, outboxRow } from './job-status-event.js';
import { JobSql } from './job-sql.js';
import type { SqlParam, StoreDb } from './store-db.js';

const inList = (values: readonly string[]) => values.map(() => '?').join(', ');

/**
 * Fan-out parents over the jobs table. Kept apart from the job store's hot path (job-sql.ts):
 * these statements run once per child that finishes, not per poll. The parent's plan changes
 * only by a compare-and-set on its version, with a progress event in the same transaction.
 */
export class TypeormFanOutStore implements FanOutStore {
  private readonly sql: JobSql;
  private readonly updatePlan: string;
  private readonly selectRunning: string;
  private readonly selectOrphans: string;

  constructor(private readonly db: StoreDb) {
    this.sql = new JobSql(db);
    const columns = this.sql.job.columnList;
    this.updatePlan = db.sql(`UPDATE "jobs" SET "fanout" = ?, "updated_at" = ?, "version" = "version" + 1 WHERE "id" = ? AND "version" = ? AND "state" = 'running'`);
    this.selectRunning = db.sql(`SELECT ${columns} FROM "jobs" WHERE "kind" = 'fanout' AND "state" = 'running' ORDER BY "created_at" ASC, "id" ASC LIMIT ?`);
    this.selectOrphans = db.sql(
      `SELECT ${columns} FROM "jobs" WHERE "state" IN (${inList(ACTIVE_STATES)}) AND "parent_id" IN ` +
        `(SELECT "id" FROM "jobs" WHERE "kind" = 'fanout' AND "state" IN (${inList(TERMINAL_STATES)})) ORDER BY "created_at" ASC, "id" ASC LIMIT ?`,
    );
  }

  async createParent(job: NewJob, plan: FanOutPlan, outboxClaimUntil: Date): Promise<TransitionResult> {
    const created = job.createdAt.getTime();
    // A parent is never handed to an agent: it is born running and ends when its children have.
    const row: JobEntity = { ...newJobRow(job), state: 'running', runningAt: created, finishedAt: null, kind: 'fanout', fanout: JSON.stringify(plan) };
    const event = jobStatusEvent(row, null, job.createdAt);
    try {
      await this.db.atomic([
        { sql: this.sql.insertJob, params: this.sql.job.params(row) },
        { sql: this.sql.insertOutbox, params: JobSql.outboxParams(outboxRow(event, outboxClaimUntil)) },
      ]);
    } catch (err) {
      // The same request raced past the service's lookup (same Idempotency-Key or chat message id).
      if (job.idempotency && isUniqueViolation(err)) {
        throw new SkadiError('SKADI_IDEMPOTENCY_CONFLICT', 'this Idempotency-Key was already used', { sameKey: true });
      }
      throw err;
    }
    return { job: toJob(row), event };
  }

  async advance(parentId: string, expectVersion: number, plan: FanOutPlan, at: Date, outboxClaimUntil: Date): Promise<TransitionResult | null> {
    const current = await this.row(parentId);
    if (!current || current.version !== expectVersion || current.state !== 'running') return null;
    const row: JobEntity = { ...current, fanout: JSON.stringify(plan), updatedAt: at.getTime(), version: current.version + 1 };
    const base = jobStatusEvent(row, 'running', at);
    const event: OutboxEvent<'EventJobStatus'> = { ...base, payload: { ...base.payload, reason: 'progress' } };
    const params: SqlParam[] = [row.fanout, row.updatedAt, parentId, expectVersion];
    const affected = await this.db.atomic([
      { sql: this.updatePlan, params },
      { sql: this.sql.insertOutbox, params: JobSql.outboxParams(outboxRow(event, outboxClaimUntil)), ifPreviousChanged: { conditionalSql: this.sql.insertOutboxIfChanged } },
    ]);
    return affected[0] === 1 ? { job: toJob(row), event } : null;
  }

  async findRunningParents(limit: number): Promise<Job[]> {
    return this.select(this.selectRunning, [limit]);
  }

  async findOrphanedChildren(limit: number): Promise<Job[]> {
    return this.select(this.selectOrphans, [...ACTIVE_STATES, ...TERMINAL_STATES, limit]);
  }

  private async row(id: string): Promise<JobEntity | null> {
    const { rows } = await this.db.query(this.sql.selectById, [id]);
    return rows[0] ? this.sql.job.fromRaw(rows[0]) : null;
  }

  private async select(sql: string, params: SqlParam[]): Promise<Job[]> {
    const { rows } = await this.db.query(sql, params);
    return rows.map((raw) => toJob(this.sql.job.fromRaw(raw)));
  }
}
