import { isSkadiError, type ErrorCode, type SkadiError } from '../core/index.js';

/**
 * The one place SkadiError codes become chat sentences: what happened and what to do. Typed as
 * a full Record, so adding an error code without a sentence fails to compile.
 */
const INTERNAL = 'Something went wrong on my side; try again, and tell an admin if it keeps happening.';

const SENTENCES: Readonly<Record<ErrorCode, (err: SkadiError) => string>> = {
  SKADI_CONFIG_INVALID: () => 'Skadi is misconfigured, so I cannot do that; please tell an admin (the server log names the setting).',
  SKADI_BAD_REQUEST: (err) => `I could not take that: ${err.message}.`,
  SKADI_BODY_TOO_LARGE: () => 'That is more than I can take in one message; send less.',
  SKADI_UNAUTHENTICATED: () => 'I could not tell who you are; sign in again and retry.',
  SKADI_FORBIDDEN: (err) => `Sorry, you may not do that (${err.message}); ask an admin for access.`,
  SKADI_NOT_FOUND: () => 'I could not find that; say "help" to see what you can do.',
  SKADI_JOB_NOT_FOUND: () => 'There is no such job; say "jobs" to list recent ones.',
  SKADI_AGENT_NOT_FOUND: () => 'There is no such agent; say "agents" to list the ones you may use.',
  SKADI_AGENT_EXISTS: () => 'An agent with that name already exists; pick another name.',
  SKADI_AGENT_NAME_INVALID: (err) => `That agent name cannot be used: ${err.message}.`,
  SKADI_AGENT_OFFLINE: () => 'That agent is offline, so the job could not run; try again when it is back (say "agents" to check).',
  SKADI_AGENT_REVOKED: () => 'That agent was revoked and takes no more jobs; ask an admin if it should come back.',
  SKADI_INVALID_TRANSITION: (err) => `That job cannot do that now (${err.message}); say "status <job>" to see where it is.`,
  SKADI_LEASE_MISMATCH: () => 'That job moved on in the meantime; say "status <job>" to see where it is.',
  SKADI_OUTPUT_INCOMPLETE: () => 'The job\'s output is not complete yet; ask again in a moment.',
  SKADI_IDEMPOTENCY_CONFLICT: () => 'That request was already made with different content; send it as a new request.',
  SKADI_TOKEN_NOT_FOUND: () => 'There is no API token with that id.',
  SKADI_RATE_LIMITED: (err) => (err.details?.limit ? `Not so fast: ${err.message}.` : 'You are sending requests faster than I accept them; wait a moment and try again.'),
  SKADI_UNAVAILABLE: () => 'I cannot reach my database or message bus right now; try again in a minute.',
  SKADI_ADAPTER_FAILED: () => 'The chat platform failed a call I made; try again in a minute.',
  SKADI_INTERNAL: () => INTERNAL,
};

/**
 * A sentence for the user about `err`. Unexpected errors (not SkadiError) get the internal-error
 * sentence with `reference`, which the caller logs next to the stack so an admin can find it.
 */
export function errorSentence(err: unknown, reference?: string): string {
  if (isSkadiError(err)) return SENTENCES[err.code](err);
  return reference ? `${INTERNAL.slice(0, -1)} (reference ${reference}).` : INTERNAL;
}

/** Codes that are the user's doing (bad input, no access) rather than a fault to log loudly. */
export function isUserError(err: unknown): boolean {
  // A platform's 429 is a fault to look into; a user over their own rate limit (details.limit) is not.
  return isSkadiError(err) && err.status >= 400 && err.status < 500 && (err.code !== 'SKADI_RATE_LIMITED' || err.details?.limit !== undefined);
}
