/**
 * One queue per key (a Teams conversation): tasks with the same key run one after another in
 * the order they were added, so a reply held back by a 429 is not overtaken by the next one;
 * different conversations do not wait for each other.
 */
export class SerialQueues {
  private readonly tails = new Map<string, Promise<unknown>>();

  /** Runs `task` after every task queued before it under `key`; its result or error is the caller's. */
  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    // A failed task must not stop the ones behind it: they wait for it to settle, not to succeed.
    const result = previous.then(task, task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Resolves once every queued task has settled. */
  async idle(): Promise<void> {
    while (this.tails.size > 0) await Promise.all([...this.tails.values()]);
  }

  get size(): number {
    return this.tails.size;
  }
}
