import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The first schema, SQLite dialect. Instants are epoch-ms `bigint`s; JSON is `text`. */
export class InitialSchemaSqlite1763770000000 implements MigrationInterface {
  name = 'InitialSchemaSqlite1763770000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `CREATE TABLE "jobs" ("id" varchar(32) PRIMARY KEY NOT NULL, "agent" varchar(64) NOT NULL, "message" text NOT NULL, ` +
        `"requester_identity" varchar(255) NOT NULL, "requester_name" varchar(255), "thread" text, "state" varchar(16) NOT NULL, ` +
        `"reason" text, "version" integer NOT NULL, "attempt" integer NOT NULL, "lease_id" varchar(64), "ack_deadline" bigint, ` +
        `"expires_at" bigint NOT NULL, "timeout_ms" integer NOT NULL, "exit_code" integer, "output" text, ` +
        `"output_truncated" boolean NOT NULL DEFAULT (0), "parent_id" varchar(32), "idempotency_scope" varchar(128), ` +
        `"idempotency_key" varchar(255), "idempotency_fingerprint" varchar(128), "created_at" bigint NOT NULL, ` +
        `"sent_at" bigint, "running_at" bigint, "finished_at" bigint, "updated_at" bigint NOT NULL)`,
    );
    await q.query(`CREATE UNIQUE INDEX "uq_jobs_idempotency" ON "jobs" ("idempotency_scope", "idempotency_key") `);
    await q.query(`CREATE INDEX "idx_jobs_agent_state_created" ON "jobs" ("agent", "state", "created_at") `);
    await q.query(`CREATE INDEX "idx_jobs_state_ack_deadline" ON "jobs" ("state", "ack_deadline") `);
    await q.query(`CREATE INDEX "idx_jobs_state_expires" ON "jobs" ("state", "expires_at") `);
    await q.query(`CREATE INDEX "idx_jobs_requester_created" ON "jobs" ("requester_identity", "created_at") `);
    await q.query(`CREATE INDEX "idx_jobs_parent" ON "jobs" ("parent_id") `);
    await q.query(`CREATE INDEX "idx_jobs_created" ON "jobs" ("created_at") `);

    await q.query(
      `CREATE TABLE "job_outputs" ("job_id" varchar(32) NOT NULL, "seq" integer NOT NULL, "data" text NOT NULL, ` +
        `"size" integer NOT NULL, "created_at" bigint NOT NULL, PRIMARY KEY ("job_id", "seq"))`,
    );

    await q.query(
      `CREATE TABLE "agents" ("name" varchar(64) PRIMARY KEY NOT NULL, "labels" text NOT NULL, "reported_labels" text, ` +
        `"status" varchar(16) NOT NULL, "last_seen_at" bigint, "version" varchar(128), "host" varchar(255), "os" varchar(255), ` +
        `"revoked_at" bigint, "created_at" bigint NOT NULL)`,
    );
    await q.query(`CREATE INDEX "idx_agents_status_seen" ON "agents" ("status", "last_seen_at") `);

    await q.query(
      `CREATE TABLE "api_tokens" ("id" varchar(64) PRIMARY KEY NOT NULL, "kind" varchar(16) NOT NULL, "subject" varchar(255) NOT NULL, ` +
        `"name" varchar(255) NOT NULL, "hash" varchar(128) NOT NULL, "created_at" bigint NOT NULL, "revoked_at" bigint, "last_used_at" bigint)`,
    );
    await q.query(`CREATE INDEX "idx_api_tokens_kind_subject" ON "api_tokens" ("kind", "subject") `);

    await q.query(
      `CREATE TABLE "audit_log" ("id" integer PRIMARY KEY AUTOINCREMENT NOT NULL, "occurred_at" bigint NOT NULL, ` +
        `"actor" varchar(255) NOT NULL, "action" varchar(128) NOT NULL, "target" text, "decision" varchar(8) NOT NULL, "detail" text)`,
    );
    await q.query(`CREATE INDEX "idx_audit_actor" ON "audit_log" ("actor", "id") `);

    await q.query(
      `CREATE TABLE "outbox_events" ("id" varchar(255) PRIMARY KEY NOT NULL, "name" varchar(64) NOT NULL, "payload" text NOT NULL, ` +
        `"created_at" bigint NOT NULL, "claim_until" bigint NOT NULL, "claim_token" varchar(32), "relayed_at" bigint)`,
    );
    await q.query(`CREATE INDEX "idx_outbox_relayed_claim" ON "outbox_events" ("relayed_at", "claim_until") `);

    await q.query(
      `CREATE TABLE "replies" ("job_id" varchar(32) NOT NULL, "reply_key" varchar(64) NOT NULL, "state" varchar(16) NOT NULL, ` +
        `"owner" varchar(128) NOT NULL, "claimed_until" bigint NOT NULL, "message_id" text, "sent_at" bigint, ` +
        `PRIMARY KEY ("job_id", "reply_key"))`,
    );

    await q.query(
      `CREATE TABLE "kv_entries" ("id" varchar(255) PRIMARY KEY NOT NULL, "value" text NOT NULL, "expires_at" bigint, ` +
        `"updated_at" bigint NOT NULL)`,
    );
    await q.query(`CREATE INDEX "idx_kv_expires" ON "kv_entries" ("expires_at") `);
  }

  async down(q: QueryRunner): Promise<void> {
    // Indexes go with their tables.
    for (const table of ['kv_entries', 'replies', 'outbox_events', 'audit_log', 'api_tokens', 'agents', 'job_outputs', 'jobs']) {
      await q.query(`DROP TABLE "${table}"`);
    }
  }
}
