import { Column, Entity, PrimaryColumn } from 'typeorm';
import type { ReplyRecord } from '../src/core/index.js';
import { epochMs } from './transformers.js';

/** A reply the router sends at most once per (job, key): claimed with a deadline, then sent. */
@Entity('replies')
export class ReplyEntity {
  @PrimaryColumn('varchar', { name: 'job_id', length: 32 })
  jobId: string;

  @PrimaryColumn('varchar', { name: 'reply_key', length: 64 })
  key: string;

  @Column('varchar', { length: 16 })
  state: ReplyRecord['state'];

  @Column('varchar', { length: 128 })
  owner: string;

  @Column('bigint', { name: 'claimed_until', transformer: epochMs })
  claimedUntil: number;

  @Column('text', { name: 'message_id', nullable: true })
  messageId: string | null;

  @Column('bigint', { name: 'sent_at', nullable: true, transformer: epochMs })
  sentAt: number | null;
}
