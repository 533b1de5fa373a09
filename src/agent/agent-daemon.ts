import os from 'node:os';
import type { AgentInfo, PollResponse } from '../core/agent-protocol.js';
import type { Logger } from '../core/logger.js';
import { classifyFailure, AgentApiError } from './agent-api-error.js';
import { createAgentClient, type AgentClient } from './agent-client.js';
import type { AgentConfig } from './agent-config.js';
import { backoffDelay, type BackoffPolicy } from '../core/backoff.js';
import type { SpawnFn } from './job-runner.js';
import { sleep, within } from './sleep.js';
import { startJobSession, type JobSession } from './job-session.js';
import type { JobGuard } from './job-guard.js';
import type { RetryPolicy } from './with-retry.js';

/** A fleet of agents that lost the server at once spreads its reconnects over the whole window. */
const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 500, capMs: 30_000, jitter: 'full' };

export interface AgentDaemonOptions {
  /** Base URL of the Skadi server. */
  server: string;
  /** This agent's token (`skadi agent add` printed it). */
  token: string;
  config: AgentConfig;
  /** Admits or refuses each assignment before anything runs (signature, name, expiry, journal). */
  guard: JobGuard;
  /** For logs only: the server knows the agent by its token (the guard holds the pinned name). */
  name?: string;
  /** Reported on every check-in. */
  version: string;
  /** How long the server may hold a poll (0-30 s, default 25). */
  pollWaitSeconds?: number;
  /** On 401/403: keep retrying every `authRetryMs` (default, e.g. embedded), or stop and reject `done()` (CLI). */
  onUnauthorized?: 'retry' | 'exit';
  authRetryMs?: number;
  /** Reconnect backoff, full jitter (default 500 ms doubling up to 30 s). */
  backoff?: Partial<Pick<BackoffPolicy, 'baseMs' | 'capMs'>>;
  /** Between SIGTERM and SIGKILL when a job is killed (default 5 s). */
  killGraceMs?: number;
  /** After stop() killed the jobs, how long to keep trying to report them (default 10 s). */
  reportGraceMs?: number;
}

export interface AgentDaemonDeps {
  logger: Logger;
  /** Default: an HTTP client for `server` and `token`. */
  client?: AgentClient;
  spawn?: SpawnFn;
  random?: () => number;
  hostname?: () => string;
}

export interface AgentDaemon {
  /** Starts polling; resolves at once (the loop runs in the background). */
  start(): Promise<void>;
  /** Stops polling, lets jobs finish for `drainMs` (default 10 s), then kills and reports them. */
  stop(opts?: { drainMs?: number }): Promise<void>;
  /** Jobs in progress (acknowledging, running or reporting). */
  running(): number;
  /** Resolves once stopped; rejects with the AgentApiError when `onUnauthorized: 'exit'` and the token is refused. */
  done(): Promise<void>;
}

/** After an empty answer that came back this fast, wait before polling again (a server that does not hold). */
const MIN_EMPTY_POLL_MS = 1_000;
/** The protocol's upper bound for `max`. */
const MAX_JOBS_PER_POLL = 100;

/**
 * The reference agent: long-polls the server, runs what its own config allows, reports.
 * The same code runs as `skadi agent` on a target server and embedded in the server process.
 */
