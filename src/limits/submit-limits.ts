import { SkadiError } from '../core/errors.js';
import type { JobsApi } from '../core/jobs-api.js';
import type { RateSpec } from '../config/parse-values.js';
import { createTokenBuckets, describeRate } from './token-buckets.js';

export interface SubmitLimitOptions {
  /** Jobs per user identity (chat, web, API alike); null: no limit. */
  user: RateSpec | null;
  /** Jobs per target agent, all users together; null: no limit. */
  agent: RateSpec | null;
  now?: () => number;
}

function seconds(ms: number): string {
  const s = Math.max(1, Math.ceil(ms / 1000));
  return s === 1 ? '1 second' : `${s} seconds`;
}

/**
 * Wraps a JobsApi so `submit` is refused with SKADI_RATE_LIMITED (429, `details.retryAfterMs`)
 * when the requester or the target agent is over its rate. Every entry point that creates jobs
 * (chat commands, the web chat, the user API) goes through `submit`, so one wrapper covers them
 * all. The buckets live in this process: with N server processes behind a balancer a user
 * gets up to N times the rate.
 */
export function withSubmitLimits<T extends JobsApi>(jobs: T, options: SubmitLimitOptions): T {
  if (!options.user && !options.agent) return jobs;
  const users = options.user ? createTokenBuckets(options.user, options.now) : null;
  const agents = options.agent ? createTokenBuckets(options.agent, options.now) : null;
  const submit: JobsApi['submit'] = async (input) => {
    // Counted before the job exists (a refused request never reaches the database), so a retry
    // with a repeated Idempotency-Key costs a token too.
    const userWait = users?.take(input.requester.identity) ?? 0;
    if (userWait > 0) {
      throw new SkadiError('SKADI_RATE_LIMITED', `${input.requester.identity} may start at most ${describeRate(options.user!)}; try again in ${seconds(userWait)}`, { retryAfterMs: userWait, limit: 'user' });
    }
    const agentWait = agents?.take(input.agent) ?? 0;
    if (agentWait > 0) {
      throw new SkadiError('SKADI_RATE_LIMITED', `agent ${input.agent} takes at most ${describeRate(options.agent!)}; try again in ${seconds(agentWait)}`, { retryAfterMs: agentWait, limit: 'agent' });
    }
    return jobs.submit(input);
  };
  // Everything but submit goes to the wrapped object itself (methods bound to it), whether it is a
  // plain object of closures or a class instance with state.
  return new Proxy(jobs, {
    get(target, prop) {
      if (prop === 'submit') return submit;
      const value: unknown = Reflect.get(target, prop, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
