import { isFanOutParent, isTerminal } from '../core/index.js';
import type { BusEvent, ChatAdapter, Clock, EventBus, EventJobStatusPayload, FanOutJob, Job, JobsApi, Logger, ReplyStore, Subscription } from '../core/index.js';
import { ReplyDeferredError, createReplyClaims } from './reply-claims.js';
import { createFanOutReplies, isFanOutEvent } from './fan-out-replies.js';
import { renderQueued, renderResult, renderRunning } from './render-job.js';
import { sendResult } from './send-result.js';

export { ReplyDeferredError } from './reply-claims.js';

export interface ReplyRouterOptions {
  /** This process's id, recorded on reply claims (e.g. `serve-<host>-<pid>-<random>`). */
  owner: string;
  /** Platforms this process replies on (default: every adapter given). */
  platforms?: readonly string[];
  /** How long a claim protects a reply being sent before another process may take over (default 2 min). */
  claimTtlMs?: number;
  /**
   * Owner prefix shared by every run of this process (`<node id>/`). Claims an earlier run held
   * when it died are freed at start, so its unsent replies go out now rather than after
   * `claimTtlMs`. Only safe when no other live process uses the same prefix (node ids are unique).
   */
  restartedOwnerPrefix?: string;
}

export interface ReplyRouterDeps {
  bus: EventBus;
  jobs: JobsApi;
  replies: ReplyStore;
  adapters: ReadonlyMap<string, ChatAdapter>;
  clock: Clock;
  logger: Logger;
}

export interface ReplyRouter {
  /** Subscribes one consumer group per platform: `reply-router:<platform>`. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Handles one event as the group of `platform` would (exposed for tests and replays). */
  handle(platform: string, event: BusEvent<'EventJobStatus'>): Promise<void>;
}

export type ReplyKey = 'queued' | 'running' | 'result';

/** Which reply an event calls for; null for transitions users need not hear about (sent, redelivery). */
export function replyKeyFor(payload: EventJobStatusPayload): ReplyKey | null {
  if (isTerminal(payload.to)) return 'result';
  if (payload.to === 'queuing' && payload.from === null) return 'queued';
  if (payload.to === 'running') return 'running';
  return null;
}

type ThreadedJob = Job & { thread: NonNullable<Job['thread']> };

/**
 * Replies in a job's thread as it moves: an acknowledgement when queued, the status message
 * edited to running (where the platform can edit), and the result. Each (job, key) goes out
 * once across processes and restarts: claimed in the ReplyStore before sending, marked sent
 * after, released on failure so the redelivered event retries it. Events may be handled out of
 * order by different processes; a result never waits for nothing, and a late acknowledgement
 * is not sent after the result.
 */
