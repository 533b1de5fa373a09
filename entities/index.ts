import { AgentEntity } from './agent.entity.js';
import { ApiTokenEntity } from './api-token.entity.js';
import { AuditLogEntity } from './audit-log.entity.js';
import { JobOutputEntity } from './job-output.entity.js';
import { JobEntity } from './job.entity.js';
import { KvEntryEntity } from './kv-entry.entity.js';
import { OutboxEventEntity } from './outbox-event.entity.js';
import { ReplyEntity } from './reply.entity.js';

export { AgentEntity, ApiTokenEntity, AuditLogEntity, JobOutputEntity, JobEntity, KvEntryEntity, OutboxEventEntity, ReplyEntity };
export { applyDialectColumnTypes } from './dialect-column-types.js';

/** Every entity of the schema, for the DataSource. */
export const ENTITIES = [
  JobEntity,
  JobOutputEntity,
  AgentEntity,
  ApiTokenEntity,
  AuditLogEntity,
  OutboxEventEntity,
  ReplyEntity,
  KvEntryEntity,
] as const;
