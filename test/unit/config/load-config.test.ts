import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/load-config.js';
import { ConfigError } from '../../../src/core/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'skadi-config-'));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function failure(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('has embedded defaults: SQLite, in-process bus, demo agent, 10 min job timeout, 3 min offline', () => {
    const c = loadConfig({ env: {} });
    expect(c.database.url).toBe('sqlite:./data/skadi.db');
    expect(c.redis.url).toBeNull();
    expect(c.demoAgent).toEqual({ enabled: true, name: 'local' });
    expect(c.jobs.timeoutMs).toBe(600_000);
    expect(c.agents.offlineAfterMs).toBe(180_000);
    expect(c.server).toMatchObject({ host: '127.0.0.1', port: 8080 });
  });

  it('layers defaults < file < env < flags', () => {
    const f = file('layers.yaml', 'server:\n  port: 9000\n  host: 0.0.0.0\njobs:\n  timeout: 5m\n');
    const c = loadConfig({ file: f, env: { SKADI_PORT: '9100', SKADI_JOB_TIMEOUT: '2m' }, flags: { 'jobs.timeout': '30s' } });
    expect(c.server.host).toBe('0.0.0.0');
    expect(c.server.port).toBe(9100);
    expect(c.jobs.timeoutMs).toBe(30_000);
  });

  it('reads the file named by SKADI_CONFIG', () => {
    const f = file('env.yaml', 'redis:\n  url: redis://127.0.0.1:6379\n');
    expect(loadConfig({ env: { SKADI_CONFIG: f } }).redis.url).toBe('redis://127.0.0.1:6379');
  });

  it('is frozen', () => {
    const c = loadConfig({ env: {} });
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.server)).toBe(true);
  });

  it('names the key, the value, its source and what was expected', () => {
    const e = failure(() => loadConfig({ env: { SKADI_PORT: 'eighty' } }));
    expect(e.key).toBe('server.port');
    expect(e.message).toContain('"eighty"');
    expect(e.message).toContain('environment');
    expect(e.message).toContain('port number');
    expect(e.code).toBe('SKADI_CONFIG_INVALID');
  });

  it('refuses bad values of every kind', () => {
    expect(failure(() => loadConfig({ env: { SKADI_DATABASE_URL: 'postgres://x' } })).key).toBe('database.url');
    expect(failure(() => loadConfig({ env: { SKADI_REDIS_URL: 'localhost:6379' } })).key).toBe('redis.url');
    expect(failure(() => loadConfig({ env: {}, flags: { 'jobs.timeout': 'soon' } })).key).toBe('jobs.timeout');
    expect(failure(() => loadConfig({ env: { SKADI_DEMO_AGENT: 'maybe' } })).key).toBe('demoAgent.enabled');
    expect(failure(() => loadConfig({ env: { SKADI_LOG_LEVEL: 'loud' } })).key).toBe('log.level');
  });

  it('refuses unknown keys in the file and in flags, with a suggestion', () => {
    const e = failure(() => loadConfig({ file: file('typo.yaml', 'server:\n  prot: 80\n'), env: {} }));
    expect(e.key).toBe('server.prot');
    expect(failure(() => loadConfig({ env: {}, flags: { 'jobs.timout': '1m' } })).key).toBe('jobs.timout');
    const t = failure(() => loadConfig({ file: file('timeout.yaml', 'jobs:\n  timout: 1m\n'), env: {} }));
    expect(t.message).toMatch(/did you mean/);
  });

  it('reports unreadable and malformed files', () => {
    expect(failure(() => loadConfig({ file: join(dir, 'missing.yaml'), env: {} })).message).toMatch(/cannot read/);
    expect(failure(() => loadConfig({ file: file('bad.yaml', 'server: [1, 2\n'), env: {} })).message).toMatch(/not valid YAML/);
    expect(failure(() => loadConfig({ file: file('list.yaml', '- a\n- b\n'), env: {} })).message).toMatch(/mapping/);
  });

  it('hashes web user tokens and checks their form', () => {
    const c = loadConfig({ file: file('web.yaml', 'web:\n  users:\n    - name: alice\n      token: correct-horse-battery\n'), env: {} });
    expect(c.web.users![0]!.name).toBe('alice');
    expect(c.web.users![0]!.tokenHash).toMatch(/^[0-9a-f]{64}$/);
    expect(failure(() => loadConfig({ file: file('web2.yaml', 'web:\n  users:\n    - name: bob\n      token: short\n'), env: {} })).key).toBe('web.users[0].token');
  });

  it('runs each structured section validator once and keeps what it returns', () => {
    const seen: unknown[] = [];
    const c = loadConfig({ file: file('acc.yaml', 'access:\n  rules: []\n'), env: {}, validate: { access: (v) => (seen.push(v), { checked: true }), slack: () => seen.push('slack') } });
    expect(seen).toEqual([{ rules: [] }]);
    expect(c.access).toEqual({ checked: true });
  });

  it('fills platform secrets from the environment into their sections', () => {
    const c = loadConfig({ file: file('slack.yaml', 'slack:\n  mode: socket\n'), env: { SKADI_SLACK_BOT_TOKEN: 'xoxb-1', SKADI_EMAIL_IMAP_PASSWORD: 'pw' } });
    expect(c.slack).toEqual({ mode: 'socket', botToken: 'xoxb-1' });
    expect(c.email).toEqual({ imap: { password: 'pw' } });
    expect(c.teams).toBeNull();
  });
});
