import type { Redis } from 'ioredis';
import { backoffDelay, type BackoffPolicy, type BusEvent, type EventName, type Logger, type Subscription } from '../core/index.js';
import { createPendingClaimer, type ClaimCommand } from './pending-claimer.js';
import { closeRedisConnection, openRedisConnection, redisUnavailable, waitUntilReady } from './redis-connection.js';
import { Sleeper } from './sleeper.js';
import { parseReadGroupReply, type StreamEntry } from './stream-reply.js';

export interface StreamConsumerOptions {
  url: string;
  /** Full stream key (prefix included). */
  key: string;
  name: EventName;
  group: string;
  consumer: string;
  blockMs: number;
  claimIdleMs: number;
  batch: number;
  retryMinMs: number;
  retryMaxMs: number;
  readyTimeoutMs: number;
  /** How long close() lets a running handler finish (and acknowledge) before cutting it off. */
  closeGraceMs: number;
}

export interface StreamConsumerDeps {
  /** A connection that is not blocked, to send CLIENT UNBLOCK on close (the bus's publish connection). */
  control: Redis;
  /** Which command takes over dead consumers' entries, asked once the connection is up (once per bus). */
  claimCommand: (conn: Redis) => Promise<ClaimCommand>;
  logger: Logger;
}

const ABORTED: unique symbol = Symbol('aborted');

class AbortedSignal extends Error {}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([promise.then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(resolve, ms, false)))]).finally(() => clearTimeout(timer));
}

/**
 * One consumer of one group on one stream, on its own connection (a blocked XREADGROUP holds
 * it). Reads its own pending entries first (resume after a restart, retry after a handler
 * error), then new ones; acknowledges after the handler resolves; now and then takes over
 * entries that dead consumers left pending (XAUTOCLAIM, or XPENDING + XCLAIM before Redis 6.2). Handlers run one at a time, in
 * stream order: after a failure nothing later is handled before the failed entry succeeds.
 */
