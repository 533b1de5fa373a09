import { SkadiError } from '../../src/core/index.js';
import type { SessionStore } from './sessions.js';
import type { SseStream } from './sse-stream.js';

export interface StreamRegistryOptions {
  heartbeatMs: number;
  maxStreams: number;
  maxStreamsPerUser: number;
}

interface Entry {
  sessionId: string;
  user: string;
}

/**
 * Every open event stream of the web plugin: one timer sends the heartbeats for all of them,
 * ends those whose session expired or logged out, and the limits keep one user (or a leak in
 * the page) from holding the server's sockets.
 */
export class StreamRegistry {
  private readonly streams = new Map<SseStream, Entry>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly sessions: SessionStore, private readonly options: StreamRegistryOptions) {}

  /** Throws SKADI_RATE_LIMITED when a new stream would exceed the limits. */
  checkCapacity(user: string): void {
    if (this.streams.size >= this.options.maxStreams) throw new SkadiError('SKADI_RATE_LIMITED', 'too many open event streams on this server', { retryAfterMs: 5000 });
    let mine = 0;
    for (const e of this.streams.values()) if (e.user === user) mine++;
    if (mine >= this.options.maxStreamsPerUser) throw new SkadiError('SKADI_RATE_LIMITED', `too many open event streams for ${user}; close some tabs`, { retryAfterMs: 5000 });
  }

  add(stream: SseStream, sessionId: string, user: string): void {
    this.streams.set(stream, { sessionId, user });
    stream.onClose(() => {
      this.streams.delete(stream);
      if (this.streams.size === 0) this.stopTimer();
    });
    if (!this.timer) {
      this.timer = setInterval(() => this.tick(), this.options.heartbeatMs);
      this.timer.unref();
    }
  }

  /** Ends the streams of one session (logout). */
  closeSession(sessionId: string): void {
    for (const [stream, e] of [...this.streams]) if (e.sessionId === sessionId) stream.close();
  }

  closeAll(): void {
    for (const stream of [...this.streams.keys()]) stream.close();
    this.stopTimer();
  }

  get size(): number {
    return this.streams.size;
  }

  private tick(): void {
    for (const [stream, e] of [...this.streams]) {
      if (!this.sessions.get(e.sessionId)) stream.close();
      else stream.heartbeat();
    }
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
