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
