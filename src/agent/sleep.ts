/** Resolves after `ms`, or at once when `signal` aborts (it never rejects). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted || ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Waits for `promise` but at most `ms`; the timer is cleared either way. */
export async function within(promise: Promise<unknown>, ms: number): Promise<void> {
  const timeout = new AbortController();
  try {
    await Promise.race([promise, sleep(ms, timeout.signal)]);
  } finally {
    timeout.abort();
  }
}