export async function startStreamConsumer(opts: StreamConsumerOptions, handler: (event: BusEvent) => Promise<void>, deps: StreamConsumerDeps): Promise<Subscription> {
  const { key, group, consumer } = opts;
  const log = deps.logger.child({ stream: key, group, consumer });
  const conn = openRedisConnection(opts.url, `skadi:${consumer}:${group}`, log, {
    // A subscription waits out an outage instead of failing its commands …
    maxRetriesPerRequest: null,
    // … but never trusts a silent socket longer than BLOCK plus this grace (half-open TCP).
    blockingTimeout: 10_000,
    blockingTimeoutGrace: 2000,
  });
  // The server-side id of this connection (it changes on reconnect), for CLIENT UNBLOCK.
  let clientId: string | null = null;
  conn.on('ready', () => {
    clientId = null;
    conn.call('CLIENT', 'ID').then((id) => (clientId = String(id)), () => undefined);
  });

  const ensureGroup = async (from: '$' | '0'): Promise<void> => {
    try {
      await conn.xgroup('CREATE', key, group, from, 'MKSTREAM');
    } catch (err) {
      if (!errorMessage(err).includes('BUSYGROUP')) throw err;
    }
  };
  let claimCommand: ClaimCommand;
  try {
    await waitUntilReady(conn, opts.readyTimeoutMs, `subscribe ${key}`);
    await ensureGroup('$');
    claimCommand = await deps.claimCommand(conn);
  } catch (err) {
    conn.disconnect();
    throw redisUnavailable(err, `subscribe ${key}`);
  }

  let closed = false;
  let phase: 'idle' | 'blocked' | 'handler' = 'idle';
  let abort: () => void = () => undefined;
  const aborted = new Promise<typeof ABORTED>((resolve) => {
    abort = () => resolve(ABORTED);
  });
  const sleeper = new Sleeper();

  /** Races a command against a forced close (Redis down at close), which abandons it. */
  const cmd = async <T>(command: Promise<T>): Promise<T> => {
    command.catch(() => undefined); // if abandoned, its late rejection is expected
    const result = await Promise.race([command, aborted]);
    if (result === ABORTED) throw new AbortedSignal();
    return result as T;
  };

  const decode = (entry: StreamEntry): BusEvent | null => {
    if (!entry.fields) {
      log.error({ streamId: entry.streamId }, 'event was trimmed from the stream before this group handled it (raise maxLen)');
      return null;
    }
    const id = entry.fields.id;
    try {
      if (!id || entry.fields.payload === undefined) throw new Error('missing id or payload field');
      return { id, name: opts.name, payload: JSON.parse(entry.fields.payload) } as BusEvent;
    } catch (err) {
      log.error({ streamId: entry.streamId, err: errorMessage(err) }, 'undecodable stream entry dropped');
      return null;
    }
  };

  let failures = 0;
  /** Handles entries in order; false when a handler failed (the rest stay pending, in order). */
  const handleEntries = async (entries: StreamEntry[]): Promise<boolean> => {
    const done: string[] = [];
    let ok = true;
    for (const entry of entries) {
      if (closed) break; // the rest stays pending: this consumer name resumes it, or others claim it
      const event = decode(entry);
      if (event) {
        phase = 'handler';
        try {
          await handler(event);
        } catch (err) {
          ok = false;
          log.warn({ eventId: event.id, streamId: entry.streamId, attempt: failures + 1, err: errorMessage(err) }, 'event handler failed; will retry');
          break;
        } finally {
          phase = 'idle';
        }
      }
      done.push(entry.streamId);
    }
    if (done.length > 0) await cmd(conn.call('XACK', key, group, ...done));
    return ok;
  };

  const claimer = createPendingClaimer(
    { key, group, consumer, claimIdleMs: opts.claimIdleMs, batch: opts.batch, command: claimCommand },
    { call: (command, ...args) => cmd(conn.call(command, ...args)), logger: log },
  );

  /** Redis lost the stream (restart without persistence): everything in it now is new to this group. */
  const recreateGroup = async (): Promise<boolean> => {
    try {
      await cmd(ensureGroup('0'));
      log.warn('consumer group vanished (Redis restarted without persistence?); recreated it');
      return true;
    } catch {
      return false;
    }
  };

  const read = async (pending: boolean): Promise<StreamEntry[] | null> => {
    if (pending) return parseReadGroupReply(await cmd(conn.call('XREADGROUP', 'GROUP', group, consumer, 'COUNT', opts.batch, 'STREAMS', key, '0')));
    if (closed) return null; // close() came while we were busy: never start a new BLOCK
    phase = 'blocked';
    try {
      return parseReadGroupReply(await cmd(conn.call('XREADGROUP', 'GROUP', group, consumer, 'COUNT', opts.batch, 'BLOCK', opts.blockMs, 'STREAMS', key, '>')));
    } finally {
      phase = 'idle';
    }
  };

  const claimEveryMs = Math.max(50, Math.min(opts.claimIdleMs / 2, 5000));
  // Equal jitter: a floor under every retry, so a failing handler or a lost Redis is no busy loop.
  const retryBackoff: BackoffPolicy = { baseMs: opts.retryMinMs, capMs: opts.retryMaxMs, jitter: 'equal' };
  const run = async (): Promise<void> => {
    let readPending = true; // own pending entries first: resume where this consumer stopped
    let outage = 0;
    let nextClaimAt = 0;
    while (!closed) {
      try {
        if (Date.now() >= nextClaimAt) {
          nextClaimAt = Date.now() + claimEveryMs;
          if ((await claimer.claim()) > 0) readPending = true;
        }
        const entries = await read(readPending);
        if (outage > 0) log.info({ failures: outage }, 'subscription resumed');
        outage = 0;
        if (entries === null) continue; // BLOCK timed out (or was unblocked by close)
        if (entries.length === 0) {
          readPending = false;
          continue;
        }
        if (await handleEntries(entries)) {
          failures = 0;
          continue;
        }
        readPending = true;
        failures++;
        await sleeper.sleep(backoffDelay(failures - 1, retryBackoff));
      } catch (err) {
        if (closed || err instanceof AbortedSignal) break;
        if (errorMessage(err).includes('NOGROUP') && (await recreateGroup())) {
          readPending = true;
          continue;
        }
        outage++;
        if (outage === 1) log.warn({ err: errorMessage(err) }, 'reading the stream failed; retrying with backoff');
        await sleeper.sleep(backoffDelay(outage - 1, retryBackoff));
      }
    }
  };
  const done = run();

  /**
   * Wakes a blocked XREADGROUP without dropping the connection. Dropping it instead could let
   * Redis hand new entries to the dying read, leaving them pending until claimIdleMs.
   */
  const unblock = async (): Promise<void> => {
    for (let tries = 0; tries < 5 && phase === 'blocked'; tries++) {
      if (clientId === null) return;
      const woke = await deps.control.call('CLIENT', 'UNBLOCK', clientId).then((n) => Number(n) === 1, () => false);
      if (woke) return;
      await new Promise((resolve) => setTimeout(resolve, 10)); // the read may not have reached Redis yet
    }
  };

  return {
    async close() {
      if (closed) return done;
      closed = true;
      sleeper.wake();
      if (phase === 'blocked') await unblock();
      const graceMs = phase === 'handler' ? opts.closeGraceMs : 500;
      if (!(await settlesWithin(done, graceMs))) {
        if (phase === 'handler') log.warn('handler still running at close; its event stays pending and will be redelivered');
        abort();
        conn.disconnect();
        await done;
      }
      await closeRedisConnection(conn);
    },
  };
}
