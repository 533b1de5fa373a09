import type { Clock, EventBus, Logger, OutboxEvent, OutboxStore } from '../core/index.js';
import { backoffDelay, type BackoffPolicy } from '../core/index.js';
import { OutageLog } from './outage-log.js';

export interface OutboxRelayOptions {
  /** How long a claim on an outbox row lasts, the writer's and the sweep's (default 5000 ms). */
  claimMs?: number;
  /** Rows claimed per sweep round, and ids per markRelayed call (default 200). */
  batch?: number;
  /** Pause between sweeps while all is well (default 1000 ms). */
  sweepIntervalMs?: number;
  /** Longest pause between sweeps while the bus or the database fails (default 30 s). */
  maxBackoffMs?: number;
}

export interface OutboxRelayDeps {
  outbox: OutboxStore;
  bus: EventBus;
  clock: Clock;
  logger: Logger;
}

export interface OutboxRelay {
  /** Publishes events just committed by this process (its claim is still fresh); never throws. */
  relayNow(events: OutboxEvent[]): void;
  /** Starts the background sweep that publishes what nobody else did (crashed writer, bus down). */
  start(): void;
  /** Stops the sweep, waits for publishes in flight and writes their marks. */
  stop(): Promise<void>;
}

/** Fast-path publishes in flight at most; more wait in the queue (backpressure on a slow bus). */
const MAX_IN_FLIGHT = 1000;
/** Marks kept for a retry while the database fails; beyond, events are simply published again. */
const MAX_PENDING_MARKS = 100_000;

/**
 * Moves events from the transactional outbox to the bus, at least once. Fast path: the writer
 * hands over the events it just committed. Sweep: claims rows whose claim expired (claim CAS in
 * the store, so several processes never do the same work) and publishes them oldest first.
 * Marks are coalesced: one markRelayed per tick, not per event.
 */
