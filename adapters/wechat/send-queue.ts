import { KeyedSerialQueue } from '../../src/core/index.js';

/** Sleeps `ms` milliseconds; passed in so tests can run the pacing without waiting. */
export type Sleep = (ms: number) => Promise<void>;

export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Orders what the bot sends. Sends into one conversation run one after another (a split reply's
 * pieces stay together and in order); every message of the account waits for a pacing slot, so
 * replies never leave in a burst that WeChat's anti-spam would punish.
 */
export class SendQueue {
  private readonly chains = new KeyedSerialQueue();
  private nextSlotAt = 0;

  constructor(private readonly options: { intervalMs: number; now?: () => number; sleep?: Sleep }) {}

  /** Runs `task` after every task queued before it for `conversationId`, whatever their outcome. */
  run<T>(conversationId: string, task: () => Promise<T>): Promise<T> {
    return this.chains.run(conversationId, task);
  }

  /** Waits for the account's next send slot (slots are handed out in call order). */
  async pace(): Promise<void> {
    const now = (this.options.now ?? Date.now)();
    const at = Math.max(now, this.nextSlotAt);
    this.nextSlotAt = at + this.options.intervalMs;
    if (at > now) await (this.options.sleep ?? realSleep)(at - now);
  }

  /** Resolves once every queued task has settled. */
  idle(): Promise<void> {
    return this.chains.idle();
  }
}
