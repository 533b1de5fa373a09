import { createHash } from 'node:crypto';
import type { Clock, KeyValueStore } from '../core/index.js';
import { KvEntryEntity } from '../../entities/index.js';
import { insertOrTakeOver } from './insert-or-take-over.js';
import type { StoreDb } from './store-db.js';

// The id column holds 255 characters. Longer keys (an inbound e-mail's Message-ID can be
// long) are stored as a readable prefix plus their SHA-256, instead of failing on MySQL and
// passing on SQLite.
const MAX_KEY = 255;

function storageKey(key: string): string {
  if (key.length <= MAX_KEY) return key;
  return `${key.slice(0, 150)}#sha256:${createHash('sha256').update(key).digest('hex')}`;
}

/**
 * KeyValueStore over TypeORM. An entry whose `expiresAt` has passed (is before now) is treated
 * as absent by get and setIfAbsent even before prune deletes it.
 */
export class TypeormKeyValueStore implements KeyValueStore {
  constructor(
    private readonly db: StoreDb,
    private readonly clock: Clock,
  ) {}

  async get<T>(key: string): Promise<T | null> {
    const row = await this.db.run((em) =>
      em
        .createQueryBuilder(KvEntryEntity, 'kv')
        .where('kv.id = :id AND (kv.expiresAt IS NULL OR kv.expiresAt >= :now)', { id: storageKey(key), now: this.clock.now().getTime() })
        .getOne(),
    );
    return row ? (JSON.parse(row.value) as T) : null;
  }

  /** Stores a value, replacing any entry (and its expiry). */
  async set<T>(key: string, value: T, expiresAt: Date | null = null): Promise<void> {
    const row: KvEntryEntity = { id: storageKey(key), value: JSON.stringify(value ?? null), expiresAt: expiresAt?.getTime() ?? null, updatedAt: this.clock.now().getTime() };
    await this.db.run((em) =>
      em.createQueryBuilder().insert().into(KvEntryEntity).values(row).orUpdate(['value', 'expires_at', 'updated_at'], ['id']).updateEntity(false).execute(),
    );
  }

  async setIfAbsent<T>(key: string, value: T, expiresAt: Date | null): Promise<boolean> {
    const now = this.clock.now().getTime();
    const row: KvEntryEntity = { id: storageKey(key), value: JSON.stringify(value ?? null), expiresAt: expiresAt?.getTime() ?? null, updatedAt: now };
    // Present: replace it only if it has expired.
    return insertOrTakeOver(this.db, KvEntryEntity, row, (em) =>
      em
        .createQueryBuilder()
        .update(KvEntryEntity)
        .set({ value: row.value, expiresAt: row.expiresAt, updatedAt: now })
        .where('id = :id AND expires_at IS NOT NULL AND expires_at < :now', { id: row.id, now })
        .updateEntity(false)
        .execute(),
    );
  }

  async prune(now: Date): Promise<number> {
    const result = await this.db.run((em) =>
      em.createQueryBuilder().delete().from(KvEntryEntity).where('expires_at IS NOT NULL AND expires_at < :now', { now: now.getTime() }).execute(),
    );
    return result.affected ?? 0;
  }
}
