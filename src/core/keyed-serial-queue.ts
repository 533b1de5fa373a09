/**
 * Runs tasks one at a time per key, in the order they were queued; different keys run in
 * parallel. Chat adapters key their sends by conversation: a reply waiting out a 429 holds back
 * the replies behind it in that conversation (so a split reply stays in order) and no other.
 */
export class KeyedSerialQueue {
  private readonly tails = new Map<string, Promise<void>>();

  /**
   * Queues `task` behind the tasks already queued for `key`; settles as the task does. A failed
   * task does not stop the ones behind it: they wait for it to settle, not to succeed.
   */
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    // Forget idle keys, so a long-running process does not keep one entry per conversation ever seen.
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Keys with queued or running tasks. */
  get size(): number {
    return this.tails.size;
  }

  /** Resolves once every task queued so far (and any queued meanwhile) has settled. */
  async idle(): Promise<void> {
    while (this.tails.size > 0) await Promise.all([...this.tails.values()]);
  }
}
