import type { Logger } from '../core/logger.js';
import { AgentApiError, classifyFailure } from './agent-api-error.js';
import { backoffDelay, type BackoffPolicy } from '../core/backoff.js';
import { sleep } from './sleep.js';

export interface RetryPolicy {
  backoff: BackoffPolicy;
  /** Delay between tries while the server refuses the token (401/403): an admin may fix it. */
  authRetryMs: number;
  random: () => number;
}

export interface RetryContext extends RetryPolicy {
  logger: Logger;
  /** Aborting ends the retries and the request in flight (end of a shutdown). */
  signal: AbortSignal;
}

export type RetryOutcome<T> = { ok: true; value: T } | { ok: false; error: unknown; aborted: boolean };

/**
 * Repeats one agent API request until the server accepts it, answers a final 4xx, or
 * `ctx.signal` aborts. Every request of the protocol is idempotent (ack by lease, output by
 * seq, result), so repeating one the server already applied is harmless. Logs the first
 * failure as a warning and the rest at debug level, so an outage is one line, not hundreds.
 */
export async function withRetry<T>(what: string, request: (signal: AbortSignal) => Promise<T>, ctx: RetryContext): Promise<RetryOutcome<T>> {
  for (let attempt = 0; ; attempt++) {
    if (ctx.signal.aborted) return { ok: false, error: ctx.signal.reason, aborted: true };
    try {
      const value = await request(ctx.signal);
      if (attempt > 0) ctx.logger.info({ attempts: attempt + 1 }, `${what} accepted after retrying`);
      return { ok: true, value };
    } catch (err) {
      if (ctx.signal.aborted) return { ok: false, error: err, aborted: true };
      const kind = classifyFailure(err);
      if (kind === 'final') return { ok: false, error: err, aborted: false };
      const delay =
        kind === 'auth'
          ? ctx.authRetryMs
          : Math.max(backoffDelay(attempt, ctx.backoff, ctx.random), err instanceof AgentApiError ? (err.retryAfterMs ?? 0) : 0);
      const log = attempt === 0 ? ctx.logger.warn.bind(ctx.logger) : ctx.logger.debug.bind(ctx.logger);
      log({ err: (err as Error).message, attempt, retryInMs: delay }, `${what} failed; retrying`);
      await sleep(delay, ctx.signal);
    }
  }
}
