import type { FastifyReply } from 'fastify';

/** A client this far behind would rather reconnect than be waited for. */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

/** One open server-sent-events response of the user API (adapters/web has its own for browsers). */
export interface SseResponse {
  send(event: string, json: string, id?: string): void;
  /** A comment line, so proxies and clients do not time an idle stream out. */
  heartbeat(): void;
  onClose(handler: () => void): void;
  isClosed(): boolean;
  close(): void;
}

/** Takes the reply over from fastify and starts an event stream; `retryMs` is the client's reconnect delay. */
export function openSse(reply: FastifyReply, retryMs: number): SseResponse {
  reply.hijack();
  const raw = reply.raw;
  const handlers: Array<() => void> = [];
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    if (!raw.writableEnded) raw.end();
    for (const handler of handlers.splice(0)) handler();
  };
  const write = (chunk: string): void => {
    if (closed) return;
    if (raw.writableLength > MAX_BUFFERED_BYTES) {
      raw.destroy();
      close();
      return;
    }
    raw.write(chunk);
  };
  raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store, no-transform',
    connection: 'keep-alive',
    // Reverse proxies (nginx) would otherwise buffer the stream.
    'x-accel-buffering': 'no',
  });
  raw.write(`retry: ${retryMs}\n\n`);
  // The response's close (not the request's, which fires once a GET is read) means the client left.
  raw.once('close', close);
  raw.once('error', close);
  return {
    send: (event, json, id) => write(`${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\ndata: ${json}\n\n`),
    heartbeat: () => write(': hb\n\n'),
    onClose: (handler) => (closed ? handler() : void handlers.push(handler)),
    isClosed: () => closed,
    close,
  };
}
