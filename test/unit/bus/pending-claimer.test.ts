import type { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { createPendingClaimer, detectClaimCommand } from '../../../src/bus/pending-claimer.js';
import { nextStreamId, parsePendingReply, parseRedisVersion } from '../../../src/bus/stream-reply.js';
import { silentLogger } from '../../../src/core/index.js';
import { recordingLogger } from '../../helpers/bus-kit.js';

class ReplyError extends Error {
  override name = 'ReplyError';
}

interface Pending {
  id: string;
  consumer: string;
  idleMs: number;
}

const ms = (id: string): [bigint, bigint] => id.split('-').map(BigInt) as [bigint, bigint];
const atOrAfter = (id: string, start: string): boolean => {
  if (start === '-') return true;
  const [a, b] = ms(id);
  const [c, d] = ms(start);
  return a > c || (a === c && b >= d);
};

/**
 * The pending list of one group as Redis 5 serves it: no XAUTOCLAIM, XPENDING only in its 5.0
 * form (no IDLE, no exclusive `(id` ranges), XCLAIM re-checking min-idle-time.
 */
function redis5(pending: Pending[]) {
  const calls: Array<Array<string | number>> = [];
  const call = async (command: string, ...args: Array<string | number>): Promise<unknown> => {
    calls.push([command, ...args]);
    if (command === 'XAUTOCLAIM') throw new ReplyError("ERR unknown command 'XAUTOCLAIM'");
    if (command === 'XPENDING') {
      const [, , start, end, count, ...rest] = args;
      if (rest.length > 0 || String(start).startsWith('(') || end !== '+' || String(start).toUpperCase() === 'IDLE') throw new ReplyError('ERR syntax error');
      return pending
        .filter((p) => atOrAfter(p.id, String(start)))
        .slice(0, Number(count))
        .map((p) => [p.id, p.consumer, p.idleMs, 1]);
    }
    if (command === 'XCLAIM') {
      const [, , consumer, minIdle, ...rest] = args;
      expect(rest.at(-1)).toBe('JUSTID');
      const ids = rest.slice(0, -1).map(String);
      const claimed: string[] = [];
      for (const p of pending) {
        if (!ids.includes(p.id) || p.idleMs < Number(minIdle)) continue;
        p.consumer = String(consumer);
        p.idleMs = 0;
        claimed.push(p.id);
      }
      return claimed;
    }
    throw new Error(`unexpected ${command}`);
  };
  return { call, calls, pending };
}

const options = { key: 's', group: 'g', consumer: 'me', claimIdleMs: 1000, batch: 2 } as const;

describe('pending claimer', () => {
  it('switches to XPENDING + XCLAIM for good when the server refuses XAUTOCLAIM', async () => {
    const server = redis5([{ id: '1-0', consumer: 'dead', idleMs: 5000 }]);
    const logger = recordingLogger();
    const claimer = createPendingClaimer({ ...options, command: 'XAUTOCLAIM' }, { call: server.call, logger });
    expect(await claimer.claim()).toBe(1);
    expect(claimer.command).toBe('XCLAIM');
    expect(server.pending[0]!.consumer).toBe('me');
    expect(logger.lines.filter((l) => l.level === 'warn').map((l) => l.msg)).toEqual([expect.stringContaining('XAUTOCLAIM refused')]);
    server.calls.length = 0;
    await claimer.claim();
    expect(server.calls.map((c) => c[0])).not.toContain('XAUTOCLAIM');
  });

  it('pages through the pending list in the Redis 5 form and takes only entries of other consumers idle long enough', async () => {
    const server = redis5([
      { id: '1-0', consumer: 'dead', idleMs: 5000 },
      { id: '1-1', consumer: 'alive', idleMs: 10 },
      { id: '2-0', consumer: 'me', idleMs: 9000 },
      { id: '3-5', consumer: 'dead', idleMs: 1000 },
      { id: '4-0', consumer: 'other-dead', idleMs: 70_000 },
    ]);
    const claimer = createPendingClaimer({ ...options, command: 'XCLAIM' }, { call: server.call, logger: silentLogger });
    expect(await claimer.claim()).toBe(3);
    expect(server.pending.map((p) => `${p.id}:${p.consumer}`)).toEqual(['1-0:me', '1-1:alive', '2-0:me', '3-5:me', '4-0:me']);
    // Pages of `batch`, each starting just after the last id of the one before.
    expect(server.calls.filter((c) => c[0] === 'XPENDING').map((c) => c[3])).toEqual(['-', '1-2', '3-6']);
    expect(server.calls.filter((c) => c[0] === 'XCLAIM').map((c) => c.slice(3))).toEqual([
      ['me', 1000, '1-0', 'JUSTID'],
      ['me', 1000, '3-5', 'JUSTID'],
      ['me', 1000, '4-0', 'JUSTID'],
    ]);
  });

  it('counts only what XCLAIM took: an entry touched or claimed elsewhere in between stays put', async () => {
    const server = redis5([{ id: '1-0', consumer: 'dead', idleMs: 5000 }]);
    const racing = async (command: string, ...args: Array<string | number>): Promise<unknown> => {
      const reply = await server.call(command, ...args);
      if (command === 'XPENDING') server.pending[0]!.idleMs = 0; // another process claimed it first
      return reply;
    };
    const claimer = createPendingClaimer({ ...options, command: 'XCLAIM' }, { call: racing, logger: silentLogger });
    expect(await claimer.claim()).toBe(0);
    expect(server.pending[0]!.consumer).toBe('dead');
  });

  it('bounds one call to ten pages and carries on from there next time', async () => {
    const pending = Array.from({ length: 30 }, (_, i) => ({ id: `${i + 1}-0`, consumer: 'alive', idleMs: 0 }));
    const server = redis5(pending);
    const claimer = createPendingClaimer({ ...options, command: 'XCLAIM' }, { call: server.call, logger: silentLogger });
    await claimer.claim();
    expect(server.calls).toHaveLength(10);
    pending[25]!.idleMs = 2000;
    pending[25]!.consumer = 'dead';
    expect(await claimer.claim()).toBe(1);
    expect(server.calls[10]![3]).toBe('20-1');
  });
});

describe('detectClaimCommand', () => {
  const conn = (info: () => Promise<string>) => ({ info }) as unknown as Redis;
  const info = (version: string) => async () => `# Server\r\nredis_version:${version}\r\nredis_mode:standalone\r\n`;

  it('uses XAUTOCLAIM from Redis 6.2 and XPENDING + XCLAIM before', async () => {
    expect(await detectClaimCommand(conn(info('5.0.14')), silentLogger)).toBe('XCLAIM');
    expect(await detectClaimCommand(conn(info('6.0.20')), silentLogger)).toBe('XCLAIM');
    expect(await detectClaimCommand(conn(info('6.2.0')), silentLogger)).toBe('XAUTOCLAIM');
    expect(await detectClaimCommand(conn(info('7.0.15')), silentLogger)).toBe('XAUTOCLAIM');
    expect(await detectClaimCommand(conn(info('10.1.0')), silentLogger)).toBe('XAUTOCLAIM');
  });

  it('tries XAUTOCLAIM when the server keeps its version to itself, and fails on a lost connection', async () => {
    const refused = async (): Promise<string> => {
      throw new ReplyError("ERR unknown command 'INFO'");
    };
    expect(await detectClaimCommand(conn(refused), silentLogger)).toBe('XAUTOCLAIM');
    expect(await detectClaimCommand(conn(async () => '# Server\r\n'), silentLogger)).toBe('XAUTOCLAIM');
    const lost = async (): Promise<string> => {
      throw new Error('Connection is closed.');
    };
    await expect(detectClaimCommand(conn(lost), silentLogger)).rejects.toThrow('Connection is closed.');
  });
});

describe('stream reply parsers', () => {
  it('steps to the next stream id, across a full sequence too', () => {
    expect(nextStreamId('1700000000000-0')).toBe('1700000000000-1');
    expect(nextStreamId('5-18446744073709551615')).toBe('6-0');
    expect(() => nextStreamId('(5-1')).toThrow();
  });

  it('reads XPENDING rows and redis_version', () => {
    expect(parsePendingReply([['1-0', 'c', 1500, 2]])).toEqual([{ streamId: '1-0', consumer: 'c', idleMs: 1500 }]);
    expect(parsePendingReply([])).toEqual([]);
    expect(() => parsePendingReply(null)).toThrow();
    expect(parseRedisVersion('redis_version:5.0.14\r\n')).toEqual([5, 0, 14]);
    expect(parseRedisVersion('# Server\nredis_git_sha1:0\nredis_version:7.2\n')).toEqual([7, 2, 0]);
    expect(parseRedisVersion('nothing')).toBeNull();
  });
});
