/**
 * Exponential backoff: the ceiling of retry `n` (0 for the first retry) is
 * `min(capMs, baseMs · 2^n)`, and the delay is drawn under it with jitter, so that many
 * processes that lost the same server at the same moment do not come back in lock-step
 * ("Exponential Backoff And Jitter", AWS Architecture Blog).
 */
export interface BackoffPolicy {
  baseMs: number;
  capMs: number;
  /**
   * `full` (default): uniform in [0, ceiling) — spreads retries the most; right for a fleet of
   * clients. `equal`: uniform in [ceiling/2, ceiling] — keeps a floor, for a loop whose retry
   * at once would be a busy loop (a sweep, a stream read).
   */
  jitter?: 'full' | 'equal';
}

/** The delay before retry `retry` (0-based: the first retry is 0) under `policy`. */
export function backoffDelay(retry: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  // 2^30 already exceeds every sensible cap; the clamp keeps huge retry counts finite.
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, Math.min(retry, 30)));
  if (policy.jitter === 'equal') return Math.round(ceiling / 2 + (random() * ceiling) / 2);
  return Math.floor(random() * ceiling);
}
