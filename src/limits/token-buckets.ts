import type { RateSpec } from '../config/parse-values.js';

/**
 * Token buckets by key (a user identity, an agent name), in this process's memory: each holds
 * `count` tokens and refills `count` per `perMs`, evenly. Buckets that refilled completely are
 * forgotten, so memory follows the number of recently active keys.
 */
export interface TokenBuckets {
  /** Takes one token for `key`: 0 when allowed, else the milliseconds until one is available. */
  take(key: string): number;
  size(): number;
}

export function createTokenBuckets(rate: RateSpec, now: () => number = Date.now): TokenBuckets {
  const buckets = new Map<string, { tokens: number; at: number }>();
  const perToken = rate.perMs / rate.count;
  let lastSweep = now();

  const sweep = (t: number): void => {
    if (t - lastSweep < rate.perMs) return;
    lastSweep = t;
    for (const [key, b] of buckets) if (b.tokens + (t - b.at) / perToken >= rate.count) buckets.delete(key);
  };

  return {
    take(key) {
      const t = now();
      sweep(t);
      const b = buckets.get(key) ?? { tokens: rate.count, at: t };
      const tokens = Math.min(rate.count, b.tokens + (t - b.at) / perToken);
      if (tokens < 1) {
        buckets.set(key, { tokens, at: t });
        return Math.ceil((1 - tokens) * perToken);
      }
      buckets.set(key, { tokens: tokens - 1, at: t });
      return 0;
    },
    size: () => buckets.size,
  };
}

/** "30 jobs a minute", "5 jobs every 10 s": the rate as people say it. */
export function describeRate(rate: RateSpec, what = 'jobs'): string {
  const units: Array<[number, string]> = [[86_400_000, 'day'], [3_600_000, 'hour'], [60_000, 'minute'], [1000, 'second']];
  const count = `${rate.count} ${rate.count === 1 ? what.replace(/s$/, '') : what}`;
  for (const [ms, name] of units) {
    if (rate.perMs === ms) return `${count} a ${name}`;
    if (rate.perMs % ms === 0) return `${count} every ${rate.perMs / ms} ${name}s`;
  }
  return `${count} every ${rate.perMs} ms`;
}
