import type { Clock, EventJobStatusPayload, JobsApi, Logger } from '../../src/core/index.js';
import { JobStats } from './job-stats.js';

export interface StatsFeedOptions {
  /** The charts' period (default one hour) and bar width (default one minute). */
  windowMs: number;
  bucketMs: number;
  /** Job rows read at most when the charts start (default 5000); the charts say when that was not all. */
  seedMax: number;
  /**
   * How far before the window the start-up read looks, for jobs created earlier that were handed
   * out or finished inside it (default 15 min; the default job timeout is 10).
   */
  lookbackMs: number;
}

export interface StatsFeedDeps {
  jobs: JobsApi;
  clock: Clock;
  logger: Logger;
}

const PAGE = 200;

/**
 * Keeps the dashboard's chart data: the last hour's jobs read once through JobsApi.list (newest
 * first, bounded), then kept current from the status events. Without a bus there are no events:
 * `refresh` reads again instead.
 */
export class StatsFeed {
  private stats: JobStats;
  private seeding: Promise<void> | null = null;

  constructor(private readonly deps: StatsFeedDeps, private readonly options: StatsFeedOptions) {
    this.stats = this.fresh();
  }

  /** Resolves once the start-up read is done (started by the first call). */
  ready(): Promise<void> {
    this.seeding ??= this.seed(this.stats);
    return this.seeding;
  }

  /** Reads the window again from the database (the fallback without status events). */
  async refresh(): Promise<void> {
    const next = this.fresh();
    await this.seed(next);
    this.stats = next;
  }

  /** Takes a status change; reads the job only when its creation was before what is known. */
  async observe(event: EventJobStatusPayload): Promise<void> {
    if (!this.stats.observeEvent(event)) return;
    try {
      const job = await this.deps.jobs.get(event.jobId);
      if (job) this.stats.observeJob(job);
    } catch (err) {
      this.deps.logger.warn({ err, jobId: event.jobId }, 'web dashboard: cannot read job for its dispatch latency');
    }
  }

  /** The charts' data as JSON. */
  snapshotJson(): string {
    return JSON.stringify(this.stats.snapshot(this.deps.clock.now()));
  }

  private fresh(): JobStats {
    return new JobStats({ windowMs: this.options.windowMs, bucketMs: this.options.bucketMs, maxJobs: Math.max(this.options.seedMax * 4, 10_000) });
  }

  private async seed(into: JobStats): Promise<void> {
    const since = this.deps.clock.now().getTime() - this.options.windowMs - this.options.lookbackMs;
    let before: Date | undefined;
    let read = 0;
    try {
      for (;;) {
        const page = await this.deps.jobs.list({ limit: PAGE, ...(before ? { before } : {}) });
        for (const job of page) into.observeJob(job);
        read += page.length;
        const oldest = page.at(-1);
        if (!oldest || page.length < PAGE || oldest.createdAt.getTime() < since) return;
        if (read >= this.options.seedMax) {
          into.markMissingBefore(oldest.createdAt);
          return;
        }
        before = oldest.createdAt;
      }
    } catch (err) {
      this.deps.logger.warn({ err }, 'web dashboard: cannot read the recent jobs for the charts');
      into.markMissingBefore(this.deps.clock.now());
    }
  }
}
