import type { Agent } from './agent.js';
import type { AccessDecision } from './command.js';
import type { FanOutPlan, FanOutSkip, Job, Requester } from './job.js';
import type { ThreadRef } from './thread-ref.js';

/**
 * Fan-out: one message to every agent a selector matches. The parent is an ordinary jobs row
 * (kind `fanout`, never handed to an agent) holding the plan below; each target agent gets an
 * ordinary child job (`parentId` = the parent) when the concurrency limit lets it start.
 */

/** A job that is a fan-out parent. */
export type FanOutJob = Job & { fanout: FanOutPlan };

export function isFanOutParent(job: Job | null | undefined): job is FanOutJob {
  return job !== null && job !== undefined && job.fanout !== undefined && job.fanout !== null;
}

/**
 * What a parent's `agent` column holds: the selector in brackets, which can never be an agent
 * name, so the agent timers and the claim path never take the parent for an agent's job.
 */
export function fanOutAgentLabel(selector: string): string {
  const inner = selector.length > 60 ? `${selector.slice(0, 59)}…` : selector;
  return `(${inner})`;
}

export interface SubmitFanOutInput {
  selector: string;
  message: string;
  requester: Requester;
  thread: ThreadRef | null;
  /** Default: the `fanout.concurrency` config key. */
  concurrency?: number;
  /** Default: the `fanout.maxFailures` config key. */
  maxFailures?: number;
  timeoutMs?: number;
  idempotency?: { scope: string; key: string; fingerprint: string };
  /** Access per matching agent (audited by the caller's checker). */
  authorize(agent: Agent): Promise<Pick<AccessDecision, 'allowed' | 'reason'>>;
}

export type SubmitFanOutResult =
  | { kind: 'created'; job: FanOutJob; created: boolean }
  /** Nothing to run on: no agent matched, or every match was offline or not allowed. No job was made. */
  | { kind: 'no-targets'; matched: number; skipped: FanOutSkip[] };

/** What the chat layer and the user API may do with fan-outs (implemented by src/jobs/fan-out-service.ts). */
export interface FanOutApi {
  submit(input: SubmitFanOutInput): Promise<SubmitFanOutResult>;
  /** The parent's children, in the order of its targets. */
  children(parentId: string): Promise<Job[]>;
  /** Defaults for options the user did not give. */
  readonly defaults: { concurrency: number; maxFailures: number };
}
