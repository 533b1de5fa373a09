/** Where `watch.notify` posts fleet events: a conversation (and optionally a thread) of one platform. */
export interface WatchNotifyTarget {
  /** `web`, `slack`, `teams`, `wechat`, `email`: the adapter that posts. */
  platform: string;
  /** As that adapter stores it in a ThreadRef: Slack channel id, web `<user>/<conversation>`, email address, … */
  conversationId: string;
  /** Thread within the conversation (Slack thread_ts, …); absent: a new message in the conversation. */
  threadId?: string;
}

const KEYS = new Set(['platform', 'conversationId', 'threadId']);

/**
 * Parses `watch.notify` from the config file (a map) or the environment (the same as JSON).
 * Null or empty turns it off; anything malformed is undefined, which the loader reports.
 */
export function parseWatchNotify(raw: unknown): WatchNotifyTarget | null | undefined {
  if (raw === null || raw === '') return null;
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      return undefined;
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const v = value as Record<string, unknown>;
  if (Object.keys(v).some((key) => !KEYS.has(key))) return undefined;
  if (typeof v.platform !== 'string' || !/^[a-z][a-z0-9-]{0,31}$/.test(v.platform)) return undefined;
  if (typeof v.conversationId !== 'string' || v.conversationId.trim() === '') return undefined;
  if (v.threadId !== undefined && (typeof v.threadId !== 'string' || v.threadId === '')) return undefined;
  return { platform: v.platform, conversationId: v.conversationId, ...(typeof v.threadId === 'string' ? { threadId: v.threadId } : {}) };
}
