import type { ReplyRecord, ReplyStore } from '../../src/core/index.js';

/**
 * In-memory ReplyStore with the TypeORM store's semantics (held claims refused even to their
 * owner, expired claims taken over, markSent final, release deletes the owner's claim). Each
 * method is atomic, like one SQL statement; two routers sharing one instance interleave only
 * between calls, as two processes sharing a database do.
 */
export class MemoryReplyStore implements ReplyStore {
  readonly records = new Map<string, ReplyRecord>();
  /** Every successful claim, for asserting who sent what. */
  readonly claims: Array<{ jobId: string; key: string; owner: string }> = [];

  private id(jobId: string, key: string): string {
    return `${jobId}\u0000${key}`;
  }

  async claim(jobId: string, key: string, owner: string, now: Date, until: Date): Promise<boolean> {
    const existing = this.records.get(this.id(jobId, key));
    if (existing && (existing.state === 'sent' || existing.claimedUntil.getTime() >= now.getTime())) return false;
    this.records.set(this.id(jobId, key), { jobId, key, state: 'claimed', owner, claimedUntil: until, messageId: null, sentAt: null });
    this.claims.push({ jobId, key, owner });
    return true;
  }

  async markSent(jobId: string, key: string, owner: string, messageId: string | null, at: Date): Promise<void> {
    const existing = this.records.get(this.id(jobId, key));
    if (existing?.state === 'sent') return;
    this.records.set(this.id(jobId, key), { jobId, key, state: 'sent', owner, claimedUntil: existing?.claimedUntil ?? at, messageId, sentAt: at });
  }

  async release(jobId: string, key: string, owner: string): Promise<void> {
    const existing = this.records.get(this.id(jobId, key));
    if (existing?.state === 'claimed' && existing.owner === owner) this.records.delete(this.id(jobId, key));
  }

  async releaseAbandoned(ownerPrefix: string, keep: string): Promise<number> {
    let freed = 0;
    for (const [id, r] of [...this.records]) {
      if (r.state === 'claimed' && r.owner !== keep && r.owner.startsWith(ownerPrefix)) {
        this.records.delete(id);
        freed++;
      }
    }
    return freed;
  }

  async get(jobId: string, key: string): Promise<ReplyRecord | null> {
    const record = this.records.get(this.id(jobId, key));
    return record ? { ...record } : null;
  }

  async list(jobId: string): Promise<ReplyRecord[]> {
    return [...this.records.values()].filter((r) => r.jobId === jobId).map((r) => ({ ...r }));
  }
}
