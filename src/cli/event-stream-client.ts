import { SkadiError, type ErrorCode } from '../core/errors.js';

/** One server-sent event as received. */
export interface StreamedEvent {
  id: string | null;
  event: string;
  data: string;
}

export interface ReadEventStreamOptions {
  url: string;
  token: string;
  /** Sent as Last-Event-ID, so the server can replay what was missed. */
  lastEventId: string | null;
  signal: AbortSignal;
  /**
   * No byte (event or heartbeat) for this long means the connection is dead without having
   * said so (a NAT or proxy dropped it): give up and let the caller reconnect. Default 45 s.
   */
  idleTimeoutMs?: number;
}

/**
 * Reads `text/event-stream` until the server ends it (resolves) or the connection fails
 * (rejects). An HTTP error answer rejects with its SkadiError code, so the caller can tell a
 * refused token (stop) from a server that went away (reconnect).
 */
export async function readEventStream(options: ReadEventStreamOptions, onEvent: (event: StreamedEvent) => void): Promise<void> {
  const idle = new AbortController();
  const signal = AbortSignal.any([options.signal, idle.signal]);
  const idleMs = options.idleTimeoutMs ?? 45_000;
  let timer = setTimeout(() => idle.abort(), idleMs);
  const touch = () => {
    clearTimeout(timer);
    timer = setTimeout(() => idle.abort(), idleMs);
  };
  try {
    let res: Response;
    try {
      res = await fetch(options.url, {
        headers: { authorization: `Bearer ${options.token}`, accept: 'text/event-stream', ...(options.lastEventId ? { 'last-event-id': options.lastEventId } : {}) },
        signal,
      });
    } catch (err) {
      if (options.signal.aborted) return;
      throw new SkadiError('SKADI_UNAVAILABLE', `cannot reach ${new URL(options.url).origin}: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}`);
    }
    if (!res.ok || !res.body) {
      const body = (await res.json().catch(() => ({}))) as { code?: string; message?: string; details?: Record<string, unknown> };
      throw new SkadiError((body.code as ErrorCode) ?? 'SKADI_UNAVAILABLE', body.message ?? `HTTP ${res.status}`, body.details);
    }
    const decoder = new TextDecoder();
    let buffer = '';
    let current: StreamedEvent = { id: null, event: 'message', data: '' };
    let hasData = false;
    const reader = res.body.getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        touch();
        buffer += decoder.decode(value, { stream: true });
        let newline: number;
        while ((newline = buffer.search(/\r?\n/)) >= 0) {
          const line = buffer.slice(0, newline);
          buffer = buffer.slice(buffer[newline] === '\r' ? newline + 2 : newline + 1);
          if (line === '') {
            if (hasData) onEvent(current);
            current = { id: null, event: 'message', data: '' };
            hasData = false;
            continue;
          }
          if (line.startsWith(':')) continue; // a heartbeat
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'event') current.event = value;
          else if (field === 'id') current.id = value;
          else if (field === 'data') {
            current.data = hasData ? `${current.data}\n${value}` : value;
            hasData = true;
          }
        }
      }
    } catch (err) {
      if (options.signal.aborted) return;
      if (idle.signal.aborted) throw new SkadiError('SKADI_UNAVAILABLE', `no data from the server for ${Math.round(idleMs / 1000)} s`);
      throw new SkadiError('SKADI_UNAVAILABLE', `the event stream broke: ${(err as Error).message}`);
    } finally {
      // Frees the connection whether the stream ended, broke or was abandoned.
      await reader.cancel().catch(() => undefined);
    }
  } finally {
    clearTimeout(timer);
  }
}
