import { TOKEN_REVOKED_CHANNEL } from '../auth/token-service.js';
import type { SkadiConfig } from '../config/skadi-config.js';

/**
 * Tells the running servers that a token was revoked, so they drop it from their token cache at
 * once (they keep agent tokens up to a minute: see token-service.ts). Only with Redis: without
 * it there is nothing to tell them through, and the revoke takes effect when their cache runs
 * out. `id` is a token id, or `*` for every cached token. Never fails the revoke itself.
 */
export async function announceRevocation(config: Readonly<SkadiConfig>, id: string): Promise<void> {
  if (!config.redis.url) return;
  // ioredis is loaded only when Redis is configured.
  const { createRedisNotifier } = await import('../bus/redis-notifier.js');
  const notifier = createRedisNotifier({ url: config.redis.url, keyPrefix: config.redis.keyPrefix, consumer: 'cli', commandTimeoutMs: 3000 });
  try {
    await notifier.notify(TOKEN_REVOKED_CHANNEL, id);
  } catch (err) {
    console.error(`note: the running servers could not be told over Redis (${err instanceof Error ? err.message : String(err)}); they refuse the token within a minute`);
  } finally {
    await notifier.close();
  }
}
