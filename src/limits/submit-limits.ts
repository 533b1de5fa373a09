import { SkadiError } from '../core/errors.js';
import type { JobsApi } from '../core/jobs-api.js';
import type { FanOutApi } from '../core/fan-out.js';
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

/** The buckets of one process, shared by single jobs and fan-outs. */
export interface SubmitLimiter {
  /** Takes one token of the user's; throws SKADI_RATE_LIMITED when there is none. */
  takeUser(identity: string): void;
  /** Takes one token of the agent's; throws SKADI_RATE_LIMITED when there is none. */
  takeAgent(agent: string): void;
}

export function createSubmitLimiter(options: SubmitLimitOptions): SubmitLimiter | null {
  if (!options.user && !options.agent) return null;
  const users = options.user ? createTokenBuckets(options.user, options.now) : null;
  const agents = options.agent ? createTokenBuckets(options.agent, options.now) : null;
  return {
    takeUser(identity) {
      const wait = users?.take(identity) ?? 0;
      if (wait > 0) throw new SkadiError('SKADI_RATE_LIMITED', `${identity} may start at most ${describeRate(options.user!)}; try again in ${seconds(wait)}`, { retryAfterMs: wait, limit: 'user' });
    },
    takeAgent(agent) {
      const wait = agents?.take(agent) ?? 0;
      if (wait > 0) throw new SkadiError('SKADI_RATE_LIMITED', `agent ${agent} takes at most ${describeRate(options.agent!)}; try again in ${seconds(wait)}`, { retryAfterMs: wait, limit: 'agent' });
    },
  };
}

function limiterOf(limits: SubmitLimitOptions | SubmitLimiter | null): SubmitLimiter | null {
  if (limits === null || 'takeUser' in limits) return limits;
  return createSubmitLimiter(limits);
}

/** `target` with `method` replaced; everything else goes to the target itself (methods bound to it). */
function replacing<T extends object>(target: T, method: PropertyKey, replacement: unknown): T {
  return new Proxy(target, {
    get(obj, prop) {
      if (prop === method) return replacement;
      const value: unknown = Reflect.get(obj, prop, obj);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(obj) : value;
    },
  });
}

/**
 * Wraps a JobsApi so `submit` is refused with SKADI_RATE_LIMITED (429, `details.retryAfterMs`)
 * when the requester or the target agent is over its rate. Every entry point that creates jobs
 * (chat commands, the web chat, the user API) goes through `submit`, so one wrapper covers them
 * all. The buckets live in this process: with N server processes behind a balancer a user
 * gets up to N times the rate.
 */
export function withSubmitLimits<T extends JobsApi>(jobs: T, limits: SubmitLimitOptions | SubmitLimiter | null): T {
  const limiter = limiterOf(limits);
  if (!limiter) return jobs;
  const submit: JobsApi['submit'] = async (input) => {
    // Counted before the job exists (a refused request never reaches the database), so a retry
    // with a repeated Idempotency-Key costs a token too.
    limiter.takeUser(input.requester.identity);
    limiter.takeAgent(input.agent);
    return jobs.submit(input);
  };
  return replacing(jobs, 'submit', submit);
}

/**
 * The same limits for fan-outs: one fan-out costs the user one token (it is one thing they
 * asked for), and each matching agent one of its own; an agent over its rate is skipped as not
 * allowed, with the reason in the reply, while the others run.
 */
export function withFanOutLimits<T extends FanOutApi>(fanOut: T, limits: SubmitLimitOptions | SubmitLimiter | null): T {
  const limiter = limiterOf(limits);
  if (!limiter) return fanOut;
  const submit: FanOutApi['submit'] = async (input) => {
    limiter.takeUser(input.requester.identity);
    return fanOut.submit({
      ...input,
      async authorize(agent) {
        const decision = await input.authorize(agent);
        if (!decision.allowed) return decision;
        try {
          limiter.takeAgent(agent.name);
          return decision;
        } catch (err) {
          return { allowed: false, reason: err instanceof SkadiError ? err.message : String(err) };
        }
      },
    });
  };
  return replacing(fanOut, 'submit', submit);
}
