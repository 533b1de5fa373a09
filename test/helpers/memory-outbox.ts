import type { EventName, EventPayload, OutboxEvent, OutboxStore } from '../../src/core/index.js';

interface Row {
  seq: number;
  event: OutboxEvent;
  claimUntil: Date;
  relayedAt: Date | null;
}

/**
 * OutboxStore in memory with the same claim rules as the TypeORM store: claimUnrelayed takes
 * unrelayed rows whose claim expired, oldest first, and extends their claim (the CAS).
 * `failing` makes every call reject, to play a database outage.
 */
export class MemoryOutbox implements OutboxStore {
  readonly rows = new Map<string, Row>();
  failing = false;
  /** Every markRelayed call, to check that marks are coalesced. */
  readonly markCalls: string[][] = [];
  private seq = 0;

  async add<N extends EventName>(name: N, payload: EventPayload<N>, id: string, at: Date, claimUntil: Date): Promise<OutboxEvent<N>> {
    this.check();
    const event: OutboxEvent<N> = { id, name, payload, createdAt: at };
    this.rows.set(id, { seq: this.seq++, event, claimUntil, relayedAt: null });
    return event;
  }

  async claimUnrelayed(now: Date, claimUntil: Date, limit: number): Promise<OutboxEvent[]> {
    this.check();
    const due = [...this.rows.values()]
      .filter((r) => r.relayedAt === null && r.claimUntil.getTime() < now.getTime())
      .sort((a, b) => a.event.createdAt.getTime() - b.event.createdAt.getTime() || a.seq - b.seq)
      .slice(0, limit);
    for (const r of due) r.claimUntil = claimUntil;
    return due.map((r) => r.event);
  }

  async markRelayed(ids: readonly string[], at: Date): Promise<void> {
    this.check();
    this.markCalls.push([...ids]);
    for (const id of ids) {
      const row = this.rows.get(id);
      if (row && row.relayedAt === null) row.relayedAt = at;
    }
  }

  async countUnrelayed(): Promise<number> {
    this.check();
    return [...this.rows.values()].filter((r) => r.relayedAt === null).length;
  }

  async prune(before: Date): Promise<number> {
    this.check();
    let n = 0;
    for (const [id, r] of this.rows) {
      if (r.relayedAt && r.event.createdAt.getTime() < before.getTime()) {
        this.rows.delete(id);
        n++;
      }
    }
    return n;
  }

  private check(): void {
    if (this.failing) throw new Error('database unavailable');
  }
}
