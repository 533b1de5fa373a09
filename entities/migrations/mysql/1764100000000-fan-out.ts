import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Fan-out: a parent job's kind and its plan (selector, options, targets, progress) as JSON.
 * MySQL commits DDL at once, so each step checks first: a run that died half-way can simply be
 * run again.
 */
export class FanOutMysql1764100000000 implements MigrationInterface {
  name = 'FanOutMysql1764100000000';

  async up(q: QueryRunner): Promise<void> {
    if (!(await q.hasColumn('jobs', 'kind'))) await q.query('ALTER TABLE `jobs` ADD COLUMN `kind` varchar(16) NULL');
    if (!(await q.hasColumn('jobs', 'fanout'))) await q.query('ALTER TABLE `jobs` ADD COLUMN `fanout` longtext NULL');
    if (!(await hasIndex(q))) await q.query('CREATE INDEX `idx_jobs_kind_state` ON `jobs` (`kind`, `state`)');
  }

  async down(q: QueryRunner): Promise<void> {
    if (await hasIndex(q)) await q.query('DROP INDEX `idx_jobs_kind_state` ON `jobs`');
    if (await q.hasColumn('jobs', 'fanout')) await q.query('ALTER TABLE `jobs` DROP COLUMN `fanout`');
    if (await q.hasColumn('jobs', 'kind')) await q.query('ALTER TABLE `jobs` DROP COLUMN `kind`');
  }
}

async function hasIndex(q: QueryRunner): Promise<boolean> {
  const rows = (await q.query("SELECT 1 FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'jobs' AND INDEX_NAME = 'idx_jobs_kind_state' LIMIT 1")) as unknown[];
  return rows.length > 0;
}
