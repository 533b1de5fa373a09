import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import { epochMs } from './transformers.js';

/** A small durable value (adapter cursors, inbound de-duplication marks). */
@Entity('kv_entries')
@Index('idx_kv_expires', ['expiresAt'])
export class KvEntryEntity {
  @PrimaryColumn('varchar', { length: 255 })
  id: string;

  /** The value as JSON. */
  @Column('text')
  value: string;

  @Column('bigint', { name: 'expires_at', nullable: true, transformer: epochMs })
  expiresAt: number | null;

  @Column('bigint', { name: 'updated_at', transformer: epochMs })
  updatedAt: number;
}
