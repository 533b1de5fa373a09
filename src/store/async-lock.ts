/** Runs async sections one after another (a promise-chain mutex). */
export class AsyncLock {
  private tail: Promise<unknown> = Promise.resolve();

  /** Runs `fn` once every section queued before it has settled. */
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