export function createReplyRouter(options: ReplyRouterOptions, deps: ReplyRouterDeps): ReplyRouter {
  const log = deps.logger.child({ component: 'reply-router' });
  const claims = createReplyClaims({ owner: options.owner, claimTtlMs: options.claimTtlMs ?? 120_000 }, { replies: deps.replies, clock: deps.clock, logger: log });
  const fanOuts = createFanOutReplies({ claims, jobs: deps.jobs, replies: deps.replies, logger: log });
  const platforms = options.platforms ?? [...deps.adapters.keys()];
  const subscriptions: Subscription[] = [];

  async function acknowledge(adapter: ChatAdapter, job: ThreadedJob): Promise<void> {
    // Already finished: the result says everything, and a "queued" now would be stale.
    if (isTerminal(job.state)) return;
    await claims.exclusively(job.id, 'queued', job.agent, async () => {
      if (await claims.get(job.id, 'result')) return null;
      return (await adapter.send(job.thread, renderQueued(job))).messageId;
    });
  }

  async function markRunning(adapter: ChatAdapter, job: ThreadedJob): Promise<void> {
    if (isTerminal(job.state) || !adapter.edit) return;
    const queued = await claims.get(job.id, 'queued');
    if (claims.inFlight(queued)) throw new ReplyDeferredError(job.id, 'running', 'queued');
    const statusId = queued?.state === 'sent' ? queued.messageId : null;
    if (statusId === null) return; // nothing to update; the result will be a new message
    const edit = adapter.edit.bind(adapter);
    await claims.exclusively(job.id, 'running', job.agent, async () => {
      if (await claims.get(job.id, 'result')) return null;
      await edit(job.thread, statusId, renderRunning(job));
      return statusId;
    });
  }

  async function sendFinal(adapter: ChatAdapter, job: ThreadedJob): Promise<void> {
    const canEdit = adapter.capabilities.edit && adapter.edit !== undefined;
    await claims.exclusively(job.id, 'result', job.agent, async () => {
      // Let an acknowledgement or running update being sent right now land first, so the result
      // edits the status message instead of racing it (the retry comes with the redelivery).
      const [queued, running] = await Promise.all([claims.get(job.id, 'queued'), claims.get(job.id, 'running')]);
      if (claims.inFlight(queued)) throw new ReplyDeferredError(job.id, 'result', 'queued');
      if (canEdit && claims.inFlight(running)) throw new ReplyDeferredError(job.id, 'result', 'running');
      const agent = job.state === 'expired' ? await deps.jobs.getAgent(job.agent) : null;
      const message = renderResult(job, agent, deps.clock.now());
      const statusMessageId = canEdit && queued?.state === 'sent' ? queued.messageId : null;
      return sendResult({ adapter, job, message, statusMessageId, claims, logger: log });
    });
  }

  async function handle(platform: string, event: BusEvent<'EventJobStatus'>): Promise<void> {
    const { payload } = event;
    // Another process hosting that platform has its own group and answers it.
    if (payload.platform !== platform) return;
    const key = replyKeyFor(payload);
    const adapter = deps.adapters.get(platform);
    if (key === null || !adapter) return;
    // A fan-out parent's creation is posted everywhere; its progress only where messages can be edited.
    if (key === 'running' && !adapter.capabilities.edit && payload.from !== null) return;
    const job = await deps.jobs.get(payload.jobId);
    if (!job?.thread || job.thread.platform !== platform) {
      if (!job) log.warn({ jobId: payload.jobId, agent: payload.agent, eventId: event.id }, 'job of event not found; no reply');
      return;
    }
    const threaded = job as ThreadedJob;
    try {
      if (isFanOutParent(threaded)) await fanOuts.handle(adapter, threaded as FanOutJob & ThreadedJob, payload);
      else if (isFanOutEvent(payload)) return;
      else if (key === 'queued') await acknowledge(adapter, threaded);
      else if (key === 'running') await markRunning(adapter, threaded);
      else await sendFinal(adapter, threaded);
    } catch (err) {
      if (err instanceof ReplyDeferredError) log.debug({ jobId: job.id, agent: job.agent, key, reason: err.message }, 'reply deferred');
      else log.warn({ err, jobId: job.id, agent: job.agent, key, eventId: event.id }, 'reply failed; it will be retried');
      throw err;
    }
  }

  return {
    handle,
    async start() {
      if (options.restartedOwnerPrefix !== undefined && options.owner.startsWith(options.restartedOwnerPrefix)) {
        const freed = await deps.replies.releaseAbandoned(options.restartedOwnerPrefix, options.owner);
        if (freed > 0) log.info({ freed }, 'freed the reply claims an earlier run of this process left; those replies go out now');
      }
      for (const platform of platforms) {
        if (!deps.adapters.has(platform)) throw new Error(`reply router: no adapter for platform ${platform}`);
        subscriptions.push(await deps.bus.subscribe('EventJobStatus', `reply-router:${platform}`, (event) => handle(platform, event)));
      }
    },
    async stop() {
      const open = subscriptions.splice(0);
      await Promise.all(open.map((subscription) => subscription.close()));
    },
  };
}
