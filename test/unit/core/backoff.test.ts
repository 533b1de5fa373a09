import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../../src/core/backoff.js';

describe('backoffDelay', () => {
  it('full jitter (the default): anywhere under a ceiling that doubles per retry up to capMs', () => {
    const policy = { baseMs: 100, capMs: 1000 };
    expect([0, 1, 2, 3, 4, 50].map((retry) => backoffDelay(retry, policy, () => 0.999))).toEqual([99, 199, 399, 799, 999, 999]);
    expect(backoffDelay(3, policy, () => 0)).toBe(0);
  });

  it('equal jitter: between half the ceiling and the ceiling, never at once', () => {
    const policy = { baseMs: 100, capMs: 1000, jitter: 'equal' } as const;
    expect([0, 1, 2, 3, 4].map((retry) => backoffDelay(retry, policy, () => 0))).toEqual([50, 100, 200, 400, 500]);
    expect(backoffDelay(2, policy, () => 1)).toBe(400);
  });

  it('stays finite for huge or negative retry counts', () => {
    expect(backoffDelay(1e9, { baseMs: 1, capMs: 5000 }, () => 0.5)).toBe(2500);
    expect(backoffDelay(-3, { baseMs: 10, capMs: 5000, jitter: 'equal' }, () => 0)).toBe(5);
  });
});
