import { ReceiverMultipleAckError, type App } from '@slack/bolt';
import type { Logger } from '../../src/core/index.js';

/** What to answer Slack: acknowledge (with a body for a slash command), or fail so that Slack retries. */
export type AckAnswer = { ok: true; body?: unknown } | { ok: false };

export interface Delivery {
  body: Record<string, unknown>;
  retryNum?: number;
  retryReason?: string;
}

export interface DeliverOptions {
  /** Answer by then whatever happens (default 2500 ms; Slack waits 3 s). */
  deadlineMs: number;
  logger: Logger;
}

/**
 * Hands one payload to Bolt (`app.processEvent`, what bolt's own receivers call) and decides when
 * and how to acknowledge it. The transport (HTTP response, Socket Mode envelope ack) sends the answer.
 *
 * Bolt acknowledges an Events API event before its listeners run. Skadi instead holds that
 * acknowledgement until the listener has handed the message to the dispatcher (which resolves as
 * soon as the message is accepted: job stored, reply under way): if that fails, Slack is told so
 * and redelivers the event (same event, same message id; the dispatcher drops it if it had got
 * through after all). The answer goes out at the deadline in any case, so Slack never counts a
 * slow database as a dead app.
 *
 * Slash commands and button clicks are answered the moment the listener calls `ack()`: Slack
 * never retries them, and the ack carries the text the user sees at once.
 */
export function deliverToBolt(app: Pick<App, 'processEvent'>, delivery: Delivery, options: DeliverOptions): Promise<AckAnswer> {
  const retryable = delivery.body.type === 'event_callback';
  return new Promise<AckAnswer>((resolve) => {
    let settled = false;
    let acked = false;
    let ackBody: unknown;
    const settle = (answer: AckAnswer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(answer);
    };
    const timer = setTimeout(() => {
      options.logger.warn({ type: delivery.body.type, deadlineMs: options.deadlineMs }, 'slack payload still being handled at the acknowledgement deadline; acknowledging it now');
      settle({ ok: true, body: ackBody });
    }, options.deadlineMs);
    const ack = async (response?: unknown): Promise<void> => {
      if (acked) throw new ReceiverMultipleAckError();
      acked = true;
      ackBody = response;
      if (!retryable) settle({ ok: true, body: response });
    };
    app.processEvent({ body: delivery.body, ack, retryNum: delivery.retryNum, retryReason: delivery.retryReason }).then(
      // A payload no listener took (a button of an older version, an event type we ignore) is still acknowledged.
      () => settle({ ok: true, body: ackBody }),
      (err: unknown) => {
        if (retryable) {
          options.logger.warn({ err, retryNum: delivery.retryNum }, 'slack event not accepted; answering with a failure so that Slack delivers it again');
          settle({ ok: false });
        } else {
          options.logger.error({ err, type: delivery.body.type }, 'slack payload failed after its acknowledgement');
          settle({ ok: true, body: ackBody });
        }
      },
    );
  });
}
