import type { ReplyRecord, ReplyStore } from '../core/index.js';
import { ReplyEntity } from '../../entities/index.js';
import { toDate } from './dates.js';
import { insertIfAbsent, insertOrTakeOver } from './insert-or-take-over.js';
import type { StoreDb } from './store-db.js';

function toRecord(row: ReplyEntity): ReplyRecord {
  return {
    jobId: row.jobId,
    key: row.key,
    state: row.state,
    owner: row.owner,
    claimedUntil: new Date(row.claimedUntil),
    messageId: row.messageId,
    sentAt: toDate(row.sentAt),
  };
}

/**
 * ReplyStore over TypeORM. The (job, key) primary key lets exactly one process insert a claim;
 * an expired claim is taken over by a compare-and-set on `claimed_until`; a sent reply is final.
 */
export class TypeormReplyStore implements ReplyStore {
  constructor(private readonly db: StoreDb) {}

  async claim(jobId: string, key: string, owner: string, now: Date, until: Date): Promise<boolean> {
    const row: ReplyEntity = { jobId, key, state: 'claimed', owner, claimedUntil: until.getTime(), messageId: null, sentAt: null };
    // Held claims are refused even to their own owner: a second handler in the same process
    // must not send the reply twice.
    return insertOrTakeOver(this.db, ReplyEntity, row, (em) =>
      em
        .createQueryBuilder()
        .update(ReplyEntity)
        .set({ owner, claimedUntil: until.getTime() })
        .where("job_id = :jobId AND reply_key = :key AND state = 'claimed' AND claimed_until < :now", { jobId, key, now: now.getTime() })
        .updateEntity(false)
        .execute(),
    );
  }

  /**
   * Records the reply as sent. The message went out whoever holds the claim now (it may have
   * expired and been taken over), so the record is made final regardless, to stop further sends.
   */
  async markSent(jobId: string, key: string, owner: string, messageId: string | null, at: Date): Promise<void> {
    const result = await this.db.run((em) =>
      em
        .createQueryBuilder()
        .update(ReplyEntity)
        .set({ state: 'sent', owner, messageId, sentAt: at.getTime() })
        .where("job_id = :jobId AND reply_key = :key AND state = 'claimed'", { jobId, key })
        .updateEntity(false)
        .execute(),
    );
    if (result.affected === 1) return;
    // No claim row (released meanwhile, or never claimed): record the send all the same.
    const row: ReplyEntity = { jobId, key, state: 'sent', owner, claimedUntil: at.getTime(), messageId, sentAt: at.getTime() };
    // Already sent: the first record stays.
    await insertIfAbsent(this.db, ReplyEntity, row);
  }

  async release(jobId: string, key: string, owner: string): Promise<void> {
    await this.db.run((em) =>
      em
        .createQueryBuilder()
        .delete()
        .from(ReplyEntity)
        .where("job_id = :jobId AND reply_key = :key AND owner = :owner AND state = 'claimed'", { jobId, key, owner })
        .execute(),
    );
  }

  async releaseAbandoned(ownerPrefix: string, keep: string): Promise<number> {
    // Claims are few (only replies being sent right now), so they are read and matched here
    // rather than with a LIKE whose escaping differs between SQLite and MySQL.
    const held = await this.db.run((em) => em.createQueryBuilder(ReplyEntity, 'r').where("r.state = 'claimed' AND r.owner <> :keep", { keep }).getMany());
    let freed = 0;
    for (const row of held.filter((r) => r.owner.startsWith(ownerPrefix))) {
      const result = await this.db.run((em) =>
        em
          .createQueryBuilder()
          .delete()
          .from(ReplyEntity)
          .where("job_id = :jobId AND reply_key = :key AND owner = :owner AND state = 'claimed'", { jobId: row.jobId, key: row.key, owner: row.owner })
          .execute(),
      );
      freed += result.affected ?? 0;
    }
    return freed;
  }

  async get(jobId: string, key: string): Promise<ReplyRecord | null> {
    const row = await this.db.run((em) => em.createQueryBuilder(ReplyEntity, 'r').where('r.jobId = :jobId AND r.key = :key', { jobId, key }).getOne());
    return row ? toRecord(row) : null;
  }

  async list(jobId: string): Promise<ReplyRecord[]> {
    const rows = await this.db.run((em) => em.createQueryBuilder(ReplyEntity, 'r').where('r.jobId = :jobId', { jobId }).orderBy('r.key', 'ASC').getMany());
    return rows.map(toRecord);
  }
}
