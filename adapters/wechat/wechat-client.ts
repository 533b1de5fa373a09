import type { WechatRawMessage } from './normalize.js';

/** What the WeChat session reports to the adapter (the wechaty binding calls these). */
export interface WechatEvents {
  message(raw: WechatRawMessage): void;
  scan(qrcode: string, status: number): void;
  login(user: { id: string; name: string }): void;
  logout(reason: string): void;
  error(message: string): void;
  heartbeat(): void;
}

/**
 * The seam between the adapter and wechaty: the adapter's logic (queues, retries, login state,
 * normalising) is tested against a fake of this, and the one file that imports wechaty,
 * `wechaty-session.ts`, implements it.
 */
export interface WechatClient {
  /** Starts the puppet; resolves once it runs (logging in may take a QR scan much later). */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The puppet's own view: false while logged out, whatever events were missed. */
  isLoggedIn(): boolean;
  /** Sends a text into a room or direct chat; resolves with the platform's message id when the puppet returns one. */
  sendText(conversationId: string, text: string, mentionIds: readonly string[]): Promise<string | undefined>;
}

/** Builds the client (not started yet) that reports to `events`. */
export type OpenWechatClient = (events: WechatEvents) => WechatClient;
