import { Column, Entity, PrimaryColumn } from 'typeorm';
import { epochMs } from './transformers.js';

/** One chunk of a job's output; the primary key (job, seq) makes a repeated chunk a no-op. */
@Entity('job_outputs')
export class JobOutputEntity {
  @PrimaryColumn('varchar', { name: 'job_id', length: 32 })
  jobId: string;

  @PrimaryColumn('integer')
  seq: number;

  @Column('text')
  data: string;

  /** `data.length` at insert: SQL's LENGTH counts bytes on MySQL and characters on SQLite. */
  @Column('integer')
  size: number;

  @Column('bigint', { name: 'created_at', transformer: epochMs })
  createdAt: number;
}
