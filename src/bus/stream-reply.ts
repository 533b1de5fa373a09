/** One stream entry as XREADGROUP returns it; `fields` is null when the entry was trimmed away. */
export interface StreamEntry {
  streamId: string;
  fields: Record<string, string> | null;
}

function fieldMap(raw: unknown): Record<string, string> | null {
  if (!Array.isArray(raw)) return null;
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < raw.length; i += 2) out[String(raw[i])] = String(raw[i + 1]);
  return out;
}

/**
 * Parses an XREADGROUP reply (`[[key, [[id, [f, v, …] | null], …]]]`). Null means "nothing":
 * the BLOCK timed out (or ioredis's client-side blocking guard fired).
 */
export function parseReadGroupReply(reply: unknown): StreamEntry[] | null {
  if (reply === null || reply === undefined) return null;
  if (!Array.isArray(reply)) throw new Error('unexpected XREADGROUP reply');
  const entries: StreamEntry[] = [];
  for (const stream of reply) {
    const list: unknown = Array.isArray(stream) ? stream[1] : undefined;
    if (!Array.isArray(list)) continue;
    for (const entry of list) {
      if (!Array.isArray(entry)) continue;
      entries.push({ streamId: String(entry[0]), fields: fieldMap(entry[1]) });
    }
  }
  return entries;
}

/** Parses an `XAUTOCLAIM … JUSTID` reply: `[nextCursor, [id, …], (deleted ids, Redis ≥ 7)]`. */
export function parseAutoClaimReply(reply: unknown): { cursor: string; claimed: number } {
  if (!Array.isArray(reply) || reply.length < 2) throw new Error('unexpected XAUTOCLAIM reply');
  const ids: unknown = reply[1];
  return { cursor: String(reply[0]), claimed: Array.isArray(ids) ? ids.length : 0 };
}

/** One row of the extended XPENDING form (`XPENDING key group start end count`). */
export interface PendingEntry {
  streamId: string;
  consumer: string;
  /** Milliseconds since the entry was last delivered to its consumer. */
  idleMs: number;
}

/** Parses an extended XPENDING reply: `[[id, consumer, idleMs, deliveries], …]`. */
export function parsePendingReply(reply: unknown): PendingEntry[] {
  if (!Array.isArray(reply)) throw new Error('unexpected XPENDING reply');
  const entries: PendingEntry[] = [];
  for (const row of reply) {
    if (!Array.isArray(row) || row.length < 3) throw new Error('unexpected XPENDING reply row');
    entries.push({ streamId: String(row[0]), consumer: String(row[1]), idleMs: Number(row[2]) });
  }
  return entries;
}

/** Parses an `XCLAIM … JUSTID` reply: the ids this consumer now owns. */
export function parseClaimReply(reply: unknown): string[] {
  if (!Array.isArray(reply)) throw new Error('unexpected XCLAIM reply');
  return reply.map(String);
}

/**
 * The smallest stream id after `id` ("ms-seq"), for paging XPENDING on servers without
 * exclusive ranges (`(id` needs Redis 6.2).
 */
export function nextStreamId(id: string): string {
  const match = /^(\d+)-(\d+)$/.exec(id);
  if (!match) throw new Error(`not a stream id: ${id}`);
  const ms = BigInt(match[1]!);
  const seq = BigInt(match[2]!);
  return seq === 0xffff_ffff_ffff_ffffn ? `${ms + 1n}-0` : `${ms}-${seq + 1n}`;
}

/** The `redis_version` of an `INFO server` reply, as [major, minor, patch]; null when absent. */
export function parseRedisVersion(info: string): [number, number, number] | null {
  const match = /^redis_version:(\d+)\.(\d+)(?:\.(\d+))?/m.exec(info);
  if (!match) return null;
  return [Number(match[1]), Number(match[2]), Number(match[3] ?? 0)];
}
