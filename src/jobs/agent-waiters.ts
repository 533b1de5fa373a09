/**
 * Long-poll wake-ups inside one process. A waiter is registered before the poll looks at the
 * database, so a job queued between the look and the wait still wakes it.
 */
export interface Waiter {
  /** Resolves on wake-up or when `ms` passes or `signal` aborts; true if woken. */
  wait(ms: number, signal?: AbortSignal): Promise<boolean>;
  /** True once woken (even before wait() was called). */
  readonly woken: boolean;
  /** Ids of the agent's jobs cancelled while this waiter was registered. */
  readonly cancelled: readonly string[];
  /** Ids of the jobs queued for the agent that the wake-ups named (see `namedOnly`). */
  readonly queued: readonly string[];
  /**
   * True while every wake-up for work named its job in `queued`: then those are all the jobs
   * queued for the agent since the waiter was registered, and a poll may claim just them.
   */
  readonly namedOnly: boolean;
  dispose(): void;
}

export interface AgentWaiters {
  register(agent: string): Waiter;
  /**
   * Wakes the agent's held polls; with `cancelledJobId`, they also report that job as cancelled;
   * with `queuedJobId`, the job queued for the agent that this wake-up is for.
   */
  wake(agent: string, cancelledJobId?: string, queuedJobId?: string): void;
  /** Wakes every held poll of every agent (shutdown). */
  wakeAll(): void;
  /** Number of polls being held (metrics, benchmark). */
  size(): number;
}

export function createAgentWaiters(): AgentWaiters {
  const byAgent = new Map<string, Set<(cancelledJobId?: string, queuedJobId?: string) => void>>();
  let count = 0;

  return {
    register(agent) {
      let woken = false;
      const cancelled: string[] = [];
      const queued: string[] = [];
      let namedOnly = true;
      let resolveWait: ((v: boolean) => void) | null = null;
      const fire = (cancelledJobId?: string, queuedJobId?: string) => {
        woken = true;
        if (cancelledJobId) {
          if (!cancelled.includes(cancelledJobId)) cancelled.push(cancelledJobId);
        } else if (queuedJobId) {
          if (queued.length < 100) queued.push(queuedJobId);
          else namedOnly = false;
        } else namedOnly = false;
        resolveWait?.(true);
      };
      let set = byAgent.get(agent);
      if (!set) byAgent.set(agent, (set = new Set()));
      set.add(fire);
      count++;
      let disposed = false;
      const dispose = () => {
        if (disposed) return;
        disposed = true;
        count--;
        set!.delete(fire);
        if (set!.size === 0 && byAgent.get(agent) === set) byAgent.delete(agent);
      };
      return {
        get woken() {
          return woken;
        },
        cancelled,
        queued,
        get namedOnly() {
          return namedOnly;
        },
        dispose,
        wait(ms, signal) {
          if (woken) return Promise.resolve(true);
          if (signal?.aborted || ms <= 0) return Promise.resolve(false);
          return new Promise<boolean>((resolve) => {
            const timer = setTimeout(() => finish(false), ms);
            const onAbort = () => finish(false);
            signal?.addEventListener('abort', onAbort, { once: true });
            function finish(v: boolean) {
              clearTimeout(timer);
              signal?.removeEventListener('abort', onAbort);
              resolveWait = null;
              resolve(v);
            }
            resolveWait = finish;
          });
        },
      };
    },
    wake(agent, cancelledJobId, queuedJobId) {
      const set = byAgent.get(agent);
      if (set) for (const fire of [...set]) fire(cancelledJobId, queuedJobId);
    },
    wakeAll() {
      for (const set of [...byAgent.values()]) for (const fire of [...set]) fire();
    },
    size: () => count,
  };
}
