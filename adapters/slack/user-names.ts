import type { Clock, Logger } from '../../src/core/index.js';

export interface UserNamesOptions {
  /** How long a resolved name is kept (default 1 h: people rarely rename, and a stale name is harmless). */
  ttlMs?: number;
  /** How long a failed lookup is remembered, so a missing scope does not cost a call per message (default 1 min). */
  failureTtlMs?: number;
  /** Most names kept (default 5000); the least recently used go first. */
  maxEntries?: number;
  /** Longest wait for a lookup before the user id is used instead (default 1 s: the ack deadline is 3 s). */
  timeoutMs?: number;
}

export interface UserNamesDeps {
  /** Resolves a user's display name (users.info); null when it has none. */
  lookup(user: string): Promise<string | null>;
  clock: Clock;
  logger: Logger;
}

interface Entry {
  name: string | null;
  expiresAt: number;
}

/**
 * Display names of Slack users, for job requesters and replies: resolved with users.info,
 * cached (bounded, with a TTL), concurrent lookups of one user shared, and never in the way — a
 * slow or failing lookup gives the user id.
 */
export class UserNames {
  private readonly entries = new Map<string, Entry>();
  private readonly pending = new Map<string, Promise<string | null>>();
  private readonly ttlMs: number;
  private readonly failureTtlMs: number;
  private readonly maxEntries: number;
  private readonly timeoutMs: number;

  constructor(options: UserNamesOptions, private readonly deps: UserNamesDeps) {
    this.ttlMs = options.ttlMs ?? 3_600_000;
    this.failureTtlMs = options.failureTtlMs ?? 60_000;
    this.maxEntries = options.maxEntries ?? 5000;
    this.timeoutMs = options.timeoutMs ?? 1000;
  }

  /** The display name of `user` of `team`, or `fallback` (the user id) when it cannot be had quickly. */
  async get(team: string, user: string, fallback = user): Promise<string> {
    const key = `${team}/${user}`;
    const now = this.deps.clock.now().getTime();
    const cached = this.entries.get(key);
    if (cached && cached.expiresAt > now) {
      // Re-insert: Map order is the recency order the eviction reads.
      this.entries.delete(key);
      this.entries.set(key, cached);
      return cached.name ?? fallback;
    }
    let lookup = this.pending.get(key);
    if (!lookup) {
      lookup = this.resolve(key, user);
      this.pending.set(key, lookup);
    }
    return (await withTimeout(lookup, this.timeoutMs)) ?? fallback;
  }

  /** Names currently cached (tests, metrics). */
  get size(): number {
    return this.entries.size;
  }

  private async resolve(key: string, user: string): Promise<string | null> {
    try {
      const name = await this.deps.lookup(user);
      this.remember(key, name, this.ttlMs);
      return name;
    } catch (err) {
      this.deps.logger.debug({ err, user }, 'could not resolve a slack display name; using the user id');
      this.remember(key, null, this.failureTtlMs);
      return null;
    } finally {
      this.pending.delete(key);
    }
  }

  private remember(key: string, name: string | null, ttlMs: number): void {
    this.entries.delete(key);
    this.entries.set(key, { name, expiresAt: this.deps.clock.now().getTime() + ttlMs });
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The name Slack shows for a users.info `user` object: display name, else real name, else handle. */
export function displayNameOf(user: unknown): string | null {
  if (typeof user !== 'object' || user === null) return null;
  const u = user as { name?: unknown; real_name?: unknown; profile?: { display_name?: unknown; real_name?: unknown } };
  for (const candidate of [u.profile?.display_name, u.profile?.real_name, u.real_name, u.name]) {
    if (typeof candidate === 'string' && candidate.trim() !== '') return candidate.trim();
  }
  return null;
}
