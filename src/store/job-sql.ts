import { JobEntity, type OutboxEventEntity } from '../../entities/index.js';
import { RawEntity } from './raw-entity.js';
import type { SqlParam, StoreDb } from './store-db.js';

/**
 * Raw SQL of the job hot path (get, claim, transitions, outbox writes, output chunks), bound
 * with parameters so SQLite prepares each text once. Column lists mirror the entities; the
 * schema itself stays with the migrations.
 */

/** The hot-path statements of one StoreDb, in its dialect. */
export class JobSql {
  readonly selectById: string;
  readonly selectQueued: string;
  readonly insertJob: string;
  readonly insertOutbox: string;
  /** MySQL: the outbox INSERT that runs only if the UPDATE before it changed one row (see StoreDb.atomic). */
  readonly insertOutboxIfChanged: string;
  readonly insertOutput: string;
  /** An audit entry written in a job's transaction (see NewJob.audit). */
  readonly insertAudit: string;
  readonly outputStats: string;
  readonly outputChunks: string;
  /** The jobs row: column list, raw row → entity, entity → parameters. */
  readonly job: RawEntity<JobEntity>;
  private readonly selectColumns: string;
  private readonly byIds = new Map<number, string>();

  constructor(private readonly db: StoreDb) {
    this.job = new RawEntity(db, JobEntity);
    this.selectColumns = this.job.columnList;
    this.selectById = db.sql(`SELECT ${this.selectColumns} FROM "jobs" WHERE "id" = ?`);
    // The idle poll's one statement, on idx_jobs_agent_state_created — named, because SQLite's
    // planner (no ANALYZE statistics) otherwise takes idx_jobs_state_expires for the range on
    // expires_at and reads every queued job of every agent on each poll (1+ ms with a backlog).
    const queuedIndex = db.dialect === 'sqlite' ? 'INDEXED BY "idx_jobs_agent_state_created"' : 'FORCE INDEX ("idx_jobs_agent_state_created")';
    this.selectQueued = db.sql(`SELECT ${this.selectColumns} FROM "jobs" ${queuedIndex} WHERE "agent" = ? AND "state" = ? AND "expires_at" >= ? ORDER BY "created_at" ASC, "id" ASC LIMIT ?`);
    this.insertJob = db.sql(`INSERT INTO "jobs" (${this.selectColumns}) VALUES (${this.job.placeholders})`);
    this.insertOutbox = db.sql(`INSERT INTO "outbox_events" ("id", "name", "payload", "created_at", "claim_until", "claim_token", "relayed_at") VALUES (?, ?, ?, ?, ?, NULL, NULL)`);
    this.insertOutboxIfChanged = db.sql(`INSERT INTO "outbox_events" ("id", "name", "payload", "created_at", "claim_until", "claim_token", "relayed_at") SELECT ?, ?, ?, ?, ?, NULL, NULL FROM DUAL WHERE ROW_COUNT() = 1`);
    this.insertAudit = db.sql(`INSERT INTO "audit_log" ("occurred_at", "actor", "action", "target", "decision", "detail") VALUES (?, ?, ?, ?, ?, ?)`);
    this.insertOutput = db.sql(`INSERT INTO "job_outputs" ("job_id", "seq", "data", "size", "created_at") VALUES (?, ?, ?, ?, ?)`);
    this.outputStats = db.sql(`SELECT COUNT(*) AS "chunks", MAX("seq") AS "maxSeq", SUM("size") AS "size" FROM "job_outputs" WHERE "job_id" = ?`);
    this.outputChunks = db.sql(`SELECT "data" FROM "job_outputs" WHERE "job_id" = ? ORDER BY "seq" ASC`);
  }

  /** SELECT of the jobs whose id is in a list of exactly `n` placeholders. */
  selectByIds(n: number): string {
    let sql = this.byIds.get(n);
    if (!sql) this.byIds.set(n, (sql = this.db.sql(`SELECT ${this.selectColumns} FROM "jobs" WHERE "id" IN (${new Array<string>(n).fill('?').join(', ')})`)));
    return sql;
  }

  static outboxParams(row: OutboxEventEntity): SqlParam[] {
    return [row.id, row.name, row.payload, row.createdAt, row.claimUntil];
  }
}
