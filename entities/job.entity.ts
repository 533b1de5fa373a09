import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { JobState } from '../src/core/index.js';
import { epochMs } from './transformers.js';

/** One job: the message, where to reply, its state machine fields and its collected output. */
@Entity('jobs')
@Index('idx_jobs_agent_state_created', ['agent', 'state', 'createdAt'])
@Index('idx_jobs_state_ack_deadline', ['state', 'ackDeadline'])
@Index('idx_jobs_state_expires', ['state', 'expiresAt'])
@Index('idx_jobs_requester_created', ['requesterIdentity', 'createdAt'])
@Index('idx_jobs_parent', ['parentId'])
@Index('idx_jobs_created', ['createdAt'])
@Index('idx_jobs_kind_state', ['kind', 'state'])
@Index('uq_jobs_idempotency', ['idempotencyScope', 'idempotencyKey'], { unique: true })
export class JobEntity {
  @PrimaryColumn('varchar', { length: 32 })
  id: string;

  @Column('varchar', { length: 64 })
  agent: string;

  @Column('text')
  message: string;

  @Column('varchar', { name: 'requester_identity', length: 255 })
  requesterIdentity: string;

  @Column('varchar', { name: 'requester_name', length: 255, nullable: true })
  requesterName: string | null;

  /** ThreadRef as JSON. */
  @Column('text', { nullable: true })
  thread: string | null;

  @Column('varchar', { length: 16 })
  state: JobState;

  @Column('text', { nullable: true })
  reason: string | null;

  @Column('integer')
  version: number;

  @Column('integer')
  attempt: number;

  @Column('varchar', { name: 'lease_id', length: 64, nullable: true })
  leaseId: string | null;

  @Column('bigint', { name: 'ack_deadline', nullable: true, transformer: epochMs })
  ackDeadline: number | null;

  @Column('bigint', { name: 'expires_at', transformer: epochMs })
  expiresAt: number;

  @Column('integer', { name: 'timeout_ms' })
  timeoutMs: number;

  @Column('integer', { name: 'exit_code', nullable: true })
  exitCode: number | null;

  @Column('text', { nullable: true })
  output: string | null;

  @Column('boolean', { name: 'output_truncated', default: false })
  outputTruncated: boolean;

  @Column('varchar', { name: 'parent_id', length: 32, nullable: true })
  parentId: string | null;

  @Column('varchar', { name: 'idempotency_scope', length: 128, nullable: true })
  idempotencyScope: string | null;

  @Column('varchar', { name: 'idempotency_key', length: 255, nullable: true })
  idempotencyKey: string | null;

  @Column('varchar', { name: 'idempotency_fingerprint', length: 128, nullable: true })
  idempotencyFingerprint: string | null;

  /** Ed25519 signature of the job, made by the server at creation (see src/core/job-signature.ts); null for unsigned jobs. */
  @Column('varchar', { length: 128, nullable: true })
  signature: string | null;

  /** `fanout` for a fan-out parent (never handed to an agent); null for an ordinary job. */
  @Column('varchar', { length: 16, nullable: true })
  kind: string | null;

  /** A fan-out parent's plan and progress (FanOutPlan as JSON), changed only by a compare-and-set on `version`. */
  @Column('text', { nullable: true })
  fanout: string | null;

  @Column('bigint', { name: 'created_at', transformer: epochMs })
  createdAt: number;

  @Column('bigint', { name: 'sent_at', nullable: true, transformer: epochMs })
  sentAt: number | null;

  @Column('bigint', { name: 'running_at', nullable: true, transformer: epochMs })
  runningAt: number | null;

  @Column('bigint', { name: 'finished_at', nullable: true, transformer: epochMs })
  finishedAt: number | null;

  @Column('bigint', { name: 'updated_at', transformer: epochMs })
  updatedAt: number;
}
