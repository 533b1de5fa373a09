import { ERROR_CODES, SkadiError, type ErrorCode } from '../core/errors.js';

/** Codes by which the server says a job is gone for this agent: stop working on it. */
export const JOB_GONE_CODES: readonly string[] = ['SKADI_INVALID_TRANSITION', 'SKADI_LEASE_MISMATCH', 'SKADI_JOB_NOT_FOUND'];

function codeFor(status: number, code: unknown): ErrorCode {
  if (typeof code === 'string' && Object.hasOwn(ERROR_CODES, code)) return code as ErrorCode;
  // A proxy or an older server may answer without a Skadi code; derive one from the status.
  if (status === 401) return 'SKADI_UNAUTHENTICATED';
  if (status === 403) return 'SKADI_FORBIDDEN';
  if (status === 404) return 'SKADI_NOT_FOUND';
  if (status === 413) return 'SKADI_BODY_TOO_LARGE';
  if (status === 429) return 'SKADI_RATE_LIMITED';
  if (status === 502 || status === 503 || status === 504) return 'SKADI_UNAVAILABLE';
  if (status >= 500) return 'SKADI_INTERNAL';
  return 'SKADI_BAD_REQUEST';
}

/**
 * An error answer of the agent API (`{code, message}`). `httpStatus` is the status the
 * server actually sent; `code` is its Skadi code (derived from the status when the body
 * had none we know, e.g. an HTML page from a proxy).
 */
export class AgentApiError extends SkadiError {
  readonly httpStatus: number;
  /** From a Retry-After header (429, 503), if any. */
  readonly retryAfterMs?: number;

  constructor(httpStatus: number, body: unknown, retryAfterMs?: number) {
    const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
    const code = codeFor(httpStatus, fields.code);
    const message = typeof fields.message === 'string' ? fields.message : `HTTP ${httpStatus}`;
    const serverCode = typeof fields.code === 'string' && fields.code !== code ? ` (${fields.code})` : '';
    super(code, `agent API ${httpStatus} ${code}${serverCode}: ${message}`, { httpStatus });
    this.httpStatus = httpStatus;
    this.retryAfterMs = retryAfterMs;
  }
}

/** How a failed request should be handled. */
export type FailureKind = 'retry' | 'auth' | 'final';

/**
 * `retry`: network error, timeout, 408, 429, 5xx — the server may answer later.
 * `auth`: 401/403 — the token is unknown, revoked, or the agent was revoked.
 * `final`: any other 4xx — repeating the same request cannot succeed.
 */
export function classifyFailure(err: unknown): FailureKind {
  if (!(err instanceof AgentApiError)) return 'retry';
  const status = err.httpStatus;
  if (status === 401 || status === 403) return 'auth';
  if (status === 408 || status === 429 || status >= 500) return 'retry';
  return 'final';
}
