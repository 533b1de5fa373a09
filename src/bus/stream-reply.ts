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
