import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { EventName } from '../src/core/index.js';
import { epochMs } from './transformers.js';

/**
 * The transactional outbox: every event is written here with the change that caused it and
 * relayed to the bus afterwards. `claim_until` is the compare-and-set token that keeps two
 * relaying processes off the same row; `claim_token` tells a claimer which rows it won.
 */
@Entity('outbox_events')
@Index('idx_outbox_relayed_claim', ['relayedAt', 'claimUntil'])
export class OutboxEventEntity {
  @PrimaryColumn('varchar', { length: 255 })
  id: string;

  @Column('varchar', { length: 64 })
  name: EventName;

  /** The event payload as JSON. */
  @Column('text')
  payload: string;

  @Column('bigint', { name: 'created_at', transformer: epochMs })
  createdAt: number;

  @Column('bigint', { name: 'claim_until', transformer: epochMs })
  claimUntil: number;

  @Column('varchar', { name: 'claim_token', length: 32, nullable: true })
  claimToken: string | null;

  @Column('bigint', { name: 'relayed_at', nullable: true, transformer: epochMs })
  relayedAt: number | null;
}
