/**
 * Long-poll wake-ups inside one process. A waiter is registered before the poll looks at the
 * database, so a job queued between the look and the wait still wakes it.
 *
 * Built for 10,000+ held polls: a waiter is one small object (no closures), an agent with one
 * held poll is stored without a Set, and the waits' deadlines share one timer wheel (slots of
 * WHEEL_SLOT_MS, one interval while anything waits) instead of a timer each.
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

/** Resolution of the waits' deadlines: a wait that times out ends up to this much late. */
export const WHEEL_SLOT_MS = 20;

const NONE: readonly string[] = Object.freeze([]);

/** Deadlines by slot (`ceil(deadline / WHEEL_SLOT_MS)`, monotonic clock), swept by one interval while any wait is timed. */
class TimerWheel {
  private readonly slots = new Map<number, Set<AgentWaiter>>();
  private timed = 0;
  private swept = 0;
  private interval: ReturnType<typeof setInterval> | null = null;

  add(w: AgentWaiter, ms: number): void {
    const slot = Math.ceil((performance.now() + ms) / WHEEL_SLOT_MS);
    let set = this.slots.get(slot);
    if (!set) this.slots.set(slot, (set = new Set()));
    set.add(w);
    w.slot = slot;
    if (this.timed++ === 0) {
      this.swept = Math.floor(performance.now() / WHEEL_SLOT_MS);
      this.interval = setInterval(() => this.sweep(), WHEEL_SLOT_MS);
      // The HTTP server keeps the process alive while polls are held; this timer need not.
      this.interval.unref();
    }
  }

  remove(w: AgentWaiter): void {
    const slot = w.slot;
    w.slot = 0;
    const set = this.slots.get(slot);
    if (!set?.delete(w)) return;
    if (set.size === 0) this.slots.delete(slot);
    this.timed--;
    this.stopIfIdle();
  }

  private sweep(): void {
    const now = Math.floor(performance.now() / WHEEL_SLOT_MS);
    // After a long stall (a suspended process), every due slot at once rather than one by one.
    if (now - this.swept > 10 * 60_000 / WHEEL_SLOT_MS) {
      for (const slot of [...this.slots.keys()]) if (slot <= now) this.expire(slot);
    } else for (let slot = this.swept + 1; slot <= now; slot++) this.expire(slot);
    if (now > this.swept) this.swept = now;
  }

  private expire(slot: number): void {
    const set = this.slots.get(slot);
    if (!set) return;
    this.slots.delete(slot);
    for (const w of set) {
      w.slot = 0;
      this.timed--;
      w.settle(false);
    }
    this.stopIfIdle();
  }

  private stopIfIdle(): void {
    if (this.timed > 0 || !this.interval) return;
    clearInterval(this.interval);
    this.interval = null;
  }

}

class AgentWaiter implements Waiter {
  woken = false;
  cancelled: string[] = NONE as string[];
  queued: string[] = NONE as string[];
  namedOnly = true;
  /** Slot in the wheel while a timed wait is pending; 0 otherwise. */
  slot = 0;
  private resolveWait: ((v: boolean) => void) | null = null;
  private signal: AbortSignal | null = null;
  private disposed = false;

  constructor(
    readonly agent: string,
    private readonly registry: Registry,
  ) {}

  fire(cancelledJobId?: string, queuedJobId?: string): void {
    this.woken = true;
    if (cancelledJobId) {
      if (this.cancelled === NONE) this.cancelled = [cancelledJobId];
      else if (!this.cancelled.includes(cancelledJobId)) this.cancelled.push(cancelledJobId);
    } else if (queuedJobId) {
      if (this.queued === NONE) this.queued = [queuedJobId];
      else if (this.queued.length < 100) this.queued.push(queuedJobId);
      else this.namedOnly = false;
    } else this.namedOnly = false;
    this.settle(true);
  }

  wait(ms: number, signal?: AbortSignal): Promise<boolean> {
    if (this.woken) return Promise.resolve(true);
    if (signal?.aborted || ms <= 0 || this.disposed) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      this.resolveWait = resolve;
      this.registry.wheel.add(this, ms);
      if (signal) {
        this.signal = signal;
        // The waiter itself is the listener (handleEvent): no closure per wait.
        signal.addEventListener('abort', this, { once: true });
      }
    });
  }

  /** EventListener of the signal's 'abort'. */
  handleEvent(): void {
    this.settle(false);
  }

  settle(v: boolean): void {
    const resolve = this.resolveWait;
    if (!resolve) return;
    this.resolveWait = null;
    if (this.slot !== 0) this.registry.wheel.remove(this);
    if (this.signal) {
      this.signal.removeEventListener('abort', this);
      this.signal = null;
    }
    resolve(v);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.settle(false);
    this.registry.remove(this);
  }
}

class Registry implements AgentWaiters {
  readonly wheel = new TimerWheel();
  /** One waiter, or a Set when the agent holds several polls (rare: several processes of one agent, or overlapping polls). */
  private readonly byAgent = new Map<string, AgentWaiter | Set<AgentWaiter>>();
  private count = 0;

  register(agent: string): Waiter {
    const w = new AgentWaiter(agent, this);
    const held = this.byAgent.get(agent);
    if (!held) this.byAgent.set(agent, w);
    else if (held instanceof Set) held.add(w);
    else this.byAgent.set(agent, new Set([held, w]));
    this.count++;
    return w;
  }

  remove(w: AgentWaiter): void {
    const held = this.byAgent.get(w.agent);
    if (held === w) this.byAgent.delete(w.agent);
    else if (held instanceof Set && held.delete(w)) {
      if (held.size === 1) this.byAgent.set(w.agent, held.values().next().value!);
    } else return;
    this.count--;
  }

  wake(agent: string, cancelledJobId?: string, queuedJobId?: string): void {
    const held = this.byAgent.get(agent);
    if (!held) return;
    if (held instanceof Set) for (const w of [...held]) w.fire(cancelledJobId, queuedJobId);
    else held.fire(cancelledJobId, queuedJobId);
  }

  wakeAll(): void {
    for (const held of [...this.byAgent.values()]) {
      if (held instanceof Set) for (const w of [...held]) w.fire();
      else held.fire();
    }
  }

  size(): number {
    return this.count;
  }
}

export function createAgentWaiters(): AgentWaiters {
  return new Registry();
}
