import { describe, expect, it } from 'vitest';
import { createAgentWaiters } from '../../../src/jobs/agent-waiters.js';

describe('agent waiters', () => {
  it('names the jobs a wake-up was for, as long as every wake-up for work named one', async () => {
    const waiters = createAgentWaiters();
    const w = waiters.register('web-1');
    waiters.wake('web-1', undefined, 'job-a');
    waiters.wake('web-1', 'job-x'); // a cancel: not work, keeps the names exact
    waiters.wake('web-1', undefined, 'job-b');
    expect(await w.wait(1000)).toBe(true);
    expect(w.queued).toEqual(['job-a', 'job-b']);
    expect(w.cancelled).toEqual(['job-x']);
    expect(w.namedOnly).toBe(true);
    w.dispose();
  });

  it('says so when a wake-up for work named nothing (another process, a redelivery): the poll must search', () => {
    const waiters = createAgentWaiters();
    const w = waiters.register('web-1');
    waiters.wake('web-1', undefined, 'job-a');
    waiters.wake('web-1');
    expect(w.namedOnly).toBe(false);
    const all = waiters.register('web-1');
    waiters.wakeAll();
    expect(all.namedOnly).toBe(false);
    w.dispose();
    all.dispose();
    expect(waiters.size()).toBe(0);
  });

  it('wakes only the agent named', () => {
    const waiters = createAgentWaiters();
    const mine = waiters.register('web-1');
    const other = waiters.register('db-1');
    waiters.wake('web-1', undefined, 'job-a');
    expect(mine.woken).toBe(true);
    expect(other.woken).toBe(false);
    expect(other.queued).toEqual([]);
    mine.dispose();
    other.dispose();
  });

  it('times a wait out on the shared wheel, ends it on abort or dispose, and forgets it', async () => {
    const waiters = createAgentWaiters();
    const timed = waiters.register('web-1');
    const t0 = performance.now();
    expect(await timed.wait(60)).toBe(false);
    const took = performance.now() - t0;
    expect(took).toBeGreaterThanOrEqual(55);
    expect(took).toBeLessThan(1000);
    timed.dispose();

    const abort = new AbortController();
    const aborted = waiters.register('web-1');
    const abortedWait = aborted.wait(30_000, abort.signal);
    abort.abort();
    expect(await abortedWait).toBe(false);
    aborted.dispose();

    const disposed = waiters.register('web-1');
    const disposedWait = disposed.wait(30_000);
    disposed.dispose();
    expect(await disposedWait).toBe(false);
    expect(waiters.size()).toBe(0);

    // Woken after a timeout elsewhere: a fresh waiter of the same agent still wakes.
    const next = waiters.register('web-1');
    const nextWait = next.wait(30_000);
    waiters.wake('web-1', undefined, 'job-z');
    expect(await nextWait).toBe(true);
    expect(next.queued).toEqual(['job-z']);
    next.dispose();
  });

  it('holds several polls of one agent and many agents at once, each with its own deadline', async () => {
    const waiters = createAgentWaiters();
    const polls = Array.from({ length: 500 }, (_, i) => waiters.register(`a-${i % 250}`));
    expect(waiters.size()).toBe(500);
    const waits = polls.map((w, i) => w.wait(i % 2 ? 40 : 30_000));
    waiters.wake('a-0');
    const results = await Promise.all(waits.map((p, i) => (i % 2 ? p : i === 0 || i === 250 ? p : Promise.resolve(null))));
    expect(results.filter((r) => r === false)).toHaveLength(250);
    expect(results[0]).toBe(true);
    expect(results[250]).toBe(true);
    for (const w of polls) w.dispose();
    expect(waiters.size()).toBe(0);
    expect(await Promise.all(waits)).toHaveLength(500);
  });
});
