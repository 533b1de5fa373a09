import { AdapterError, backoffDelay, type BackoffPolicy, type Logger } from '../../src/core/index.js';
import { SLACK_PLATFORM } from './normalize.js';

/** How one Web API call is retried. The per-channel queue around it keeps replies in order meanwhile. */
export interface CallPolicy {
  /** Tries for a transient failure (5xx, network, timeout) before giving up (default 4). */
  attempts: number;
  backoff: BackoffPolicy;
  /**
   * Longest total wait for 429 Retry-After within one call (default 60 s). Beyond it the call
   * throws an AdapterError carrying retryAfterMs: the reply router releases its claim (which
   * lasts 2 min) and the event comes back later, rather than this process holding it forever.
   */
  maxRateLimitWaitMs: number;
}

export const DEFAULT_CALL_POLICY: CallPolicy = { attempts: 4, backoff: { baseMs: 500, capMs: 8000, jitter: 'equal' }, maxRateLimitWaitMs: 60_000 };

export interface CallDeps {
  logger: Logger;
  sleep?: (ms: number) => Promise<void>;
}

/** What went wrong, and what to do about it. */
export type CallFailure = { kind: 'rate-limited'; retryAfterMs: number } | { kind: 'transient'; reason: string } | { kind: 'permanent'; reason: string };

/** Platform errors (HTTP 200, `ok: false`) that mean "Slack had a moment", not "your request is wrong". */
const TRANSIENT_PLATFORM_ERRORS = new Set(['internal_error', 'fatal_error', 'service_unavailable', 'request_timeout', 'ratelimited']);

/** A failure of a call made outside the WebClient (the file upload POST), in the same terms. */
export class SlackCallError extends Error {
  constructor(readonly failure: CallFailure) {
    super(failure.kind === 'rate-limited' ? `rate limited for ${failure.retryAfterMs} ms` : failure.reason);
  }
}

type Coded = { code?: unknown; retryAfter?: unknown; statusCode?: unknown; data?: { error?: unknown }; message?: unknown };

/**
 * Classifies an error of @slack/web-api's WebClient (configured with `rejectRateLimitedCalls` and
 * no retries of its own, so each failure surfaces here once) or of our own upload POST.
 */
export function classifyFailure(err: unknown): CallFailure {
  if (err instanceof SlackCallError) return err.failure;
  const e = (typeof err === 'object' && err !== null ? err : {}) as Coded;
  switch (e.code) {
    case 'slack_webapi_rate_limited_error':
      return { kind: 'rate-limited', retryAfterMs: Math.max(0, Number(e.retryAfter) || 1) * 1000 };
    case 'slack_webapi_http_error': {
      const status = Number(e.statusCode);
      return status >= 500 ? { kind: 'transient', reason: `HTTP ${status}` } : { kind: 'permanent', reason: `HTTP ${status}` };
    }
    case 'slack_webapi_request_error':
      return { kind: 'transient', reason: `request failed: ${String(e.message)}` };
    case 'slack_webapi_platform_error': {
      const code = String(e.data?.error ?? 'unknown_error');
      return TRANSIENT_PLATFORM_ERRORS.has(code) ? { kind: 'transient', reason: code } : { kind: 'permanent', reason: code };
    }
  }
  return { kind: 'permanent', reason: err instanceof Error ? err.message : String(err) };
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs one Slack call: waits out 429s as long as Retry-After says (up to the policy's budget),
 * retries 5xx and network failures with backoff, and turns what remains into an AdapterError
 * (with retryAfterMs when rate-limited) so the caller's caller can release and retry later.
 */
export async function callSlack<T>(what: string, call: () => Promise<T>, policy: CallPolicy, deps: CallDeps): Promise<T> {
  const sleep = deps.sleep ?? realSleep;
  let transient = 0;
  let waited = 0;
  for (;;) {
    try {
      return await call();
    } catch (err) {
      const failure = classifyFailure(err);
      // Slack said no (channel_not_found, not_in_channel, invalid_auth…): retrying cannot help.
      if (failure.kind === 'permanent') throw new AdapterError(SLACK_PLATFORM, `${what} failed: ${failure.reason}`, undefined, true);
      if (failure.kind === 'rate-limited') {
        if (waited + failure.retryAfterMs > policy.maxRateLimitWaitMs) {
          throw new AdapterError(SLACK_PLATFORM, `${what} rate limited; retry after ${failure.retryAfterMs} ms`, failure.retryAfterMs);
        }
        deps.logger.warn({ what, retryAfterMs: failure.retryAfterMs }, 'slack rate limit: waiting as Retry-After says');
        waited += failure.retryAfterMs;
        await sleep(failure.retryAfterMs);
        continue;
      }
      transient += 1;
      if (transient >= policy.attempts) throw new AdapterError(SLACK_PLATFORM, `${what} failed ${transient} times: ${failure.reason}`);
      const delay = backoffDelay(transient - 1, policy.backoff);
      deps.logger.warn({ what, reason: failure.reason, attempt: transient, delayMs: delay }, 'slack call failed; retrying');
      await sleep(delay);
    }
  }
}
