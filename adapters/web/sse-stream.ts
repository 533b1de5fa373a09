import type { FastifyReply } from 'fastify';

/** A browser would rather reconnect than wait for a stream this far behind. */
const MAX_BUFFERED_BYTES = 16 * 1024 * 1024;

/** One open server-sent-events response. */
export class SseStream {
  private closed = false;
  private readonly closeHandlers: Array<() => void> = [];

  private constructor(private readonly reply: FastifyReply) {}

  /**
   * Takes the response over from fastify and starts an event stream. `retryMs` is the delay the
   * browser waits before reconnecting (it sends Last-Event-ID then).
   */
  static open(reply: FastifyReply, retryMs: number): SseStream {
    reply.hijack();
    const stream = new SseStream(reply);
    const raw = reply.raw;
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store, no-transform',
      connection: 'keep-alive',
      // Reverse proxies (nginx) would otherwise buffer the stream.
      'x-accel-buffering': 'no',
      'x-content-type-options': 'nosniff',
    });
    raw.write(`retry: ${retryMs}\n\n`);
    // The response's close (not the request's, which fires once a GET is read) means the browser left.
    raw.once('close', () => stream.close());
    raw.once('error', () => stream.close());
    return stream;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Writes one event. `data` is JSON already (no raw newlines), so it fits one data line. */
  send(event: string, json: string, id?: string): void {
    this.write(`${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\ndata: ${json}\n\n`);
  }

  /** A comment line: keeps proxies and the browser from timing the stream out. */
  heartbeat(): void {
    this.write(': hb\n\n');
  }

  onClose(handler: () => void): void {
    if (this.closed) handler();
    else this.closeHandlers.push(handler);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (!this.reply.raw.writableEnded) this.reply.raw.end();
    for (const handler of this.closeHandlers.splice(0)) handler();
  }

  private write(chunk: string): void {
    if (this.closed) return;
    const raw = this.reply.raw;
    if (raw.writableLength > MAX_BUFFERED_BYTES) {
      raw.destroy();
      this.close();
      return;
    }
    raw.write(chunk);
  }
}
