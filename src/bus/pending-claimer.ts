import type { Redis } from 'ioredis';
import type { Logger } from '../core/index.js';
import { nextStreamId, parseAutoClaimReply, parseClaimReply, parsePendingReply, parseRedisVersion } from './stream-reply.js';

/**
 * How a consumer takes over entries that dead consumers left pending: `XAUTOCLAIM` (one
 * command, Redis >= 6.2) or `XPENDING` + `XCLAIM` (Redis 5 and 6.0).
 */
export type ClaimCommand = 'XAUTOCLAIM' | 'XCLAIM';

const AUTOCLAIM_SINCE: readonly [number, number] = [6, 2];

/**
 * Picks the claim command from the server's `redis_version` (INFO server). A server that hides
 * its version (INFO disabled or renamed) gets XAUTOCLAIM, which falls back to XCLAIM by itself
 * if refused. Connection errors propagate: the subscription cannot start anyway.
 */
export async function detectClaimCommand(conn: Redis, logger: Logger): Promise<ClaimCommand> {
  let info: string;
  try {
    info = await conn.info('server');
  } catch (err) {
    if ((err as Error).name !== 'ReplyError') throw err;
    logger.warn({ err: (err as Error).message }, 'INFO refused: cannot tell the Redis version; trying XAUTOCLAIM first');
    return 'XAUTOCLAIM';
  }
  const version = parseRedisVersion(info);
  if (!version) return 'XAUTOCLAIM';
  const [major, minor] = version;
  const autoClaim = major > AUTOCLAIM_SINCE[0] || (major === AUTOCLAIM_SINCE[0] && minor >= AUTOCLAIM_SINCE[1]);
  if (!autoClaim) logger.info({ redisVersion: version.join('.') }, 'Redis before 6.2: taking over events of dead consumers with XPENDING + XCLAIM');
  return autoClaim ? 'XAUTOCLAIM' : 'XCLAIM';
}

export interface PendingClaimerOptions {
  key: string;
  group: string;
  consumer: string;
  /** Entries idle at least this long belong to a consumer presumed dead. */
  claimIdleMs: number;
  /** Entries looked at per command. */
  batch: number;
  command: ClaimCommand;
}

export interface PendingClaimerDeps {
  /** Sends one command on the consumer's connection. */
  call: (command: string, ...args: Array<string | number>) => Promise<unknown>;
  logger: Logger;
}

export interface PendingClaimer {
  /** Moves entries idle longer than claimIdleMs into this consumer's pending list; resolves with how many. */
  claim(): Promise<number>;
  /** The command in use: XAUTOCLAIM switches to XCLAIM for good when the server refuses it. */
  readonly command: ClaimCommand;
}

/** Pages per claim() call: bounds one call's work on a long pending list; the cursor carries on next time. */
const ROUNDS = 10;

/** Takes over the entries that dead consumers of one group left pending, a bounded slice per call. */
export function createPendingClaimer(opts: PendingClaimerOptions, deps: PendingClaimerDeps): PendingClaimer {
  const { key, group, consumer, claimIdleMs, batch } = opts;
  let command = opts.command;
  let autoClaimCursor = '0-0';
  let pendingCursor = '-';

  const autoClaim = async (): Promise<number> => {
    let claimed = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const parsed = parseAutoClaimReply(await deps.call('XAUTOCLAIM', key, group, consumer, claimIdleMs, autoClaimCursor, 'COUNT', batch, 'JUSTID'));
      claimed += parsed.claimed;
      autoClaimCursor = parsed.cursor;
      if (autoClaimCursor === '0-0') break;
    }
    return claimed;
  };

  /**
   * The Redis 5 way. XPENDING's IDLE filter and exclusive ranges came with 6.2, so pages are
   * read in the 5.0 form and filtered by idle time here. XCLAIM checks min-idle-time again,
   * atomically: an entry its consumer took back meanwhile, or another process claimed first,
   * stays where it is. This consumer's own entries are skipped: it re-reads them anyway.
   */
  const pendingClaim = async (): Promise<number> => {
    let claimed = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const page = parsePendingReply(await deps.call('XPENDING', key, group, pendingCursor, '+', batch));
      const idle = page.filter((entry) => entry.consumer !== consumer && entry.idleMs >= claimIdleMs).map((entry) => entry.streamId);
      if (idle.length > 0) claimed += parseClaimReply(await deps.call('XCLAIM', key, group, consumer, claimIdleMs, ...idle, 'JUSTID')).length;
      if (page.length < batch) {
        pendingCursor = '-';
        break;
      }
      pendingCursor = nextStreamId(page[page.length - 1]!.streamId);
    }
    return claimed;
  };

  return {
    get command() {
      return command;
    },
    async claim() {
      let claimed: number;
      if (command === 'XAUTOCLAIM') {
        try {
          claimed = await autoClaim();
        } catch (err) {
          if (!/unknown command/i.test((err as Error).message)) throw err;
          command = 'XCLAIM';
          deps.logger.warn('XAUTOCLAIM refused (Redis before 6.2?): taking over events of dead consumers with XPENDING + XCLAIM');
          claimed = await pendingClaim();
        }
      } else {
        claimed = await pendingClaim();
      }
      if (claimed > 0) deps.logger.info({ claimed, command }, 'took over idle pending events');
      return claimed;
    },
  };
}
