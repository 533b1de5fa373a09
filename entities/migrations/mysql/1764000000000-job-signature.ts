import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Signed jobs: the server's Ed25519 signature, stored with the job when it is created. MySQL
 * commits DDL at once and MySQL 8 has no `ADD COLUMN IF NOT EXISTS`, so the column is looked up
 * first: a run that died after the ALTER can simply be run again.
 */
export class JobSignatureMysql1764000000000 implements MigrationInterface {
  name = 'JobSignatureMysql1764000000000';

  async up(q: QueryRunner): Promise<void> {
    if (await q.hasColumn('jobs', 'signature')) return;
    await q.query('ALTER TABLE `jobs` ADD COLUMN `signature` varchar(128) NULL');
  }

  async down(q: QueryRunner): Promise<void> {
    if (!(await q.hasColumn('jobs', 'signature'))) return;
    await q.query('ALTER TABLE `jobs` DROP COLUMN `signature`');
  }
}