export function createAgentDaemon(options: AgentDaemonOptions, deps: AgentDaemonDeps): AgentDaemon {
  const logger = deps.logger.child({ component: 'agent', ...(options.name ? { agent: options.name } : {}) });
  /** Lines about jobs carry the agent's name: from the options, or as the server tells it in a poll answer. */
  let jobLogger = logger;
  const ownClient = deps.client === undefined;
  const client = deps.client ?? createAgentClient({ server: options.server, token: options.token, userAgent: `skadi-agent/${options.version}` });
  const { config } = options;
  const wait = Math.min(30, Math.max(0, options.pollWaitSeconds ?? 25));
  const retry: RetryPolicy = { backoff: { ...DEFAULT_BACKOFF, ...options.backoff }, authRetryMs: options.authRetryMs ?? 60_000, random: deps.random ?? Math.random };
  const info: AgentInfo = { version: options.version, host: (deps.hostname ?? os.hostname)(), os: `${os.platform()} ${os.release()}`, labels: { ...config.labels } };

  const sessions = new Map<string, JobSession>();
  const acked = new Set<string>();
  const stopping = new AbortController();
  const giveUp = new AbortController();
  let loop: Promise<void> | undefined;
  let stopped: Promise<void> | undefined;
  let fatal: unknown;
  /** The poll in flight (or the pause after an empty answer), so it can be cut short. */
  let current: { abort: AbortController; max: number } | undefined;
  /**
   * Re-poll now, when a slot frees up and the held poll asked for no jobs. A held poll is not
   * cut short after an ack: the server names a running job in `cancels` when it is cancelled
   * while the poll is held, so the poll's `running` list need not be current.
   */
  const wake = (reason: 'acked' | 'freed'): void => {
    if (current && reason === 'freed' && current.max === 0) current.abort.abort();
  };
  let settleDone: { resolve: () => void; reject: (err: unknown) => void };
  const donePromise = new Promise<void>((resolve, reject) => (settleDone = { resolve, reject }));
  donePromise.catch(() => {}); // the caller may never call done(); not an unhandled rejection

  const launch = (job: PollResponse['jobs'][number]): void => {
    if (sessions.has(job.id) || sessions.size >= config.concurrency) {
      // More than we asked for, or a duplicate: not acked, so the server hands it out again.
      jobLogger.warn({ jobId: job.id }, 'ignoring an assignment beyond capacity or already running');
      return;
    }
    const session = startJobSession(job, {
      client, config, guard: options.guard, logger: jobLogger, retry, giveUp: giveUp.signal, killGraceMs: options.killGraceMs ?? 5_000, spawn: deps.spawn,
      onAcked: (id) => {
        acked.add(id);
        wake('acked');
      },
    });
    sessions.set(job.id, session);
    void session.done.then(() => {
      sessions.delete(job.id);
      acked.delete(job.id);
      wake('freed');
    });
  };

  let nameChecked = false;
  const handle = (res: PollResponse): void => {
    if (res.agent && !options.name && jobLogger === logger) jobLogger = logger.child({ agent: res.agent });
    if (res.agent && !nameChecked && options.guard.name && res.agent !== options.guard.name) {
      nameChecked = true;
      logger.error({ pinned: options.guard.name, server: res.agent }, 'the server knows this token as another agent than the name in this agent\'s config: every signed job will be refused. Fix `name:` or the token.');
    }
    for (const id of res.cancels) {
      jobLogger.info({ jobId: id }, 'job cancelled by the server');
      sessions.get(id)?.cancel('cancelled');
    }
    for (const job of res.jobs) launch(job);
  };

  const onPollError = async (err: unknown, failures: number): Promise<void> => {
    const kind = classifyFailure(err);
    if (kind === 'auth') {
      if (options.onUnauthorized === 'exit') {
        fatal = err;
        logger.error({ err: (err as Error).message }, 'the server refused the agent token (unknown or revoked); stopping. Check the token or ask an admin (skadi agent add / token list).');
        return;
      }
      if (failures === 1) logger.error({ err: (err as Error).message, retryInMs: retry.authRetryMs }, 'the server refused the agent token (unknown or revoked); retrying slowly until an admin fixes it');
      await sleep(retry.authRetryMs, stopping.signal);
      return;
    }
    const delay = Math.max(backoffDelay(failures - 1, retry.backoff, retry.random), err instanceof AgentApiError ? (err.retryAfterMs ?? 0) : 0);
    if (failures === 1) {
      const what = kind === 'final' ? 'the server rejected the poll' : 'cannot reach the server';
      logger[kind === 'final' ? 'error' : 'warn']({ err: (err as Error).message, server: options.server }, `${what}; retrying with backoff`);
    } else {
      logger.debug({ err: (err as Error).message, failures, retryInMs: delay }, 'poll failed again');
    }
    await sleep(delay, stopping.signal);
  };

  const pollLoop = async (): Promise<void> => {
    let failures = 0;
    while (!stopping.signal.aborted && fatal === undefined) {
      const max = Math.min(MAX_JOBS_PER_POLL, Math.max(0, config.concurrency - sessions.size));
      const pollAbort = new AbortController();
      const onStop = (): void => pollAbort.abort();
      stopping.signal.addEventListener('abort', onStop, { once: true });
      current = { abort: pollAbort, max };
      const started = Date.now();
      try {
        const res = await client.poll({ wait, max, running: [...acked], info }, pollAbort.signal);
        if (failures > 0) logger.info({ failures }, 'connected to the server again');
        failures = 0;
        handle(res);
        const quick = Date.now() - started < MIN_EMPTY_POLL_MS;
        if (res.jobs.length === 0 && res.cancels.length === 0 && quick) {
          current = { abort: new AbortController(), max: 0 };
          await sleep(MIN_EMPTY_POLL_MS - (Date.now() - started), AbortSignal.any([current.abort.signal, stopping.signal]));
        }
      } catch (err) {
        if (stopping.signal.aborted) break;
        if (!pollAbort.signal.aborted) await onPollError(err, ++failures);
      } finally {
        stopping.signal.removeEventListener('abort', onStop);
        current = undefined;
      }
    }
    if (fatal !== undefined) void stop({ drainMs: 0 });
  };

  const stop = (opts: { drainMs?: number } = {}): Promise<void> => {
    stopped ??= (async () => {
      stopping.abort();
      await loop;
      const drainMs = opts.drainMs ?? 10_000;
      if (sessions.size > 0) logger.info({ jobs: sessions.size, drainMs }, 'stopping: waiting for running jobs');
      const all = (): Promise<unknown> => Promise.all([...sessions.values()].map((s) => s.done));
      await within(all(), drainMs);
      if (sessions.size > 0) {
        jobLogger.warn({ jobIds: [...sessions.keys()] }, 'stopping: killing jobs still running');
        for (const s of sessions.values()) s.cancel('cancelled: the agent is shutting down');
        await within(all(), (options.killGraceMs ?? 5_000) + (options.reportGraceMs ?? 10_000));
      }
      giveUp.abort();
      await all();
      if (ownClient) client.close();
      logger.info('agent stopped');
      if (fatal === undefined) settleDone.resolve();
      else settleDone.reject(fatal);
    })();
    return stopped;
  };

  return {
    async start() {
      if (loop || stopped) return;
      logger.info({ server: options.server, concurrency: config.concurrency, handlers: Object.keys(config.handlers), allowShell: config.allowShell, signedJobsOnly: options.guard.signed }, 'agent starting');
      if (!options.guard.signed) logger.warn('allowUnsignedJobs is true: jobs are run without checking that the server created them; pin serverPublicKey (`skadi keys show`) instead');
      loop = pollLoop().catch((err: unknown) => {
        // A bug, not a server problem: stop cleanly rather than leave jobs unreported.
        logger.error({ err: (err as Error)?.stack ?? String(err) }, 'agent poll loop crashed; stopping');
        fatal ??= err;
        void stop({ drainMs: 0 });
      });
    },
    stop,
    running: () => sessions.size,
    done: () => donePromise,
  };
}
