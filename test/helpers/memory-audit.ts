import type { AuditEntry, AuditStore } from '../../src/core/index.js';

/** In-memory AuditStore; `entries` in append order. */
export class MemoryAuditStore implements AuditStore {
  readonly entries: Array<AuditEntry & { id: number }> = [];

  async append(entry: AuditEntry): Promise<void> {
    this.entries.push({ ...entry, id: this.entries.length + 1 });
  }

  async list(limit: number, actor?: string): Promise<(AuditEntry & { id: number })[]> {
    return this.entries.filter((e) => actor === undefined || e.actor === actor).reverse().slice(0, limit);
  }
}
