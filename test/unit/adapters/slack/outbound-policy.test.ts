import { describe, expect, it } from 'vitest';
import { webApi } from '@slack/bolt';
import { KeyedSerialQueue } from '../../../../src/core/index.js';
import { callSlack, classifyFailure, SlackCallError } from '../../../../adapters/slack/slack-api-call.js';
import { AdapterError, silentLogger } from '../../../../src/core/index.js';

const POLICY = { attempts: 3, backoff: { baseMs: 100, capMs: 400, jitter: 'equal' as const }, maxRateLimitWaitMs: 10_000 };

describe('slack call policy', () => {
  it('classifies the WebClient\'s errors', () => {
    expect(classifyFailure(Object.assign(new Error('x'), { code: webApi.ErrorCode.RateLimitedError, retryAfter: 3 }))).toEqual({ kind: 'rate-limited', retryAfterMs: 3000 });
    expect(classifyFailure(Object.assign(new Error('x'), { code: webApi.ErrorCode.HTTPError, statusCode: 502 }))).toEqual({ kind: 'transient', reason: 'HTTP 502' });
    expect(classifyFailure(Object.assign(new Error('x'), { code: webApi.ErrorCode.HTTPError, statusCode: 404 }))).toEqual({ kind: 'permanent', reason: 'HTTP 404' });
    expect(classifyFailure(Object.assign(new Error('socket hang up'), { code: webApi.ErrorCode.RequestError })).kind).toBe('transient');
    expect(classifyFailure(Object.assign(new Error('x'), { code: webApi.ErrorCode.PlatformError, data: { error: 'internal_error' } })).kind).toBe('transient');
    expect(classifyFailure(Object.assign(new Error('x'), { code: webApi.ErrorCode.PlatformError, data: { error: 'not_in_channel' } }))).toEqual({ kind: 'permanent', reason: 'not_in_channel' });
    expect(classifyFailure(new SlackCallError({ kind: 'transient', reason: 'r' }))).toEqual({ kind: 'transient', reason: 'r' });
  });

  it('waits exactly Retry-After between rate-limited tries, and backs off on transient failures', async () => {
    const slept: number[] = [];
    const failures = [new SlackCallError({ kind: 'rate-limited', retryAfterMs: 2000 }), new SlackCallError({ kind: 'transient', reason: 'HTTP 503' }), new SlackCallError({ kind: 'rate-limited', retryAfterMs: 1000 })];
    let calls = 0;
    const result = await callSlack(
      'chat.postMessage',
      async () => {
        calls += 1;
        const failure = failures.shift();
        if (failure) throw failure;
        return 'ok';
      },
      POLICY,
      { logger: silentLogger, sleep: async (ms) => void slept.push(ms) },
    );
    expect(result).toBe('ok');
    expect(calls).toBe(4);
    expect(slept[0]).toBe(2000);
    expect(slept[1]).toBeGreaterThanOrEqual(50);
    expect(slept[1]).toBeLessThanOrEqual(100);
    expect(slept[2]).toBe(1000);
  });

  it('throws an AdapterError once the transient attempts or the rate-limit budget are spent', async () => {
    const sleep = async () => undefined;
    const transient = callSlack('x', async () => Promise.reject(new SlackCallError({ kind: 'transient', reason: 'HTTP 500' })), POLICY, { logger: silentLogger, sleep });
    await expect(transient).rejects.toThrow(AdapterError);
    const limited = await callSlack('x', async () => Promise.reject(new SlackCallError({ kind: 'rate-limited', retryAfterMs: 4000 })), POLICY, { logger: silentLogger, sleep }).catch((e: AdapterError) => e);
    expect(limited).toBeInstanceOf(AdapterError);
    // 4 s + 4 s fit in the 10 s budget, the third wait does not.
    expect(limited.retryAfterMs).toBe(4000);
  });
});

describe('keyed queue', () => {
  it('runs tasks of one key in order, other keys in parallel, and forgets idle keys', async () => {
    const queue = new KeyedSerialQueue();
    const log: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const a1 = queue.run('a', async () => {
      await gate;
      log.push('a1');
    });
    const a2 = queue.run('a', async () => void log.push('a2'));
    await queue.run('b', async () => void log.push('b1'));
    expect(log).toEqual(['b1']);
    release();
    await Promise.all([a1, a2]);
    expect(log).toEqual(['b1', 'a1', 'a2']);
    // A failed task does not stop the ones behind it.
    const failed = queue.run('c', async () => Promise.reject(new Error('boom')));
    const after = queue.run('c', async () => 'fine');
    await expect(failed).rejects.toThrow('boom');
    await expect(after).resolves.toBe('fine');
    await queue.idle();
    expect(queue.size).toBe(0);
  });
});
