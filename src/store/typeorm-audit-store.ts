import type { AuditEntry, AuditStore } from '../core/index.js';
import { AuditLogEntity } from '../../entities/index.js';
import type { StoreDb } from './store-db.js';

function toEntry(row: AuditLogEntity): AuditEntry & { id: number } {
  return {
    id: Number(row.id),
    at: new Date(row.occurredAt),
    actor: row.actor,
    action: row.action,
    target: row.target,
    decision: row.decision,
    detail: row.detail === null ? null : (JSON.parse(row.detail) as Record<string, unknown>),
  };
}

/** AuditStore over TypeORM: an append-only log, read newest first. */
export class TypeormAuditStore implements AuditStore {
  constructor(private readonly db: StoreDb) {}

  async append(entry: AuditEntry): Promise<void> {
    const row: Omit<AuditLogEntity, 'id'> = {
      occurredAt: entry.at.getTime(),
      actor: entry.actor,
      action: entry.action,
      target: entry.target,
      decision: entry.decision,
      detail: entry.detail === null ? null : JSON.stringify(entry.detail),
    };
    await this.db.run((em) => em.createQueryBuilder().insert().into(AuditLogEntity).values(row).updateEntity(false).execute());
  }

  async list(limit: number, actor?: string): Promise<(AuditEntry & { id: number })[]> {
    const rows = await this.db.run((em) => {
      const q = em.createQueryBuilder(AuditLogEntity, 'a');
      if (actor !== undefined) q.where('a.actor = :actor', { actor });
      // The auto-increment id is the append order (timestamps can tie or come from skewed clocks).
      return q.orderBy('a.id', 'DESC').limit(limit).getMany();
    });
    return rows.map(toEntry);
  }
}
