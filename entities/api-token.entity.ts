import { Column, Entity, Index, PrimaryColumn } from 'typeorm';
import type { TokenKind } from '../src/core/index.js';
import { epochMs } from './transformers.js';

/** An API token: only the SHA-256 of its secret part is stored. */
@Entity('api_tokens')
@Index('idx_api_tokens_kind_subject', ['kind', 'subject'])
export class ApiTokenEntity {
  @PrimaryColumn('varchar', { length: 64 })
  id: string;

  @Column('varchar', { length: 16 })
  kind: TokenKind;

  @Column('varchar', { length: 255 })
  subject: string;

  @Column('varchar', { length: 255 })
  name: string;

  @Column('varchar', { length: 128 })
  hash: string;

  @Column('bigint', { name: 'created_at', transformer: epochMs })
  createdAt: number;

  @Column('bigint', { name: 'revoked_at', nullable: true, transformer: epochMs })
  revokedAt: number | null;

  @Column('bigint', { name: 'last_used_at', nullable: true, transformer: epochMs })
  lastUsedAt: number | null;
}
