import { randomId, type EventBus, type JobsApi, type Logger, type Subscription } from '../../src/core/index.js';
import type { SseStream } from './sse-stream.js';
import { toAgentSummary, toJobSummary } from './summaries.js';

export interface LiveFeedOptions {
  /** How often the agent list (and, without a bus, the job list) is re-read while someone watches. */
  pollMs: number;
  /** Jobs in the snapshot a browser gets on connecting. */
  jobsLimit: number;
}

export interface LiveFeedDeps {
  jobs: JobsApi;
  bus?: EventBus;
  logger: Logger;
}

/**
 * Fans the fleet's live state out to the browsers on `/web/api/live`: a snapshot on connect
 * (`agents`, `jobs`), then `job` for every job status change (from the bus) and `agents` when
 * the agent list changes (polled, pushed only on change). Work happens only while a browser
 * is connected.
 */
export class LiveFeed {
  private readonly streams = new Set<SseStream>();
  private subscription: Promise<Subscription | null> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private agentsFingerprint = '';
  private jobsFingerprint = '';
  private closed = false;

  constructor(private readonly deps: LiveFeedDeps, private readonly options: LiveFeedOptions) {}

  /** Sends the snapshot to a new stream and keeps it updated until it closes. */
  async attach(stream: SseStream): Promise<void> {
    this.streams.add(stream);
    stream.onClose(() => {
      this.streams.delete(stream);
      if (this.streams.size === 0) this.stopPolling();
    });
    this.startPolling();
    this.subscribeOnce();
    const [agents, jobs] = await Promise.all([this.readAgents(), this.readJobs()]);
    if (agents) stream.send('agents', agents);
    if (jobs) stream.send('jobs', jobs);
  }

  /** Ends every stream, the polling and the bus subscription. */
  async close(): Promise<void> {
    this.closed = true;
    this.stopPolling();
    for (const stream of [...this.streams]) stream.close();
    const sub = await this.subscription;
    this.subscription = null;
    await sub?.close();
  }

  private broadcast(event: string, json: string): void {
    for (const stream of this.streams) stream.send(event, json);
  }

  /**
   * One consumer group per process, unique to it, so every process sees every status change and
   * can tell its own browsers. (With Redis the group outlives the process; it is small.)
   */
  private subscribeOnce(): void {
    const bus = this.deps.bus;
    if (!bus || this.subscription) return;
    this.subscription = bus
      .subscribe('EventJobStatus', `web-live:${randomId(10)}`, async (event) => {
        if (this.streams.size === 0) return;
        try {
          const job = await this.deps.jobs.get(event.payload.jobId);
          if (job) this.broadcast('job', JSON.stringify(toJobSummary(job)));
        } catch (err) {
          // A missed row update is repaired by the next snapshot; redelivery would not help.
          this.deps.logger.warn({ err, jobId: event.payload.jobId }, 'web live feed: cannot read job');
        }
      })
      .catch((err: unknown) => {
        this.deps.logger.error({ err }, 'web live feed: cannot subscribe to job status events');
        return null;
      });
  }

  private startPolling(): void {
    if (this.timer || this.closed) return;
    this.timer = setInterval(() => void this.poll(), this.options.pollMs);
    this.timer.unref();
  }

  private stopPolling(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private async poll(): Promise<void> {
    const agents = await this.readAgents();
    if (agents && agents !== this.agentsFingerprint) {
      this.agentsFingerprint = agents;
      this.broadcast('agents', agents);
    }
    // Without a bus there are no status events: the job list is polled like the agents.
    if (!this.deps.bus) {
      const jobs = await this.readJobs();
      if (jobs && jobs !== this.jobsFingerprint) {
        this.jobsFingerprint = jobs;
        this.broadcast('jobs', jobs);
      }
    }
  }

  private async readAgents(): Promise<string | null> {
    try {
      const agents = await this.deps.jobs.listAgents();
      return JSON.stringify(agents.map(toAgentSummary).sort((a, b) => a.name.localeCompare(b.name)));
    } catch (err) {
      this.deps.logger.warn({ err }, 'web live feed: cannot list agents');
      return null;
    }
  }

  private async readJobs(): Promise<string | null> {
    try {
      const jobs = await this.deps.jobs.list({ limit: this.options.jobsLimit });
      return JSON.stringify(jobs.map(toJobSummary));
    } catch (err) {
      this.deps.logger.warn({ err }, 'web live feed: cannot list jobs');
      return null;
    }
  }
}
