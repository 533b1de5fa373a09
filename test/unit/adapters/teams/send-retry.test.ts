import { describe, expect, it } from 'vitest';
import { DEFAULT_RETRY_POLICY, classifyFailure, parseRetryAfter, withRetry } from '../../../../adapters/teams/send-retry.js';
import { AdapterError } from '../../../../src/core/index.js';

/** An error shaped like the connector client's RestError. */
function restError(statusCode: number | undefined, retryAfter?: string): Error {
  const headers = new Map(retryAfter === undefined ? [] : [['retry-after', retryAfter]]);
  return Object.assign(new Error(`status ${statusCode}`), { name: 'RestError', statusCode, response: { headers: { get: (name: string) => headers.get(name) } } });
}

function script(...results: Array<Error | string>) {
  let calls = 0;
  const call = async () => {
    const next = results[calls++];
    if (next instanceof Error) throw next;
    return next ?? 'done';
  };
  return { call, calls: () => calls };
}

describe('send retry', () => {
  it('reads Retry-After as seconds or as an HTTP date', () => {
    expect(parseRetryAfter('2', 0)).toBe(2000);
    expect(parseRetryAfter('0.5', 0)).toBe(500);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(parseRetryAfter('soon', 0)).toBeNull();
    expect(parseRetryAfter(undefined, 0)).toBeNull();
  });

  it('sorts failures: 429 throttled, 5xx/408/network transient, other 4xx fatal', () => {
    expect(classifyFailure(restError(429, '3'))).toEqual({ kind: 'throttled', retryAfterMs: 3000, status: 429 });
    expect(classifyFailure(restError(503, '1'))).toEqual({ kind: 'throttled', retryAfterMs: 1000, status: 503 });
    expect(classifyFailure(restError(502))).toEqual({ kind: 'transient', status: 502 });
    expect(classifyFailure(restError(408))).toEqual({ kind: 'transient', status: 408 });
    expect(classifyFailure(Object.assign(new Error('aborted'), { name: 'AbortError' }))).toEqual({ kind: 'transient', status: null });
    expect(classifyFailure(restError(403))).toEqual({ kind: 'fatal', status: 403 });
  });

  it('waits as long as Retry-After says, backs off on 5xx, then succeeds', async () => {
    const waits: number[] = [];
    const s = script(restError(429, '2'), restError(500), restError(502), 'ok');
    const result = await withRetry(s.call, { ...DEFAULT_RETRY_POLICY, baseDelayMs: 100 }, { sleep: async (ms) => void waits.push(ms), random: () => 0.5 }, { what: 'sending' });
    expect(result).toBe('ok');
    expect(waits).toEqual([2000, 200, 400]);
  });

  it('gives up after the attempts with AdapterError, carrying the connector’s wait', async () => {
    const s = script(restError(429, '1'), restError(429, '1'), restError(429, '1'), restError(429, '7'));
    const err = await withRetry(s.call, DEFAULT_RETRY_POLICY, { sleep: async () => undefined }, { what: 'sending' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AdapterError);
    expect((err as AdapterError).retryAfterMs).toBe(7000);
    expect(s.calls()).toBe(4);
  });

  it('does not sit on a Retry-After longer than maxRetryAfterMs: the bus redelivers later', async () => {
    const s = script(restError(429, '3600'));
    const err = await withRetry(s.call, DEFAULT_RETRY_POLICY, { sleep: async () => undefined }, { what: 'sending' }).catch((e: unknown) => e);
    expect((err as AdapterError).retryAfterMs).toBe(3_600_000);
    expect(s.calls()).toBe(1);
  });

  it('does not retry a refusal, unless a fallback is offered, and then only once', async () => {
    const refused = script(restError(403));
    await expect(withRetry(refused.call, DEFAULT_RETRY_POLICY, { sleep: async () => undefined }, { what: 'sending' })).rejects.toThrow(/sending refused \(HTTP 403/);
    expect(refused.calls()).toBe(1);
    const plain = script('as text');
    const card = script(restError(400));
    expect(await withRetry(card.call, DEFAULT_RETRY_POLICY, { sleep: async () => undefined }, { what: 'sending', fallback: () => plain.call })).toBe('as text');
    const both = script(restError(400), restError(400));
    await expect(withRetry(both.call, DEFAULT_RETRY_POLICY, { sleep: async () => undefined }, { what: 'sending', fallback: () => both.call })).rejects.toThrow(AdapterError);
    expect(both.calls()).toBe(2);
  });
});
