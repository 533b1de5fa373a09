import type { Clock, KeyValueStore } from '../../src/core/index.js';

/** In-memory KeyValueStore; expired entries count as absent, as in the TypeORM store. */
export class MemoryKeyValueStore implements KeyValueStore {
  readonly entries = new Map<string, { value: unknown; expiresAt: Date | null }>();

  constructor(private readonly clock: Clock = { now: () => new Date() }) {}

  private live(key: string): { value: unknown; expiresAt: Date | null } | undefined {
    const entry = this.entries.get(key);
    if (entry?.expiresAt && entry.expiresAt.getTime() < this.clock.now().getTime()) return undefined;
    return entry;
  }

  async get<T>(key: string): Promise<T | null> {
    return (this.live(key)?.value as T | undefined) ?? null;
  }

  async set<T>(key: string, value: T, expiresAt: Date | null = null): Promise<void> {
    this.entries.set(key, { value, expiresAt });
  }

  async setIfAbsent<T>(key: string, value: T, expiresAt: Date | null): Promise<boolean> {
    if (this.live(key)) return false;
    this.entries.set(key, { value, expiresAt });
    return true;
  }

  async prune(now: Date): Promise<number> {
    let n = 0;
    for (const [key, entry] of this.entries) {
      if (entry.expiresAt && entry.expiresAt.getTime() < now.getTime()) {
        this.entries.delete(key);
        n++;
      }
    }
    return n;
  }
}
