import { SkadiError } from '../core/index.js';
import type { Clock, Logger, ReplyRecord, ReplyStore } from '../core/index.js';

/**
 * Thrown when a reply must wait for another one still being sent (by this or another process):
 * the bus redelivers the event later, by which time the other reply is sent or its claim expired.
 */
export class ReplyDeferredError extends SkadiError {
  constructor(jobId: string, key: string, waitingFor: string) {
    super('SKADI_UNAVAILABLE', `reply ${key} of job ${jobId} waits for reply ${waitingFor}`, { jobId, key, waitingFor });
  }
}

export interface ReplyClaims {
  /**
   * Runs `send` holding the (job, key) claim and records the message id it returns (null: the
   * reply was deliberately skipped). Does nothing if the reply was already sent; throws
   * ReplyDeferredError if another owner holds the claim. A failing `send` releases the claim and
   * rethrows, so the event is redelivered and the reply retried.
   */
  exclusively(jobId: string, key: string, send: () => Promise<string | null>): Promise<void>;
  get(jobId: string, key: string): Promise<ReplyRecord | null>;
  /** True while someone holds an unexpired claim on the record and has not sent it. */
  inFlight(record: ReplyRecord | null): boolean;
}

/** Exactly-once bookkeeping over the ReplyStore for one owner (one server process). */
export function createReplyClaims(options: { owner: string; claimTtlMs: number }, deps: { replies: ReplyStore; clock: Clock; logger: Logger }): ReplyClaims {
  const { owner, claimTtlMs } = options;
  const { replies, clock, logger } = deps;

  return {
    get: (jobId, key) => replies.get(jobId, key),
    inFlight: (record) => record !== null && record.state === 'claimed' && record.claimedUntil.getTime() > clock.now().getTime(),
    async exclusively(jobId, key, send) {
      const now = clock.now();
      if (!(await replies.claim(jobId, key, owner, now, new Date(now.getTime() + claimTtlMs)))) {
        const record = await replies.get(jobId, key);
        if (record?.state === 'sent') return;
        throw new ReplyDeferredError(jobId, key, key);
      }
      let messageId: string | null;
      try {
        messageId = await send();
      } catch (err) {
        await replies.release(jobId, key, owner).catch((releaseErr: unknown) => logger.warn({ err: releaseErr, jobId, key }, 'could not release reply claim; it will expire'));
        throw err;
      }
      await replies.markSent(jobId, key, owner, messageId, clock.now());
    },
  };
}
