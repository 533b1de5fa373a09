import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Fan-out: a parent job's kind and its plan (selector, options, targets, progress) as JSON. */
export class FanOutSqlite1764100000000 implements MigrationInterface {
  name = 'FanOutSqlite1764100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "jobs" ADD COLUMN "kind" varchar(16)`);
    await q.query(`ALTER TABLE "jobs" ADD COLUMN "fanout" text`);
    await q.query(`CREATE INDEX "idx_jobs_kind_state" ON "jobs" ("kind", "state") `);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX "idx_jobs_kind_state"`);
    await q.query(`ALTER TABLE "jobs" DROP COLUMN "fanout"`);
    await q.query(`ALTER TABLE "jobs" DROP COLUMN "kind"`);
  }
}
