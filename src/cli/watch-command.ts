import type { Command } from 'commander';
import { backoffDelay } from '../core/backoff.js';
import { SkadiError, isSkadiError } from '../core/errors.js';
import type { EventName } from '../core/events.js';
import { describeWatchEvent } from '../watch/describe-watch-event.js';
import { sleep } from '../agent/sleep.js';
import { readEventStream, type StreamedEvent } from './event-stream-client.js';

export interface WatchCommandDeps {
  /** Where and as whom to connect (the same resolution as the other user-API commands). */
  target(opts: { server?: string; token?: string }): { server: string; token: string | undefined };
  /** Printed lines go here (stdout); tests pass their own. */
  out?: (line: string) => void;
  err?: (line: string) => void;
  /** Ends the watch like Ctrl-C (tests). */
  signal?: AbortSignal;
}

interface WatchOptions {
  selector?: string;
  types?: string;
  json?: boolean;
  server?: string;
  token?: string;
}

/** Errors a reconnect cannot fix: the token, the selector or the types are wrong. */
const FINAL = new Set(['SKADI_UNAUTHENTICATED', 'SKADI_FORBIDDEN', 'SKADI_BAD_REQUEST', 'SKADI_NOT_FOUND']);

function render(event: StreamedEvent, json: boolean): string | null {
  let payload: unknown;
  try {
    payload = JSON.parse(event.data);
  } catch {
    return null;
  }
  if (json) return JSON.stringify({ id: event.id, name: event.event, payload });
  const line = describeWatchEvent({ name: event.event as EventName, payload } as Parameters<typeof describeWatchEvent>[0]);
  if (!line) return null;
  const at = (payload as { at?: string }).at ?? new Date().toISOString();
  return `${at}  ${line.text}`;
}

export interface RunWatchOptions {
  server: string;
  token: string;
  selector?: string;
  types?: string;
  json?: boolean;
  /** Ends the watch (Ctrl-C). */
  signal: AbortSignal;
  out: (line: string) => void;
  err: (line: string) => void;
}

/**
 * Fleet events from `GET /api/v1/events` until `signal` aborts. It reconnects with backoff when
 * the connection drops, asking for what it missed (Last-Event-ID); a refused token or a bad
 * selector ends it with that error instead. Used by `skadi watch` and the shell's `watch`.
 */
export async function runWatch(opts: RunWatchOptions): Promise<void> {
  const { server, token, out, err, signal } = opts;
  const query = new URLSearchParams({ ...(opts.types ? { types: opts.types } : {}), ...(opts.selector ? { selector: opts.selector } : {}) });
  const url = `${server.replace(/\/+$/, '')}/api/v1/events?${query}`;
  let lastEventId: string | null = null;
  let failures = 0;
  let connected = false;
  while (!signal.aborted) {
    let reason: string;
    try {
      await readEventStream({ url, token, lastEventId, signal }, (event) => {
        if (event.event === 'ready') {
          if (!connected) err(failures > 0 ? 'reconnected' : `watching ${opts.types ?? ''}${opts.selector ? ` for ${opts.selector}` : ''} on ${server} (Ctrl-C to stop)`);
          connected = true;
          failures = 0;
          return;
        }
        if (event.event === 'gap') return err('some events were missed while disconnected');
        if (event.event === 'error') return err(`server: ${event.data}`);
        if (event.id) lastEventId = event.id;
        const line = render(event, opts.json === true);
        if (line) out(line);
      });
      reason = 'the server ended the stream';
    } catch (e) {
      if (isSkadiError(e) && FINAL.has(e.code)) throw e;
      reason = (e as Error).message;
    }
    if (signal.aborted) break;
    // Said once per outage, not at every retry.
    if (connected || failures === 0) err(`connection lost (${reason}); reconnecting`);
    connected = false;
    // Equal jitter: never a busy loop, and a fleet of terminals does not come back in step.
    await sleep(backoffDelay(failures++, { baseMs: 500, capMs: 10_000, jitter: 'equal' }), signal);
  }
}

/**
 * `skadi watch`: fleet events live in the terminal (runWatch) until Ctrl-C.
 */
export function registerWatchCommand(program: Command, deps: WatchCommandDeps): void {
  const out = deps.out ?? ((line: string) => console.log(line));
  const err = deps.err ?? ((line: string) => console.error(line));
  program
    .command('watch')
    .description('print fleet events live: agents going offline or coming back, version drift (and job changes with --types)')
    .option('-s, --selector <selector>', 'only events about agents matching a selector: web-*, role=web,region=eu')
    .option('--types <list>', 'comma-separated: EventAgentStatus, EventFleetDrift, EventJobStatus', 'EventAgentStatus,EventFleetDrift')
    .option('--server <url>', 'server URL (env SKADI_SERVER)')
    .option('--token <token>', 'user API token (env SKADI_TOKEN)')
    .option('--json', 'print one JSON object per event')
    .action(async (opts: WatchOptions) => {
      const { server, token } = deps.target(opts);
      if (!token) throw new SkadiError('SKADI_UNAUTHENTICATED', 'no API token: pass --token or set SKADI_TOKEN (create one with `skadi token create NAME`)');
      const stop = new AbortController();
      const onSignal = () => stop.abort();
      deps.signal?.addEventListener('abort', onSignal, { once: true });
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        await runWatch({ server, token, selector: opts.selector, types: opts.types, json: opts.json, signal: stop.signal, out, err });
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}
