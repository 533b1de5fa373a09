/**
 * Exponential backoff with "full jitter" (AWS architecture blog): a random delay in
 * [max/2, max] of the capped exponential, so that many processes retrying after one
 * outage do not hit Redis or the database in lock-step.
 */
export function backoffDelay(attempt: number, minMs: number, maxMs: number, random: () => number = Math.random): number {
  const exp = Math.min(maxMs, minMs * 2 ** Math.max(0, Math.min(attempt - 1, 30)));
  return Math.round(exp / 2 + (random() * exp) / 2);
}

/** A sleep that `wake()` cuts short, so that close() never waits for a backoff to run out. */
export class Sleeper {
  private timer: NodeJS.Timeout | null = null;
  private resolve: (() => void) | null = null;

  /** Resolves after `ms` or at the next `wake()`, whichever comes first. */
  sleep(ms: number): Promise<void> {
    this.wake();
    return new Promise<void>((resolve) => {
      this.resolve = resolve;
      this.timer = setTimeout(() => this.wake(), ms);
    });
  }

  wake(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const resolve = this.resolve;
    this.resolve = null;
    resolve?.();
  }
}