export function createOutboxRelay(options: OutboxRelayOptions, deps: OutboxRelayDeps): OutboxRelay {
  const { outbox, bus, clock } = deps;
  const logger = deps.logger.child({ component: 'outbox-relay' });
  const claimMs = options.claimMs ?? 5000;
  const batch = options.batch ?? 200;
  const sweepIntervalMs = options.sweepIntervalMs ?? 1000;
  const maxBackoffMs = options.maxBackoffMs ?? 30_000;
  // Equal jitter keeps a floor under every wait: a failing sweep never becomes a busy loop.
  const markBackoff: BackoffPolicy = { baseMs: 100, capMs: maxBackoffMs, jitter: 'equal' };
  const sweepBackoff: BackoffPolicy = { baseMs: sweepIntervalMs, capMs: maxBackoffMs, jitter: 'equal' };
  // One log line when a dependency starts failing and one when it recovers, whoever noticed.
  const busOutage = new OutageLog(logger, 'event bus publish');
  const dbOutage = new OutageLog(logger, 'outbox database');

  let started = false;
  let stopped = false;

  // ---- marks, coalesced
  const marks: string[] = [];
  let markTimer: NodeJS.Timeout | null = null;
  let marking: Promise<void> | null = null;
  let markFailures = 0;
  const flushMarks = async (): Promise<void> => {
    while (marks.length > 0) {
      const ids = marks.splice(0, batch);
      try {
        await outbox.markRelayed(ids, clock.now());
        dbOutage.ok();
        markFailures = 0;
      } catch (err) {
        dbOutage.fail(err);
        markFailures++;
        marks.unshift(...ids);
        if (marks.length > MAX_PENDING_MARKS) marks.splice(0, marks.length - MAX_PENDING_MARKS);
        return;
      }
    }
  };
  const scheduleMarks = (delayMs: number): void => {
    if (markTimer || marking || stopped) return;
    markTimer = setTimeout(() => {
      markTimer = null;
      marking = flushMarks().finally(() => {
        marking = null;
        if (marks.length > 0) scheduleMarks(markFailures ? backoffDelay(markFailures - 1, markBackoff) : 0);
      });
    }, delayMs);
  };
  // Marks wait a little so that one UPDATE covers the events of many jobs: at light load an
  // event each tick would otherwise cost a write (and a commit) each. Far below the claim, so
  // the sweep never sees a published event as unrelayed in between.
  const markDelayMs = Math.min(50, Math.floor(claimMs / 10));
  const markLater = (ids: string[]): void => {
    if (ids.length === 0) return;
    marks.push(...ids);
    scheduleMarks(marks.length >= batch ? 0 : markDelayMs);
  };

  /** Publishes in the given order (calls are issued in order; both buses keep it) and marks what went through. */
  const publishAll = async (events: OutboxEvent[]): Promise<{ ok: number; error: unknown }> => {
    const results = await Promise.allSettled(events.map((e) => bus.publish(e.name, e.payload, e.id)));
    const done: string[] = [];
    let error: unknown = null;
    results.forEach((r, i) => {
      if (r.status === 'fulfilled') done.push(events[i]!.id);
      else error ??= r.reason;
    });
    markLater(done);
    if (error) busOutage.fail(error);
    else if (done.length > 0) busOutage.ok();
    return { ok: done.length, error };
  };

  // ---- fast path: a queue pumped in order, with a bounded number of publishes in flight
  const queue: OutboxEvent[] = [];
  /** Ids queued or being published by the fast path: the sweep leaves them alone. */
  const fastIds = new Set<string>();
  const outstanding = new Set<Promise<void>>();
  let inFlight = 0;
  let pumpScheduled = false;
  const pump = (): void => {
    pumpScheduled = false;
    const take = Math.min(queue.length, MAX_IN_FLIGHT - inFlight);
    if (take <= 0 || stopped) return;
    const events = queue.splice(0, take);
    inFlight += events.length;
    const tracked = publishAll(events).then(() => {
      outstanding.delete(tracked);
      inFlight -= events.length;
      for (const e of events) fastIds.delete(e.id);
      if (queue.length > 0) schedulePump();
    });
    outstanding.add(tracked);
  };
  const schedulePump = (): void => {
    if (pumpScheduled) return;
    pumpScheduled = true;
    // Next macrotask: the events of many writers that committed in this tick go out together.
    setImmediate(pump);
  };

  // ---- sweep
  let sweepTimer: NodeJS.Timeout | null = null;
  let sweeping: Promise<void> | null = null;
  /** Consecutive failed sweeps, for the backoff; a sweep with nothing to publish proves nothing about the bus. */
  let sweepFailures = 0;
  let lastFailure: 'database' | 'bus' | null = null;
  const sweepOnce = async (): Promise<void> => {
    for (let round = 0; round < 50 && !stopped; round++) {
      const now = clock.now();
      let claimed: OutboxEvent[];
      try {
        claimed = await outbox.claimUnrelayed(now, new Date(now.getTime() + claimMs), batch);
        dbOutage.ok();
      } catch (err) {
        dbOutage.fail(err);
        lastFailure = 'database';
        sweepFailures++;
        return;
      }
      const todo = claimed.filter((e) => !fastIds.has(e.id));
      if (todo.length > 0) {
        const { error } = await publishAll(todo);
        if (error) {
          lastFailure = 'bus';
          sweepFailures++;
          return;
        }
        sweepFailures = 0;
      } else if (lastFailure === 'database') {
        sweepFailures = 0;
      }
      if (claimed.length < batch) return;
    }
  };
  const scheduleSweep = (delayMs: number): void => {
    if (stopped) return;
    sweepTimer = setTimeout(() => {
      sweepTimer = null;
      sweeping = sweepOnce().finally(() => {
        sweeping = null;
        scheduleSweep(sweepFailures ? backoffDelay(sweepFailures - 1, sweepBackoff) : sweepIntervalMs);
      });
    }, delayMs);
  };

  return {
    relayNow(events) {
      if (stopped || events.length === 0) return;
      for (const e of events) {
        queue.push(e);
        fastIds.add(e.id);
      }
      schedulePump();
    },

    start() {
      if (started || stopped) return;
      started = true;
      // Not at once: subscribers wired right after start() get the chance to exist before the
      // first sweep publishes what a previous run left (a group that does not exist yet gets nothing).
      scheduleSweep(sweepIntervalMs);
    },

    async stop() {
      if (stopped) return;
      stopped = true;
      if (sweepTimer) clearTimeout(sweepTimer);
      if (markTimer) clearTimeout(markTimer);
      markTimer = null;
      // Events still queued are left to a sweep (here after restart, or in another process).
      queue.length = 0;
      await Promise.all([sweeping, marking, ...outstanding]);
      await flushMarks();
      if (marks.length > 0) logger.warn({ count: marks.length }, 'could not mark events relayed; they will be published again');
    },
  };
}
