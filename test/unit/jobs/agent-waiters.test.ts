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
});
