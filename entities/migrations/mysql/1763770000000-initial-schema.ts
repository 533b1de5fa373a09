import type { MigrationInterface, QueryRunner } from 'typeorm';
import { binaryCollation } from './binary-collation.js';

/**
 * The first schema, MySQL/MariaDB dialect: InnoDB, utf8mb4 with a binary collation, `longtext`
 * where SQLite has `text`, epoch-ms `bigint` instants. MySQL commits DDL at once, so every
 * table is `IF NOT EXISTS`: a run that died half-way can simply be run again.
 */
export class InitialSchemaMysql1763770000000 implements MigrationInterface {
  name = 'InitialSchemaMysql1763770000000';

  async up(q: QueryRunner): Promise<void> {
    const table = `ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=${await binaryCollation(q)}`;
    await q.query(
      'CREATE TABLE IF NOT EXISTS `jobs` (`id` varchar(32) NOT NULL, `agent` varchar(64) NOT NULL, `message` longtext NOT NULL, ' +
        '`requester_identity` varchar(255) NOT NULL, `requester_name` varchar(255) NULL, `thread` longtext NULL, ' +
        '`state` varchar(16) NOT NULL, `reason` longtext NULL, `version` int NOT NULL, `attempt` int NOT NULL, ' +
        '`lease_id` varchar(64) NULL, `ack_deadline` bigint NULL, `expires_at` bigint NOT NULL, `timeout_ms` int NOT NULL, ' +
        '`exit_code` int NULL, `output` longtext NULL, `output_truncated` tinyint NOT NULL DEFAULT 0, `parent_id` varchar(32) NULL, ' +
        '`idempotency_scope` varchar(128) NULL, `idempotency_key` varchar(255) NULL, `idempotency_fingerprint` varchar(128) NULL, ' +
        '`created_at` bigint NOT NULL, `sent_at` bigint NULL, `running_at` bigint NULL, `finished_at` bigint NULL, ' +
        '`updated_at` bigint NOT NULL, ' +
        'UNIQUE INDEX `uq_jobs_idempotency` (`idempotency_scope`, `idempotency_key`), ' +
        'INDEX `idx_jobs_agent_state_created` (`agent`, `state`, `created_at`), ' +
        'INDEX `idx_jobs_state_ack_deadline` (`state`, `ack_deadline`), ' +
        'INDEX `idx_jobs_state_expires` (`state`, `expires_at`), ' +
        'INDEX `idx_jobs_requester_created` (`requester_identity`, `created_at`), ' +
        'INDEX `idx_jobs_parent` (`parent_id`), ' +
        'INDEX `idx_jobs_created` (`created_at`), ' +
        `PRIMARY KEY (\`id\`)) ${table}`,
    );
    await q.query(
      'CREATE TABLE IF NOT EXISTS `job_outputs` (`job_id` varchar(32) NOT NULL, `seq` int NOT NULL, `data` longtext NOT NULL, ' +
        `\`size\` int NOT NULL, \`created_at\` bigint NOT NULL, PRIMARY KEY (\`job_id\`, \`seq\`)) ${table}`,
    );
    await q.query(
      'CREATE TABLE IF NOT EXISTS `agents` (`name` varchar(64) NOT NULL, `labels` longtext NOT NULL, `reported_labels` longtext NULL, ' +
        '`status` varchar(16) NOT NULL, `last_seen_at` bigint NULL, `version` varchar(128) NULL, `host` varchar(255) NULL, ' +
        '`os` varchar(255) NULL, `revoked_at` bigint NULL, `created_at` bigint NOT NULL, ' +
        `INDEX \`idx_agents_status_seen\` (\`status\`, \`last_seen_at\`), PRIMARY KEY (\`name\`)) ${table}`,
    );
    await q.query(
      'CREATE TABLE IF NOT EXISTS `api_tokens` (`id` varchar(64) NOT NULL, `kind` varchar(16) NOT NULL, `subject` varchar(255) NOT NULL, ' +
        '`name` varchar(255) NOT NULL, `hash` varchar(128) NOT NULL, `created_at` bigint NOT NULL, `revoked_at` bigint NULL, ' +
        `\`last_used_at\` bigint NULL, INDEX \`idx_api_tokens_kind_subject\` (\`kind\`, \`subject\`), PRIMARY KEY (\`id\`)) ${table}`,
    );
    await q.query(
      'CREATE TABLE IF NOT EXISTS `audit_log` (`id` int NOT NULL AUTO_INCREMENT, `occurred_at` bigint NOT NULL, ' +
        '`actor` varchar(255) NOT NULL, `action` varchar(128) NOT NULL, `target` longtext NULL, `decision` varchar(8) NOT NULL, ' +
        `\`detail\` longtext NULL, INDEX \`idx_audit_actor\` (\`actor\`, \`id\`), PRIMARY KEY (\`id\`)) ${table}`,
    );
    await q.query(
      'CREATE TABLE IF NOT EXISTS `outbox_events` (`id` varchar(255) NOT NULL, `name` varchar(64) NOT NULL, `payload` longtext NOT NULL, ' +
        '`created_at` bigint NOT NULL, `claim_until` bigint NOT NULL, `claim_token` varchar(32) NULL, `relayed_at` bigint NULL, ' +
        `INDEX \`idx_outbox_relayed_claim\` (\`relayed_at\`, \`claim_until\`), PRIMARY KEY (\`id\`)) ${table}`,
    );
    await q.query(
      'CREATE TABLE IF NOT EXISTS `replies` (`job_id` varchar(32) NOT NULL, `reply_key` varchar(64) NOT NULL, `state` varchar(16) NOT NULL, ' +
        '`owner` varchar(128) NOT NULL, `claimed_until` bigint NOT NULL, `message_id` longtext NULL, `sent_at` bigint NULL, ' +
        `PRIMARY KEY (\`job_id\`, \`reply_key\`)) ${table}`,
    );
    await q.query(
      'CREATE TABLE IF NOT EXISTS `kv_entries` (`id` varchar(255) NOT NULL, `value` longtext NOT NULL, `expires_at` bigint NULL, ' +
        `\`updated_at\` bigint NOT NULL, INDEX \`idx_kv_expires\` (\`expires_at\`), PRIMARY KEY (\`id\`)) ${table}`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['kv_entries', 'replies', 'outbox_events', 'audit_log', 'api_tokens', 'agents', 'job_outputs', 'jobs']) {
      await q.query(`DROP TABLE IF EXISTS \`${table}\``);
    }
  }
}
