import { isTerminal, type EventJobStatusPayload, type Job } from '../../src/core/index.js';
import { FINAL_STATES, type FinalState, type WebLatency, type WebStats } from './wire-types.js';

export interface JobStatsOptions {
  /** The period the charts cover (default one hour). */
  windowMs: number;
  /** One bar per this long (default one minute). */
  bucketMs: number;
  /** Jobs remembered at most; beyond, the oldest are forgotten and the charts say they are partial. */
  maxJobs: number;
}

/** When one job was created, handed out and finished (epoch ms), as far as known. */
interface Timing {
  createdAt: number | null;
  sentAt: number | null;
  finishedAt: number | null;
  final: FinalState | null;
}

const isFinal = (state: string): state is FinalState => (FINAL_STATES as readonly string[]).includes(state);

/**
 * The numbers behind the dashboard's charts: for each job of the last hour, when it was created,
 * handed to its agent and finished, fed from job rows (once, when the charts start) and from
 * EventJobStatus (from then on). Observations are idempotent and only move forward, so a row
 * read after a later event cannot undo it, and an event delivered twice counts once.
 */
export class JobStats {
  private readonly jobs = new Map<string, Timing>();
  /** Jobs before this instant (epoch ms) may be missing: a seed stopped at its limit, or the oldest were forgotten. */
  private missingBefore = 0;
  /** The latest instant observed: "now" for pruning between snapshots (events keep coming while nobody looks). */
  private newest = 0;

  constructor(private readonly options: JobStatsOptions) {}

  /** Takes what a job row says. */
  observeJob(job: Job): void {
    const t = this.timing(job.id, job.updatedAt.getTime());
    t.createdAt = job.createdAt.getTime();
    if (job.sentAt) t.sentAt = Math.max(t.sentAt ?? 0, job.sentAt.getTime());
    if (isTerminal(job.state) && isFinal(job.state) && t.final === null) {
      t.final = job.state;
      t.finishedAt = (job.finishedAt ?? job.updatedAt).getTime();
    }
  }

  /**
   * Takes a status change. Returns true when the change is a hand-out whose job's creation was
   * not seen (created before the stats started): the caller then reads the row for its latency.
   */
  observeEvent(event: EventJobStatusPayload): boolean {
    const at = Date.parse(event.at);
    if (!Number.isFinite(at)) return false;
    const t = this.timing(event.jobId, at);
    if (event.from === null) t.createdAt = at;
    if (event.to === 'sent') t.sentAt = Math.max(t.sentAt ?? 0, at);
    if (isFinal(event.to) && t.final === null) {
      t.final = event.to;
      t.finishedAt = at;
    }
    return event.to === 'sent' && t.createdAt === null;
  }

  /** Says that jobs created before `at` may be missing (a seed that stopped at its limit). */
  markMissingBefore(at: Date): void {
    this.missingBefore = Math.max(this.missingBefore, at.getTime());
  }

  /** Number of jobs remembered (tests, and the bound). */
  get size(): number {
    return this.jobs.size;
  }

  /** The charts' data for the window ending now; forgets what fell out of it. */
  snapshot(now: Date): WebStats {
    const { bucketMs } = this.options;
    const buckets = Math.max(1, Math.round(this.options.windowMs / bucketMs));
    const from = (Math.floor(now.getTime() / bucketMs) - buckets + 1) * bucketMs;
    this.prune(from);
    const finished = Array.from({ length: buckets }, () => emptyCounts());
    const latencies: number[][] = Array.from({ length: buckets }, () => []);
    const totals = emptyCounts();
    const all: number[] = [];
    const bucketOf = (ms: number | null): number => (ms === null ? -1 : Math.floor((ms - from) / bucketMs));
    for (const t of this.jobs.values()) {
      const f = bucketOf(t.finishedAt);
      if (t.final && f >= 0 && f < buckets) {
        finished[f]![t.final]++;
        totals[t.final]++;
      }
      const s = bucketOf(t.sentAt);
      if (t.createdAt !== null && t.sentAt !== null && s >= 0 && s < buckets) {
        const ms = Math.max(0, t.sentAt - t.createdAt);
        latencies[s]!.push(ms);
        all.push(ms);
      }
    }
    return {
      from: new Date(from).toISOString(),
      bucketMs,
      finished,
      latency: latencies.map(summarize),
      totals: { ...totals, latency: summarize(all) },
      partial: this.missingBefore > from,
    };
  }

  private timing(id: string, at: number): Timing {
    this.newest = Math.max(this.newest, at);
    let t = this.jobs.get(id);
    if (!t) {
      if (this.jobs.size >= this.options.maxJobs) {
        // What left the window goes first; only a busier hour than the bound forgets jobs inside it.
        this.prune(this.newest - this.options.windowMs - this.options.bucketMs);
        while (this.jobs.size >= this.options.maxJobs) this.forgetOldest();
      }
      t = { createdAt: null, sentAt: null, finishedAt: null, final: null };
      this.jobs.set(id, t);
    }
    return t;
  }

  private forgetOldest(): void {
    const first = this.jobs.entries().next();
    if (first.done) return;
    const [id, t] = first.value;
    this.jobs.delete(id);
    this.missingBefore = Math.max(this.missingBefore, (t.finishedAt ?? t.sentAt ?? t.createdAt ?? 0) + 1);
  }

  /** Drops the jobs whose every known instant is before `from`. */
  private prune(from: number): void {
    for (const [id, t] of this.jobs) {
      if (Math.max(t.createdAt ?? 0, t.sentAt ?? 0, t.finishedAt ?? 0) < from) this.jobs.delete(id);
    }
  }
}

function emptyCounts(): Record<FinalState, number> {
  return { succeeded: 0, failed: 0, expired: 0, cancelled: 0 };
}

/** Count, median, 95th percentile (nearest rank) and maximum; null for no values. */
export function summarize(values: number[]): WebLatency | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p: number) => sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
  return { count: sorted.length, p50: rank(50), p95: rank(95), max: sorted[sorted.length - 1]! };
}
