import type { MigrationInterface, QueryRunner } from 'typeorm';

/** Signed jobs: the server's Ed25519 signature, stored with the job when it is created. */
export class JobSignatureSqlite1764000000000 implements MigrationInterface {
  name = 'JobSignatureSqlite1764000000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "jobs" ADD COLUMN "signature" varchar(128)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "jobs" DROP COLUMN "signature"`);
  }
}
