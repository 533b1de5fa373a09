import type { ApiToken, TokenKind, TokenStore } from '../core/index.js';
import { ApiTokenEntity } from '../../entities/index.js';
import { toDate, toMs } from './dates.js';
import type { StoreDb } from './store-db.js';

function toToken(row: ApiTokenEntity): ApiToken {
  return {
    id: row.id,
    kind: row.kind,
    subject: row.subject,
    name: row.name,
    hash: row.hash,
    createdAt: new Date(row.createdAt),
    revokedAt: toDate(row.revokedAt),
    lastUsedAt: toDate(row.lastUsedAt),
  };
}

/** TokenStore over TypeORM. Tokens are looked up by their public id; only the secret's hash is stored. */
export class TypeormTokenStore implements TokenStore {
  constructor(private readonly db: StoreDb) {}

  async create(token: Omit<ApiToken, 'revokedAt' | 'lastUsedAt'>): Promise<void> {
    const row: ApiTokenEntity = {
      id: token.id,
      kind: token.kind,
      subject: token.subject,
      name: token.name,
      hash: token.hash,
      createdAt: token.createdAt.getTime(),
      revokedAt: null,
      lastUsedAt: null,
    };
    await this.db.run((em) => em.createQueryBuilder().insert().into(ApiTokenEntity).values(row).updateEntity(false).execute());
  }

  async get(id: string): Promise<ApiToken | null> {
    const row = await this.db.run((em) => em.createQueryBuilder(ApiTokenEntity, 't').where('t.id = :id', { id }).getOne());
    return row ? toToken(row) : null;
  }

  async list(kind?: TokenKind): Promise<ApiToken[]> {
    const rows = await this.db.run((em) => {
      const q = em.createQueryBuilder(ApiTokenEntity, 't');
      if (kind !== undefined) q.where('t.kind = :kind', { kind });
      return q.orderBy('t.createdAt', 'ASC').addOrderBy('t.id', 'ASC').getMany();
    });
    return rows.map(toToken);
  }

  /** Revokes once; false if the token is unknown or already revoked. */
  async revoke(id: string, at: Date): Promise<boolean> {
    const result = await this.db.run((em) =>
      em.createQueryBuilder().update(ApiTokenEntity).set({ revokedAt: toMs(at) }).where('id = :id AND revoked_at IS NULL', { id }).updateEntity(false).execute(),
    );
    return result.affected === 1;
  }

  /** Revokes every live token of a subject (e.g. when its agent is revoked); returns how many. */
  async revokeAllOf(kind: TokenKind, subject: string, at: Date): Promise<number> {
    const result = await this.db.run((em) =>
      em
        .createQueryBuilder()
        .update(ApiTokenEntity)
        .set({ revokedAt: toMs(at) })
        .where('kind = :kind AND subject = :subject AND revoked_at IS NULL', { kind, subject })
        .updateEntity(false)
        .execute(),
    );
    return result.affected ?? 0;
  }
}
