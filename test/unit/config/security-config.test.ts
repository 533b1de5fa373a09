import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import { ConfigError } from '../../../src/core/errors.js';

const load = (env: Record<string, string>) => loadConfig({ env });

describe('security configuration keys', () => {
  it('has safe defaults: no limits imposed, nothing redacted, the key generated in the data directory', () => {
    const c = load({});
    expect(c.jobs.signingKey).toBeNull();
    expect(c.jobs.redact).toEqual([]);
    expect(c.rateLimit).toEqual({ user: null, agent: null });
    expect(c.agents.maxConcurrentJobs).toBe(0);
  });

  it('reads rates, redaction rules (JSON in the environment) and the concurrency cap', () => {
    const c = load({ SKADI_RATE_LIMIT_USER: '30/1m', SKADI_RATE_LIMIT_AGENT: '5/10s', SKADI_JOB_REDACT: '["hunter2-x", {"regex": "AKIA[0-9A-Z]{16}"}]', SKADI_AGENT_MAX_CONCURRENT_JOBS: '3' });
    expect(c.rateLimit).toEqual({ user: { count: 30, perMs: 60_000 }, agent: { count: 5, perMs: 10_000 } });
    expect(c.jobs.redact).toEqual(['hunter2-x', { regex: 'AKIA[0-9A-Z]{16}' }]);
    expect(c.agents.maxConcurrentJobs).toBe(3);
    expect(Object.isFrozen(c.jobs.redact)).toBe(true);
  });

  it('names a bad secret-bearing value by its key without echoing it', () => {
    for (const [name, value, key] of [
      ['SKADI_JOB_REDACT', '["ab"]', 'jobs.redact'],
      ['SKADI_JOB_REDACT', 'not json hunter2', 'jobs.redact'],
      ['SKADI_RATE_LIMIT_USER', 'lots', 'rateLimit.user'],
      ['SKADI_AGENT_MAX_CONCURRENT_JOBS', '-1', 'agents.maxConcurrentJobs'],
    ] as const) {
      let err: unknown;
      try {
        load({ [name]: value });
      } catch (e) {
        err = e;
      }
      expect(err, name).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).key).toBe(key);
      if (key === 'jobs.redact') expect((err as ConfigError).message).not.toContain(value);
    }
  });
});
