import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';

describe('fan-out configuration keys', () => {
  it('defaults to 10 at once and never stopping; takes the environment', () => {
    expect(loadConfig({ env: {} }).fanout).toEqual({ concurrency: 10, maxFailures: 0 });
    expect(loadConfig({ env: { SKADI_FANOUT_CONCURRENCY: '3', SKADI_FANOUT_MAX_FAILURES: '2' } }).fanout).toEqual({ concurrency: 3, maxFailures: 2 });
  });

  it('refuses values that make no sense at load, naming the key and what it expects', () => {
    expect(() => loadConfig({ env: { SKADI_FANOUT_CONCURRENCY: '0' } })).toThrow(/config fanout\.concurrency: "0" \(from environment\) is not valid: expected a whole number, 1 or more/);
    expect(() => loadConfig({ env: { SKADI_FANOUT_MAX_FAILURES: '-1' } })).toThrow(/config fanout\.maxFailures: .*expected a whole number, 0 for never/);
    expect(() => loadConfig({ env: { SKADI_FANOUT_CONCURRENCY: 'lots' } })).toThrow(/fanout\.concurrency/);
  });
});
