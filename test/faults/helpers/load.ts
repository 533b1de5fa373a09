import { randomBytes } from 'node:crypto';
import { eventEnvelope, mentionEvent, postEvent } from '../../helpers/slack-payloads.js';
import { webId } from '../../helpers/serve-web-client.js';
import { SLACK_CHANNEL, SLACK_USER, type FaultRig, type ServerSlot } from './fault-rig.js';
import { sleep } from './processes.js';

export type Channel = 'web' | 'api' | 'slack';

/** One job the load asked for, and how it went from the client's side. */
export interface LoadRecord {
  /** `L<n>`: appears in the job's message, so the job can be found. */
  label: string;
  channel: Channel;
  agent: string;
  /** Web: the client message id (also the thread id). Slack: the message ts (the thread). API: the Idempotency-Key. */
  ref: string;
  /** The server accepted it (202 / 201 / 200, or a job that expired at once for an offline agent). */
  accepted: boolean;
  attempts: number;
  lastError: string | null;
}

export interface LoadOptions {
  /** Jobs started per second. */
  ratePerSecond: number;
  /** Which channel the n-th job uses (default: web, with every fourth through the user API). */
  channelOf?: (n: number) => Channel;
  /** Seconds the handler works (default 0.2–1.2 s). */
  workSeconds?: (n: number) => number;
  /** How long a client keeps retrying one job before giving up (default 120 s). */
  giveUpMs?: number;
}

const RETRY_MS = 300;

/**
 * A steady load of jobs, each sent like a real client would: the web chat page (which retries
 * a failed POST with the same client message id), a CI script on the user API (retrying with the
 * same Idempotency-Key), or Slack's Events API (which redelivers an event it got no 200 for).
 * Requests go round robin to the server processes' addresses; a failure (a refused connection
 * when one is down) tries the next one.
 */
export class Load {
  readonly records: LoadRecord[] = [];
  private timer: NodeJS.Timeout | null = null;
  private readonly inFlight = new Set<Promise<void>>();
  private n = 0;
  private rr = 0;
  private stopped = false;

  constructor(
    private readonly rig: FaultRig,
    private readonly options: LoadOptions,
  ) {}

  start(): void {
    const every = 1000 / this.options.ratePerSecond;
    const tick = () => {
      if (this.stopped) return;
      this.launch();
      this.timer = setTimeout(tick, every);
    };
    tick();
  }

  /** Stops starting jobs and waits for the clients still retrying (bounded by giveUpMs). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  get accepted(): LoadRecord[] {
    return this.records.filter((r) => r.accepted);
  }

  /**
   * Starts one more job now, outside the schedule, through `channel`; its first attempt goes to
   * `first` (a test aims a request at the process it is about to kill). The client carries on
   * in the background like the others; stop() waits for it.
   */
  sendOne(channel: Channel, first?: ServerSlot): LoadRecord {
    this.pinned = first ?? null;
    return this.launch(channel);
  }

  private pinned: ServerSlot | null = null;

  private launch(forced?: Channel): LoadRecord {
    const n = ++this.n;
    const agents = this.rig.agentNames;
    const channel = forced ?? this.options.channelOf?.(n) ?? (n % 4 === 0 ? 'api' : 'web');
    const seconds = this.options.workSeconds?.(n) ?? 0.2 + ((n * 7) % 11) / 10;
    const record: LoadRecord = { label: `L${n}`, channel, agent: agents[n % agents.length]!, ref: '', accepted: false, attempts: 0, lastError: null };
    this.records.push(record);
    const message = `work ${record.label} ${seconds.toFixed(1)}`;
    const send = channel === 'web' ? this.sendWeb(record, message) : channel === 'api' ? this.sendApi(record, message) : this.sendSlack(record, message);
    const tracked = send.catch((err: unknown) => void (record.lastError = String(err))).finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
    return record;
  }

  private nextServer(): ServerSlot | null {
    const pinned = this.pinned;
    this.pinned = null;
    if (pinned) return pinned;
    const known = this.rig.knownServers();
    if (known.length === 0) return null;
    return known[this.rr++ % known.length]!;
  }

  /** Tries `attempt` on the next live server until it returns true or giveUpMs passes. */
  private async retrying(record: LoadRecord, attempt: (server: ServerSlot) => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + (this.options.giveUpMs ?? 120_000);
    while (Date.now() < deadline) {
      const server = this.nextServer();
      if (server) {
        record.attempts++;
        try {
          if (await attempt(server)) {
            record.accepted = true;
            return;
          }
        } catch (err) {
          record.lastError = err instanceof Error ? `${err.message}${err.cause ? ` (${String((err.cause as Error).message ?? err.cause)})` : ''}` : String(err);
        }
      }
      await sleep(RETRY_MS);
    }
  }

  private sendWeb(record: LoadRecord, message: string): Promise<void> {
    const clientMessageId = webId('m');
    record.ref = clientMessageId;
    const body = JSON.stringify({ conversationId: this.rig.conversation, clientMessageId, text: `${record.agent} ${message}` });
    return this.retrying(record, async (server) => {
      const cookie = await this.rig.cookie(server);
      const res = await fetch(`${server.url}/web/api/messages`, { method: 'POST', headers: { 'content-type': 'application/json', cookie }, body, signal: AbortSignal.timeout(15_000) });
      const text = await res.text();
      if (res.status === 401) this.rig.forgetCookie(server);
      if (res.status === 202) return true;
      record.lastError = `HTTP ${res.status} ${text.slice(0, 200)}`;
      return false;
    });
  }

  private sendApi(record: LoadRecord, message: string): Promise<void> {
    record.ref = `idem-${record.label}-${randomBytes(4).toString('hex')}`;
    const body = JSON.stringify({ agent: record.agent, message });
    return this.retrying(record, async (server) => {
      const res = await fetch(`${server.url}/api/v1/jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${this.rig.apiToken}`, 'idempotency-key': record.ref },
        body,
        signal: AbortSignal.timeout(15_000),
      });
      const text = await res.text();
      if (res.status === 201 || res.status === 200) return true;
      // The job exists and expired at once: the client was told, nothing to retry.
      if (text.includes('SKADI_AGENT_OFFLINE')) return true;
      record.lastError = `HTTP ${res.status} ${text.slice(0, 200)}`;
      return false;
    });
  }

  private sendSlack(record: LoadRecord, message: string): Promise<void> {
    const slack = this.rig.slack!;
    const ts = slack.fake.nextTs();
    record.ref = ts;
    const envelope = eventEnvelope(mentionEvent({ user: SLACK_USER, text: `<@UBOT> ${record.agent} ${message}`, channel: SLACK_CHANNEL, ts }));
    let retryNum = 0;
    return this.retrying(record, async (server) => {
      // Slack redelivers the same event (same event_id) with a retry number when it got no 200.
      const res = await postEvent(`${server.url}/slack/events`, envelope, { secret: slack.secret, ...(retryNum > 0 ? { retryNum } : {}) });
      retryNum++;
      await res.text();
      if (res.status === 200) return true;
      record.lastError = `HTTP ${res.status}`;
      return false;
    });
  }
}
