import type { App, Receiver } from '@slack/bolt';
import type { Logger } from '../../src/core/index.js';
import { deliverToBolt, type AckAnswer, type Delivery } from './deliver-to-bolt.js';

/**
 * Bolt's `Receiver` for the HTTP Events API, served by Skadi's own Fastify server: the routes
 * (slack-routes.ts) verify and parse each request and call `dispatch`; this hands it to the App
 * and returns the acknowledgement. Start and stop only open and close the door: the server
 * belongs to Skadi.
 */
export class SlackHttpReceiver implements Receiver {
  private app: App | null = null;
  private open = false;

  constructor(private readonly options: { deadlineMs: number; logger: Logger }) {}

  init(app: App): void {
    this.app = app;
  }

  async start(): Promise<void> {
    this.open = true;
  }

  async stop(): Promise<void> {
    this.open = false;
  }

  /** True while started with an App: requests are handed on, otherwise answered 503. */
  get accepting(): boolean {
    return this.open && this.app !== null;
  }

  /** Hands a verified, parsed payload to the App; resolves with what to answer Slack. */
  dispatch(delivery: Delivery): Promise<AckAnswer> {
    if (!this.app || !this.open) return Promise.resolve({ ok: false });
    return deliverToBolt(this.app, delivery, this.options);
  }
}
