import type { EventBus, EventJobStatusPayload, Logger } from '../../src/core/index.js';

/** Polls `check` until it returns true (or resolves true); fails with `what` after `timeoutMs`. */
export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 5000, everyMs = 10): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await sleep(everyMs);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A job-status payload whose fields tell events apart. */
export function jobStatusPayload(n: number, jobId = `job${n}`): EventJobStatusPayload {
  return { jobId, agent: 'web-1', from: 'queuing', to: 'sent', reason: null, at: new Date(1_700_000_000_000 + n).toISOString(), version: n, attempt: 1, platform: 'web' };
}

/**
 * Publishes the way the outbox relay does: when publish rejects (a handler threw in-process,
 * Redis is down), tries again a little later, until it resolves.
 */
export async function publishUntilAccepted(bus: EventBus, n: number, id: string, tries = 100, everyMs = 30): Promise<void> {
  for (let i = 1; ; i++) {
    try {
      await bus.publish('EventJobStatus', jobStatusPayload(n), id);
      return;
    } catch (err) {
      if (i >= tries) throw err;
      await sleep(everyMs);
    }
  }
}

export interface LogLine {
  level: 'info' | 'warn' | 'error' | 'debug';
  msg: string;
  obj: object | string;
}

/** A Logger that keeps what it was told, for asserting "logged once per outage". */
export function recordingLogger(lines: LogLine[] = []): Logger & { lines: LogLine[] } {
  const make = (): Logger & { lines: LogLine[] } => {
    const at =
      (level: LogLine['level']) =>
      (obj: object | string, msg?: string): void => {
        lines.push({ level, obj, msg: msg ?? (typeof obj === 'string' ? obj : '') });
      };
    return { lines, info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug'), child: () => make() };
  };
  return make();
}
