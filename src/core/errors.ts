/**
 * Every error Skadi raises on purpose carries a stable string code and an HTTP status.
 * The HTTP layer answers `{code, message}`; the chat layer turns the code into a sentence.
 * The README's error table is checked against this dictionary by a test.
 */
export const ERROR_CODES = {
  SKADI_CONFIG_INVALID: { status: 500, doc: 'A configuration value is missing or has the wrong form; the message names the key.' },
  SKADI_BAD_REQUEST: { status: 400, doc: 'The request body, query or parameters do not match the schema.' },
  SKADI_BODY_TOO_LARGE: { status: 413, doc: 'The request body is larger than the server accepts.' },
  SKADI_UNAUTHENTICATED: { status: 401, doc: 'No token, an unknown token or a revoked token.' },
  SKADI_FORBIDDEN: { status: 403, doc: 'The caller is known but not allowed to do this (access control).' },
  SKADI_NOT_FOUND: { status: 404, doc: 'No such route.' },
  SKADI_JOB_NOT_FOUND: { status: 404, doc: 'No job with that id (or not one of this agent\'s jobs).' },
  SKADI_AGENT_NOT_FOUND: { status: 404, doc: 'No agent with that name.' },
  SKADI_AGENT_EXISTS: { status: 409, doc: 'An agent with that name already exists.' },
  SKADI_AGENT_NAME_INVALID: { status: 400, doc: 'Agent names are 1-63 characters of a-z, 0-9, - and _, and may not be a built-in command name.' },
  SKADI_AGENT_OFFLINE: { status: 409, doc: 'The target agent has not checked in for the offline threshold; the job expired at once.' },
  SKADI_AGENT_REVOKED: { status: 403, doc: 'The agent was revoked and can no longer take jobs.' },
  SKADI_INVALID_TRANSITION: { status: 409, doc: 'The job is not in a state that allows this (for example a result for a job that was never acknowledged).' },
  SKADI_LEASE_MISMATCH: { status: 409, doc: 'The lease id does not match the job\'s current lease (the job was redelivered or finished).' },
  SKADI_OUTPUT_INCOMPLETE: { status: 409, doc: 'A result named more output chunks than the server has; send the missing chunks, then the result again.' },
  SKADI_IDEMPOTENCY_CONFLICT: { status: 422, doc: 'The Idempotency-Key was used before with a different request body.' },
  SKADI_TOKEN_NOT_FOUND: { status: 404, doc: 'No API token with that id.' },
  SKADI_RATE_LIMITED: { status: 429, doc: 'Too many requests; retry after the time given.' },
  SKADI_UNAVAILABLE: { status: 503, doc: 'A dependency (database, Redis) is not reachable right now; retry.' },
  SKADI_ADAPTER_FAILED: { status: 502, doc: 'A chat platform rejected or failed a call.' },
  SKADI_INTERNAL: { status: 500, doc: 'An unexpected error; the server log has the details.' },
} as const satisfies Record<string, { status: number; doc: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Base of every deliberate Skadi error. */
export class SkadiError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.status = ERROR_CODES[code].status;
    this.details = details;
  }

  toJSON(): { code: ErrorCode; message: string; details?: Record<string, unknown> } {
    return this.details ? { code: this.code, message: this.message, details: this.details } : { code: this.code, message: this.message };
  }
}

export class ConfigError extends SkadiError {
  constructor(readonly key: string, message: string) {
    super('SKADI_CONFIG_INVALID', `config ${key}: ${message}`, { key });
  }
}

export class NotFoundError extends SkadiError {
  constructor(code: 'SKADI_JOB_NOT_FOUND' | 'SKADI_AGENT_NOT_FOUND' | 'SKADI_TOKEN_NOT_FOUND' | 'SKADI_NOT_FOUND', message: string) {
    super(code, message);
  }
}

export class PermissionError extends SkadiError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('SKADI_FORBIDDEN', message, details);
  }
}

export class InvalidTransitionError extends SkadiError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('SKADI_INVALID_TRANSITION', message, details);
  }
}

export class AdapterError extends SkadiError {
  /**
   * @param retryAfterMs how long the platform asked us to wait (429), if it said
   * @param permanent the platform refused for good (bot removed, conversation gone): retrying cannot help
   */
  constructor(readonly platform: string, message: string, readonly retryAfterMs?: number, readonly permanent = false) {
    super('SKADI_ADAPTER_FAILED', `${platform}: ${message}`, { platform, ...(permanent ? { permanent } : {}) });
  }
}

export function isSkadiError(err: unknown): err is SkadiError {
  return err instanceof SkadiError;
}
