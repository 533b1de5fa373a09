import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { AuditEntry } from '../src/core/index.js';
import { epochMs } from './transformers.js';

/** Append-only audit trail (who did what, allowed or refused). */
@Entity('audit_log')
@Index('idx_audit_actor', ['actor', 'id'])
export class AuditLogEntity {
  @PrimaryGeneratedColumn('increment', { type: 'integer' })
  id: number;

  @Column('bigint', { name: 'occurred_at', transformer: epochMs })
  occurredAt: number;

  @Column('varchar', { length: 255 })
  actor: string;

  @Column('varchar', { length: 128 })
  action: string;

  @Column('text', { nullable: true })
  target: string | null;

  @Column('varchar', { length: 8 })
  decision: AuditEntry['decision'];

  /** JSON object. */
  @Column('text', { nullable: true })
  detail: string | null;
}
