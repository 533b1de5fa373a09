import { isTerminal, type Job, type JobsApi, type Logger } from '../../src/core/index.js';
import type { SseStream } from './sse-stream.js';
import { toJobDetail } from './summaries.js';
import type { WebOutputChunk } from './wire-types.js';

export interface JobOutputFeedOptions {
  /** How often a watched job's row and output are re-read while it runs (default 1 s). */
  pollMs: number;
}

export interface JobOutputFeedDeps {
  jobs: JobsApi;
  logger: Logger;
}

/** One job watched by one or more job pages. */
interface Watch {
  jobId: string;
  streams: Set<SseStream>;
  /** The output every stream of the watch was sent (all of it, in order). */
  output: string;
  /** JSON of the detail last sent; '' before the first read. */
  detail: string;
  timer: NodeJS.Timeout | null;
  busy: boolean;
}

/**
 * The job page's stream (`/web/api/jobs/:id/events`): `job` (the detail, again on every change),
 * `output` (what the agent printed, as appended text) and `end` once the job is final. Output
 * chunks carry no event, so a running job is re-read every `pollMs` while a page watches it,
 * once per job however many pages watch.
 */
export class JobOutputFeed {
  private readonly watches = new Map<string, Watch>();

  constructor(private readonly deps: JobOutputFeedDeps, private readonly options: JobOutputFeedOptions) {}

  /** Sends the job and its output so far to the stream, then what follows until the job is final. */
  async attach(stream: SseStream, jobId: string): Promise<void> {
    let watch = this.watches.get(jobId);
    if (watch && watch.detail !== '') {
      // A page joining a watched job gets what the others have, then the same increments.
      stream.send('job', watch.detail);
      if (watch.output) stream.send('output', JSON.stringify({ offset: 0, text: watch.output } satisfies WebOutputChunk));
    }
    const fresh = !watch;
    watch ??= { jobId, streams: new Set(), output: '', detail: '', timer: null, busy: false };
    this.watches.set(jobId, watch);
    watch.streams.add(stream);
    const w = watch;
    stream.onClose(() => {
      w.streams.delete(stream);
      if (w.streams.size === 0) this.stop(w);
    });
    if (!fresh) return;
    await this.step(w);
    if (this.watches.get(jobId) === w && !w.timer) {
      w.timer = setInterval(() => void this.step(w), this.options.pollMs);
      w.timer.unref();
    }
  }

  /** Stops every watch (the streams themselves are closed by their registry). */
  close(): void {
    for (const w of [...this.watches.values()]) this.stop(w);
  }

  /** Number of jobs watched (tests). */
  get size(): number {
    return this.watches.size;
  }

  private async step(w: Watch): Promise<void> {
    if (w.busy) return;
    w.busy = true;
    try {
      const job = await this.deps.jobs.get(w.jobId);
      if (!job) {
        this.broadcast(w, 'end', JSON.stringify({ reason: 'gone' }));
        this.stop(w);
        return;
      }
      const output = await this.outputOf(job);
      const detail = JSON.stringify(toJobDetail(job));
      if (detail !== w.detail) {
        w.detail = detail;
        this.broadcast(w, 'job', detail);
      }
      this.sendOutput(w, output);
      if (isTerminal(job.state)) {
        this.broadcast(w, 'end', JSON.stringify({ state: job.state }));
        this.stop(w);
      }
    } catch (err) {
      // The next tick tries again; the page keeps what it has.
      this.deps.logger.warn({ err, jobId: w.jobId }, 'web job page: cannot read job');
    } finally {
      w.busy = false;
    }
  }

  /** The stored chunks while the job runs; once final, the output collected on the job. */
  private async outputOf(job: Job): Promise<string> {
    if (job.state === 'queuing') return '';
    if (isTerminal(job.state) && job.output !== null) return job.output;
    return this.deps.jobs.readOutput(job.id);
  }

  private sendOutput(w: Watch, output: string): void {
    if (output === w.output) return;
    // Chunks arrive in order, so output normally only grows; anything else replaces the page's copy.
    const chunk: WebOutputChunk = output.startsWith(w.output) ? { offset: w.output.length, text: output.slice(w.output.length) } : { offset: 0, text: output, reset: true };
    w.output = output;
    this.broadcast(w, 'output', JSON.stringify(chunk));
  }

  private broadcast(w: Watch, event: string, json: string): void {
    for (const stream of w.streams) stream.send(event, json);
  }

  private stop(w: Watch): void {
    if (w.timer) clearInterval(w.timer);
    w.timer = null;
    if (this.watches.get(w.jobId) === w) this.watches.delete(w.jobId);
  }
}
