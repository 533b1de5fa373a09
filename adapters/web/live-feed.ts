import { ACTIVE_STATES, randomId, type Clock, type EventBus, type EventJobStatusPayload, type JobsApi, type Logger, type Subscription } from '../../src/core/index.js';
import type { SseStream } from './sse-stream.js';
import { StatsFeed } from './stats-feed.js';
import { loadByAgent, toAgentSummary, toJobSummary } from './summaries.js';
import type { WebAgentSummary } from './wire-types.js';

export interface LiveFeedOptions {
  /** How often the agent list (and, without a bus, the job list and the charts) is re-read while someone watches. */
  pollMs: number;
  /** Jobs in the snapshot a browser gets on connecting. */
  jobsLimit: number;
  /** The server's offline threshold: an agent not seen for this long shows offline. */
  offlineAfterMs: number;
  /** Job rows read at most when the charts start. */
  statsSeedMax: number;
}

export interface LiveFeedDeps {
  jobs: JobsApi;
  bus?: EventBus;
  clock: Clock;
  logger: Logger;
}

/** Active jobs read to count each agent's running and queued jobs. */
const ACTIVE_LIMIT = 1000;
/** Several changes in a burst (a fan-out, a sweep) cost one re-read. */
const COALESCE_MS = 250;

/**
 * Fans the fleet's live state out to the browsers on `/web/api/live`: a snapshot on connect
 * (`agents`, `jobs`, `stats`), then `job` for every job status change (from the bus), `agents`
 * when an agent goes offline or comes back (EventAgentStatus, and polled), and `stats` when
 * the charts change. Pushes happen only while a browser is connected; once started, the chart
 * data keeps following the status events (map updates, no reads).
 */
export class LiveFeed {
  private readonly streams = new Set<SseStream>();
  private readonly stats: StatsFeed;
  private subscriptions: Promise<Array<Subscription | null>> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private agentsTimer: NodeJS.Timeout | null = null;
  private statsTimer: NodeJS.Timeout | null = null;
  private agentsFingerprint = '';
  private jobsFingerprint = '';
  private statsFingerprint = '';
  private closed = false;

  constructor(private readonly deps: LiveFeedDeps, private readonly options: LiveFeedOptions) {
    this.stats = new StatsFeed(deps, { windowMs: 3_600_000, bucketMs: 60_000, seedMax: options.statsSeedMax, lookbackMs: 15 * 60_000 });
  }

  /** Sends the snapshot to a new stream and keeps it updated until it closes. */
  async attach(stream: SseStream): Promise<void> {
    this.streams.add(stream);
    stream.onClose(() => {
      this.streams.delete(stream);
      if (this.streams.size === 0) this.stopTimers();
    });
    this.startPolling();
    this.subscribeOnce();
    const [agents, jobs] = await Promise.all([this.readAgents(), this.readJobs(), this.stats.ready()]);
    if (agents) stream.send('agents', agents);
    if (jobs) stream.send('jobs', jobs);
    stream.send('stats', this.stats.snapshotJson());
  }

  /** Ends every stream, the polling and the bus subscriptions. */
  async close(): Promise<void> {
    this.closed = true;
    this.stopTimers();
    for (const stream of [...this.streams]) stream.close();
    const subs = await this.subscriptions;
    this.subscriptions = null;
    await Promise.all((subs ?? []).map((s) => s?.close()));
  }

  private broadcast(event: string, json: string): void {
    for (const stream of this.streams) stream.send(event, json);
  }

  /**
   * One consumer group per process and event, unique to it, so every process sees every change
   * and can tell its own browsers. (With Redis the groups outlive the process; they are small.)
   */
  private subscribeOnce(): void {
    const bus = this.deps.bus;
    if (!bus || this.subscriptions) return;
    const group = `web-live:${randomId(10)}`;
    const failed = (what: string) => (err: unknown) => {
      this.deps.logger.error({ err }, `web live feed: cannot subscribe to ${what}`);
      return null;
    };
    this.subscriptions = Promise.all([
      bus.subscribe('EventJobStatus', group, (event) => this.onJobStatus(event.payload)).catch(failed('job status events')),
      bus.subscribe('EventAgentStatus', group, async () => this.soon('agents')).catch(failed('agent status events')),
    ]);
  }

  private async onJobStatus(event: EventJobStatusPayload): Promise<void> {
    await this.stats.observe(event);
    if (this.streams.size === 0) return;
    this.soon('stats');
    // Running and queued counts of the fleet view change with every move in or out of an active state.
    if (ACTIVE_STATES.includes(event.to) || (event.from !== null && ACTIVE_STATES.includes(event.from))) this.soon('agents');
    try {
      const job = await this.deps.jobs.get(event.jobId);
      if (job) this.broadcast('job', JSON.stringify(toJobSummary(job)));
    } catch (err) {
      // A missed row update is repaired by the next snapshot; redelivery would not help.
      this.deps.logger.warn({ err, jobId: event.jobId }, 'web live feed: cannot read job');
    }
  }

  /** Pushes the agents or the charts shortly, once for a burst of changes. */
  private soon(what: 'agents' | 'stats'): void {
    if (this.closed || this.streams.size === 0) return;
    if (what === 'agents') {
      this.agentsTimer ??= setTimeout(() => {
        this.agentsTimer = null;
        void this.pushAgents();
      }, COALESCE_MS);
    } else {
      this.statsTimer ??= setTimeout(() => {
        this.statsTimer = null;
        this.pushStats();
      }, COALESCE_MS);
    }
  }

  private startPolling(): void {
    if (this.timer || this.closed) return;
    this.timer = setInterval(() => void this.poll(), this.options.pollMs);
    this.timer.unref();
  }

  private stopTimers(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.agentsTimer) clearTimeout(this.agentsTimer);
    if (this.statsTimer) clearTimeout(this.statsTimer);
    this.timer = this.agentsTimer = this.statsTimer = null;
  }

  private async poll(): Promise<void> {
    await this.pushAgents();
    // Without a bus there are no status events: the job list and the charts are re-read like the agents.
    if (!this.deps.bus) {
      const jobs = await this.readJobs();
      if (jobs && jobs !== this.jobsFingerprint) {
        this.jobsFingerprint = jobs;
        this.broadcast('jobs', jobs);
      }
      await this.stats.refresh();
    }
    // The window slides every minute even when nothing happens.
    this.pushStats();
  }

  private async pushAgents(): Promise<void> {
    const agents = await this.readAgents();
    if (agents && agents !== this.agentsFingerprint) {
      this.agentsFingerprint = agents;
      this.broadcast('agents', agents);
    }
  }

  private pushStats(): void {
    const stats = this.stats.snapshotJson();
    if (stats === this.statsFingerprint) return;
    this.statsFingerprint = stats;
    this.broadcast('stats', stats);
  }

  /** The agents as the page shows them (online by the server's threshold, with their job counts), sorted by name. */
  async agentSummaries(): Promise<WebAgentSummary[]> {
    const [agents, active] = await Promise.all([this.deps.jobs.listAgents(), this.deps.jobs.list({ states: ACTIVE_STATES, limit: ACTIVE_LIMIT })]);
    const load = loadByAgent(active);
    const now = this.deps.clock.now();
    return agents.map((a) => toAgentSummary(a, now, this.options.offlineAfterMs, load.get(a.name))).sort((a, b) => a.name.localeCompare(b.name));
  }

  private async readAgents(): Promise<string | null> {
    try {
      return JSON.stringify(await this.agentSummaries());
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
