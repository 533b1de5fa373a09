import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { AgentStatus } from '../src/core/index.js';
import { epochMs } from './transformers.js';

/** A registered agent. Admin labels and the labels the agent reports are kept apart and merged on read. */
@Entity('agents')
@Index('idx_agents_status_seen', ['status', 'lastSeenAt'])
export class AgentEntity {
  @PrimaryColumn('varchar', { length: 64 })
  name: string;

  /** Admin labels, JSON object. */
  @Column('text')
  labels: string;

  /** Labels from the agent's own config (last check-in), JSON object. */
  @Column('text', { name: 'reported_labels', nullable: true })
  reportedLabels: string | null;

  @Column('varchar', { length: 16 })
  status: AgentStatus;

  @Column('bigint', { name: 'last_seen_at', nullable: true, transformer: epochMs })
  lastSeenAt: number | null;

  @Column('varchar', { length: 128, nullable: true })
  version: string | null;

  @Column('varchar', { length: 255, nullable: true })
  host: string | null;

  @Column('varchar', { length: 255, nullable: true })
  os: string | null;

  @Column('bigint', { name: 'revoked_at', nullable: true, transformer: epochMs })
  revokedAt: number | null;

  @Column('bigint', { name: 'created_at', transformer: epochMs })
  createdAt: number;
}
