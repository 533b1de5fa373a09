import { describe, expect, it } from 'vitest';
import { JobStats, summarize } from '../../../../adapters/web/job-stats.js';
import type { EventJobStatusPayload, JobState } from '../../../../src/core/index.js';
import { fakeJob } from '../../../helpers/web-fake-jobs.js';

const T0 = Date.parse('2026-03-01T12:00:00.000Z');
const MIN = 60_000;
const at = (ms: number) => new Date(T0 + ms);

const stats = (maxJobs = 1000) => new JobStats({ windowMs: 60 * MIN, bucketMs: MIN, maxJobs });

function event(jobId: string, from: JobState | null, to: JobState, ms: number): EventJobStatusPayload {
  return { jobId, agent: 'web-1', from, to, reason: null, at: at(ms).toISOString(), version: 1, attempt: 1, platform: null };
}

/** Index of the bucket holding `ms` in a snapshot taken at `nowMs`. */
const bucketOf = (snapshot: { from: string }, ms: number) => Math.floor((T0 + ms - Date.parse(snapshot.from)) / MIN);

describe('JobStats (the dashboard charts)', () => {
  it('counts finished jobs per minute by final state and summarises dispatch latency', () => {
    const s = stats();
    // Three jobs handed out in minute -5 (latencies 100, 200, 3000 ms), two finished in minute -4.
    s.observeEvent(event('a', null, 'queuing', -5 * MIN));
    s.observeEvent(event('a', 'queuing', 'sent', -5 * MIN + 100));
    s.observeEvent(event('b', null, 'queuing', -5 * MIN));
    s.observeEvent(event('b', 'queuing', 'sent', -5 * MIN + 200));
    s.observeEvent(event('c', null, 'queuing', -5 * MIN));
    s.observeEvent(event('c', 'queuing', 'sent', -5 * MIN + 3000));
    s.observeEvent(event('a', 'running', 'succeeded', -4 * MIN + 10));
    s.observeEvent(event('b', 'running', 'failed', -4 * MIN + 20));
    // Expired at creation (agent offline): finished, never dispatched.
    s.observeEvent(event('d', null, 'expired', -1 * MIN));

    const snap = s.snapshot(at(0));
    expect(snap.finished).toHaveLength(60);
    expect(snap.latency).toHaveLength(60);
    expect(snap.bucketMs).toBe(MIN);
    // The last bucket is the current minute.
    expect(bucketOf(snap, 0)).toBe(59);
    expect(snap.finished[bucketOf(snap, -4 * MIN + 10)]).toEqual({ succeeded: 1, failed: 1, expired: 0, cancelled: 0 });
    expect(snap.finished[bucketOf(snap, -MIN)]).toEqual({ succeeded: 0, failed: 0, expired: 1, cancelled: 0 });
    expect(snap.latency[bucketOf(snap, -5 * MIN)]).toEqual({ count: 3, p50: 200, p95: 3000, max: 3000 });
    expect(snap.latency.filter(Boolean)).toHaveLength(1);
    expect(snap.totals).toEqual({ succeeded: 1, failed: 1, expired: 1, cancelled: 0, latency: { count: 3, p50: 200, p95: 3000, max: 3000 } });
    expect(snap.partial).toBe(false);
  });

  it('counts an event delivered twice once, and a row read after a later event does not undo it', () => {
    const s = stats();
    const job = fakeJob({ id: 'a', agent: 'web-1', state: 'running', createdAt: at(-10_000), sentAt: at(-9_000), updatedAt: at(-9_000) });
    s.observeEvent(event('a', 'running', 'succeeded', -1000));
    s.observeEvent(event('a', 'running', 'succeeded', -1000));
    s.observeJob(job);
    const snap = s.snapshot(at(0));
    expect(snap.totals).toMatchObject({ succeeded: 1, latency: { count: 1, p50: 1000 } });
    // A second hand-out (redelivery) replaces the first: one latency per job.
    s.observeEvent(event('a', 'queuing', 'sent', -500));
    expect(s.snapshot(at(0)).totals.latency).toEqual({ count: 1, p50: 9500, p95: 9500, max: 9500 });
  });

  it('asks for the row when a hand-out comes for a job whose creation it never saw', () => {
    const s = stats();
    expect(s.observeEvent(event('a', 'queuing', 'sent', -1000))).toBe(true);
    expect(s.observeEvent(event('b', null, 'queuing', -2000))).toBe(false);
    expect(s.observeEvent(event('b', 'queuing', 'sent', -1000))).toBe(false);
    expect(s.snapshot(at(0)).totals.latency).toEqual({ count: 1, p50: 1000, p95: 1000, max: 1000 });
  });

  it('takes job rows (finishedAt, else updatedAt) and forgets what left the hour', () => {
    const s = stats();
    s.observeJob(fakeJob({ id: 'old', agent: 'web-1', state: 'succeeded', createdAt: at(-70 * MIN), sentAt: at(-70 * MIN), finishedAt: at(-65 * MIN) }));
    s.observeJob(fakeJob({ id: 'new', agent: 'web-1', state: 'cancelled', createdAt: at(-3 * MIN), finishedAt: null, updatedAt: at(-2 * MIN) }));
    s.observeJob(fakeJob({ id: 'run', agent: 'web-1', state: 'running', createdAt: at(-2 * MIN), sentAt: at(-2 * MIN + 50) }));
    const snap = s.snapshot(at(0));
    expect(snap.totals).toMatchObject({ succeeded: 0, cancelled: 1, latency: { count: 1, p50: 50 } });
    expect(snap.finished[bucketOf(snap, -2 * MIN)]!.cancelled).toBe(1);
    expect(s.size).toBe(2);
  });

  it('says the charts are partial when jobs in the hour were not read, or had to be forgotten', () => {
    const s = stats();
    s.markMissingBefore(at(-30 * MIN));
    expect(s.snapshot(at(0)).partial).toBe(true);
    // An hour later the gap is out of the window.
    expect(s.snapshot(at(61 * MIN)).partial).toBe(false);

    const small = stats(2);
    for (const id of ['a', 'b', 'c']) small.observeEvent(event(id, null, 'expired', -MIN));
    expect(small.size).toBe(2);
    const snap = small.snapshot(at(0));
    expect(snap.partial).toBe(true);
    expect(snap.totals.expired).toBe(2);
  });

  it('stays within its bound while events keep coming and nobody looks, forgetting what left the hour first', () => {
    const s = stats(10);
    // Twenty jobs, one every 10 minutes: at most seven fall within any hour.
    for (let i = 0; i < 20; i++) s.observeEvent(event(`j${i}`, null, 'expired', i * 10 * MIN));
    expect(s.size).toBeLessThanOrEqual(10);
    const snap = s.snapshot(at(19 * 10 * MIN));
    expect(snap.totals.expired).toBe(6);
    expect(snap.partial).toBe(false);
  });

  it('summarises latencies by nearest rank', () => {
    expect(summarize([])).toBeNull();
    expect(summarize([5])).toEqual({ count: 1, p50: 5, p95: 5, max: 5 });
    const hundred = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(summarize(hundred)).toEqual({ count: 100, p50: 50, p95: 95, max: 100 });
  });
});
