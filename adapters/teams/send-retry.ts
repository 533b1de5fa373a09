import { AdapterError } from '../../src/core/index.js';
import { TEAMS_PLATFORM } from './teams-thread.js';

/** How calls to the Bot Connector are retried (the SDK's own retry policy is switched off, so this is the only one). */
export interface RetryPolicy {
  /** Attempts in all, the first included (default 4). */
  attempts: number;
  /** First backoff after a 5xx or network error; doubles each time, with jitter (default 500 ms). */
  baseDelayMs: number;
  /** Longest backoff (default 8 s). */
  maxDelayMs: number;
  /** A Retry-After longer than this is not waited for here: the send fails and the bus redelivers later (default 30 s). */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { attempts: 4, baseDelayMs: 500, maxDelayMs: 8_000, maxRetryAfterMs: 30_000 };

export type FailureKind =
  | { kind: 'throttled'; retryAfterMs: number | null; status: number }
  | { kind: 'transient'; status: number | null }
  | { kind: 'fatal'; status: number };

interface HttpishError {
  statusCode?: unknown;
  name?: unknown;
  response?: { headers?: { get?: (name: string) => string | undefined | null } };
}

/** Seconds (`120`) or an HTTP date, as Retry-After allows; null when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now: number): number | null {
  if (value === null || value === undefined || value.trim() === '') return null;
  if (/^\d+(\.\d+)?$/.test(value.trim())) return Math.round(Number(value) * 1000);
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/** Sorts a failed connector call: 429 (wait as told), 5xx/408/network/timeout (back off), anything else (give up). */
export function classifyFailure(err: unknown, now = Date.now()): FailureKind {
  const e = (typeof err === 'object' && err !== null ? err : {}) as HttpishError;
  const status = typeof e.statusCode === 'number' ? e.statusCode : null;
  const retryAfter = parseRetryAfter(e.response?.headers?.get?.('retry-after'), now);
  if (status === 429) return { kind: 'throttled', retryAfterMs: retryAfter, status };
  if (status === null || status === 408 || status >= 500) {
    return retryAfter !== null && status !== null ? { kind: 'throttled', retryAfterMs: retryAfter, status } : { kind: 'transient', status };
  }
  return { kind: 'fatal', status };
}

function describe(err: unknown): string {
  const e = err as { statusCode?: number; message?: string; name?: string };
  const what = e?.statusCode ? `HTTP ${e.statusCode}` : (e?.name ?? 'error');
  return `${what}: ${String(e?.message ?? err).slice(0, 300)}`;
}

export interface RetryDeps {
  sleep: (ms: number) => Promise<void>;
  /** Called before each retry (logging). */
  onRetry?: (info: { attempt: number; delayMs: number; failure: FailureKind; err: unknown }) => void;
  random?: () => number;
}

export interface RetryOptions<T> {
  /** What is being sent, for the error message. */
  what: string;
  /** A replacement call to try once when the connector refuses the first (e.g. a card it rejects, resent as plain text). */
  fallback?: (failure: FailureKind & { kind: 'fatal' }) => (() => Promise<T>) | null;
}

/**
 * Runs `call` until it succeeds, retrying throttling and transient failures per `policy`. Gives up
 * with AdapterError (carrying the wait the connector asked for, if any) so the reply router
 * releases its claim and the bus redelivers. A refusal (4xx) is final, unless `fallback` offers
 * one other call to try instead (the plain-text version of a card).
 */
export async function withRetry<T>(first: () => Promise<T>, policy: RetryPolicy, deps: RetryDeps, options: RetryOptions<T>): Promise<T> {
  const random = deps.random ?? Math.random;
  const { what } = options;
  let call = first;
  let fellBack = false;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      const failure = classifyFailure(err);
      if (failure.kind === 'fatal') {
        const replacement = fellBack ? null : (options.fallback?.(failure) ?? null);
        // A 4xx the connector will refuse again (bot removed, conversation gone): not worth retrying.
        if (!replacement) throw new AdapterError(TEAMS_PLATFORM, `${what} refused (${describe(err)})`, undefined, true);
        deps.onRetry?.({ attempt, delayMs: 0, failure, err });
        call = replacement;
        fellBack = true;
        continue;
      }
      const backoff = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
      const wanted = failure.kind === 'throttled' ? (failure.retryAfterMs ?? backoff) : backoff * (0.75 + random() * 0.5);
      const delayMs = Math.round(wanted);
      if (attempt >= policy.attempts || delayMs > policy.maxRetryAfterMs) {
        const retryAfterMs = failure.kind === 'throttled' ? (failure.retryAfterMs ?? undefined) : undefined;
        throw new AdapterError(TEAMS_PLATFORM, `${what} failed after ${attempt} attempt${attempt > 1 ? 's' : ''} (${describe(err)})`, retryAfterMs);
      }
      deps.onRetry?.({ attempt, delayMs, failure, err });
      await deps.sleep(delayMs);
    }
  }
}
