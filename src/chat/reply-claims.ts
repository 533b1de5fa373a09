import { AdapterError, SkadiError } from '../core/index.js';
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
   * rethrows, so the event is redelivered and the reply retried — unless it failed with a
   * permanent AdapterError, which is recorded and not retried. `agent` is the job's, for the log.
   */
  exclusively(jobId: string, key: string, agent: string, send: () => Promise<string | null>): Promise<void>;
  get(jobId: string, key: string): Promise<ReplyRecord | null>;
  /** True while someone holds an unexpired claim on the record and has not sent it. */
  inFlight(record: ReplyRecord | null): boolean;
}

/** Claims whose last write this process could not make (database away); bounded, oldest dropped. */
const MAX_UNSETTLED = 10_000;

/**
 * What this process knows about a claim of its own whose last database write failed:
 * `sent` — the message went out and is not recorded yet: record it, never send it again;
 * `held` — our claim row may exist (its INSERT's answer, or the release after a failed send,
 * was lost) but nothing was sent: ours to use.
 */
type Unsettled = { state: 'sent'; messageId: string | null; at: Date } | { state: 'held' };

/**
 * Exactly-once bookkeeping over the ReplyStore for one owner (one server process). A write that
 * fails after the platform took the message (the database restarted between the send and its
 * record) is remembered here and made on the event's retry, instead of leaving a claim that
 * blocks the job's other replies until it expires and is then sent a second time.
 */
export function createReplyClaims(options: { owner: string; claimTtlMs: number }, deps: { replies: ReplyStore; clock: Clock; logger: Logger }): ReplyClaims {
  const { owner, claimTtlMs } = options;
  const { replies, clock, logger } = deps;
  /** Replies being sent by a handler of this process right now: a second handler here defers. */
  const active = new Set<string>();
  const unsettled = new Map<string, Unsettled>();
  const remember = (id: string, what: Unsettled): void => {
    unsettled.delete(id);
    unsettled.set(id, what);
    if (unsettled.size > MAX_UNSETTLED) unsettled.delete(unsettled.keys().next().value!);
  };

  /** Claims (job, key) for this owner; true when this owner may send it now. */
  async function take(id: string, jobId: string, key: string): Promise<boolean | 'sent'> {
    const now = clock.now();
    try {
      if (await replies.claim(jobId, key, owner, now, new Date(now.getTime() + claimTtlMs))) return true;
    } catch (err) {
      // The INSERT may have committed before the connection went: the claim may be ours.
      if (!unsettled.has(id)) remember(id, { state: 'held' });
      throw err;
    }
    const record = await replies.get(jobId, key);
    if (record?.state === 'sent') return 'sent';
    // Held claims are refused even to their owner (a second handler must not send twice), except
    // one this process knows it holds with nothing sent, far enough from expiring that nobody
    // else can take it over while we send.
    const ours = unsettled.get(id)?.state === 'held' && record?.state === 'claimed' && record.owner === owner;
    return ours && record.claimedUntil.getTime() - now.getTime() > claimTtlMs / 2;
  }

  return {
    get: (jobId, key) => replies.get(jobId, key),
    inFlight: (record) => record !== null && record.state === 'claimed' && record.claimedUntil.getTime() > clock.now().getTime(),
    async exclusively(jobId, key, agent, send) {
      const id = `${jobId}\u0000${key}`;
      if (active.has(id)) throw new ReplyDeferredError(jobId, key, key);
      active.add(id);
      try {
        const left = unsettled.get(id);
        if (left?.state === 'sent') {
          await replies.markSent(jobId, key, owner, left.messageId, left.at);
          unsettled.delete(id);
          logger.info({ jobId, agent, key }, 'recorded a reply sent before the database went away');
          return;
        }
        const taken = await take(id, jobId, key);
        if (taken === 'sent') {
          unsettled.delete(id);
          return;
        }
        if (!taken) throw new ReplyDeferredError(jobId, key, key);
        let messageId: string | null;
        try {
          messageId = await send();
        } catch (err) {
          if (err instanceof AdapterError && err.permanent) {
            // Retrying a reply the platform refuses for good would loop forever; record it as done
            // (no message id) and say so in the log, so the event is acknowledged.
            logger.error({ err, jobId, agent, key, platform: err.platform }, 'the platform refused this reply for good; it will not be retried');
            await replies.markSent(jobId, key, owner, null, clock.now());
            unsettled.delete(id);
            return;
          }
          await replies.release(jobId, key, owner).then(
            () => unsettled.delete(id),
            (releaseErr: unknown) => {
              remember(id, { state: 'held' });
              logger.warn({ err: releaseErr, jobId, agent, key }, 'could not release reply claim; retrying it with the event');
            },
          );
          throw err;
        }
        const at = clock.now();
        try {
          await replies.markSent(jobId, key, owner, messageId, at);
          unsettled.delete(id);
        } catch (err) {
          remember(id, { state: 'sent', messageId, at });
          logger.warn({ err, jobId, agent, key }, 'reply sent but not recorded (database unavailable); recording it when the event is retried');
          throw err;
        }
      } finally {
        active.delete(id);
      }
    },
  };
}
