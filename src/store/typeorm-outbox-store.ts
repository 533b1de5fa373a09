import { randomId } from '../core/index.js';
import type { EventName, EventPayload, OutboxEvent, OutboxStore } from '../core/index.js';
import { OutboxEventEntity } from '../../entities/index.js';
import { isUniqueViolation } from './db-errors.js';
import { outboxRow } from './job-status-event.js';
import { padInList, placeholders, type StoreDb } from './store-db.js';

// Ids per IN (…) list: far below SQLite's and MySQL's placeholder limits; lists are padded to
// a power of two, so markRelayed uses at most nine statement texts.
const BATCH = 256;

function toEvent(row: OutboxEventEntity): OutboxEvent {
  return { id: row.id, name: row.name, payload: JSON.parse(row.payload) as OutboxEvent['payload'], createdAt: new Date(row.createdAt) } as OutboxEvent;
}

/**
 * OutboxStore over TypeORM. Rows are claimed for a while before being relayed; the claim is a
 * compare-and-set on `claim_until`, so two relaying processes never take the same row.
 */
export class TypeormOutboxStore implements OutboxStore {
  constructor(private readonly db: StoreDb) {}

  /** Adds an event; adding an id that is already there is a no-op (an event has one id forever). */
  async add<N extends EventName>(name: N, payload: EventPayload<N>, id: string, at: Date, claimUntil: Date): Promise<OutboxEvent<N>> {
    const event = { id, name, payload, createdAt: at } as OutboxEvent<N>;
    try {
      await this.db.run((em) => em.createQueryBuilder().insert().into(OutboxEventEntity).values(outboxRow(event, claimUntil)).updateEntity(false).execute());
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
    }
    return event;
  }

  async claimUnrelayed(now: Date, claimUntil: Date, limit: number): Promise<OutboxEvent[]> {
    if (limit <= 0) return [];
    const candidates = await this.db.run((em) =>
      em
        .createQueryBuilder(OutboxEventEntity, 'o')
        .where('o.relayedAt IS NULL AND o.claimUntil < :now', { now: now.getTime() })
        .orderBy('o.createdAt', 'ASC')
        .addOrderBy('o.id', 'ASC')
        .limit(limit)
        .getMany(),
    );
    if (candidates.length === 0) return [];
    // One UPDATE claims them all. It re-checks `claim_until < now` on the row as it is at that
    // moment (under MySQL's row lock), so a row another process claimed since our SELECT is
    // skipped; the random token tells which rows this call won.
    const token = randomId(20);
    const ids = candidates.map((c) => c.id);
    const result = await this.db.run((em) =>
      em
        .createQueryBuilder()
        .update(OutboxEventEntity)
        .set({ claimUntil: claimUntil.getTime(), claimToken: token })
        .where('id IN (:...ids) AND relayed_at IS NULL AND claim_until < :now', { ids, now: now.getTime() })
        .updateEntity(false)
        .execute(),
    );
    if (result.affected === candidates.length) return candidates.map(toEvent);
    if (!result.affected) return [];
    const won = await this.db.run((em) =>
      em
        .createQueryBuilder(OutboxEventEntity, 'o')
        .where('o.id IN (:...ids) AND o.claimToken = :token', { ids, token })
        .orderBy('o.createdAt', 'ASC')
        .addOrderBy('o.id', 'ASC')
        .getMany(),
    );
    return won.map(toEvent);
  }

  async markRelayed(ids: readonly string[], at: Date): Promise<void> {
    for (let i = 0; i < ids.length; i += BATCH) {
      const batch = padInList(ids.slice(i, i + BATCH));
      // The first relay time stays: a late duplicate relay does not rewrite it.
      const sql = this.db.sql(`UPDATE "outbox_events" SET "relayed_at" = ? WHERE "id" IN (${placeholders(batch.length)}) AND "relayed_at" IS NULL`);
      await this.db.writeOne(sql, [at.getTime(), ...batch]);
    }
  }

  async countUnrelayed(): Promise<number> {
    const raw = await this.db.run((em) =>
      em.createQueryBuilder(OutboxEventEntity, 'o').select('COUNT(*)', 'n').where('o.relayedAt IS NULL').getRawOne<{ n: number | string }>(),
    );
    return Number(raw?.n ?? 0);
  }

  /** Deletes relayed events created before `before`; an unrelayed event is never deleted. */
  async prune(before: Date): Promise<number> {
    const result = await this.db.run((em) =>
      em
        .createQueryBuilder()
        .delete()
        .from(OutboxEventEntity)
        .where('relayed_at IS NOT NULL AND created_at < :before', { before: before.getTime() })
        .execute(),
    );
    return result.affected ?? 0;
  }
}
