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
  private readonly insert: string;

  constructor(private readonly db: StoreDb) {
    this.insert = db.sql(`INSERT INTO "audit_log" ("occurred_at", "actor", "action", "target", "decision", "detail") VALUES (?, ?, ?, ?, ?, ?)`);
  }

  /** One INSERT, committed with concurrent writes (group commit). */
  async append(entry: AuditEntry): Promise<void> {
    const detail = entry.detail === null ? null : JSON.stringify(entry.detail);
    await this.db.writeOne(this.insert, [entry.at.getTime(), entry.actor, entry.action, entry.target, entry.decision, detail]);
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
