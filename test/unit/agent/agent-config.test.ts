import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/core/errors.js';
import { DEMO_AGENT_CONFIG, loadAgentConfig, parseAgentConfig, validateAgentConfig } from '../../../src/agent/agent-config.js';
import { parseDuration, parseSize } from '../../../src/core/index.js';

const GOOD = `
concurrency: 4
labels: { role: web, region: eu, rack: 7 }
allowShell: false
defaults: { timeout: 10m, outputCap: 1MiB }
handlers:
  uptime: { argv: [uptime] }
  echo:   { argv: [echo, "{args}"] }
  df:     { argv: [df, -h], timeout: 30s }
  deploy: { argv: [/opt/deploy.sh, "{args}"], timeout: 15m, outputCap: 5MiB, cwd: /opt, env: { FOO: bar }, allowArgs: "^[a-z0-9._-]+$" }
`;

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

function bad(overrides: Record<string, unknown>): ConfigError {
  return configError(() => validateAgentConfig({ handlers: { uptime: { argv: ['uptime'] } }, ...overrides }));
}

describe('units', () => {
  it('parses durations and sizes', () => {
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('10m')).toBe(600_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration(1500)).toBe(1500);
    expect(parseDuration('1500')).toBe(1500);
    expect(parseDuration('ten minutes')).toBeUndefined();
    expect(parseSize('64KiB')).toBe(65_536);
    expect(parseSize('1MiB')).toBe(1_048_576);
    expect(parseSize('1mib')).toBe(1_048_576);
    expect(parseSize(4096)).toBe(4096);
    expect(parseSize('1MB')).toBeUndefined();
  });
});

describe('agent config', () => {
  it('parses the documented example and applies defaults', () => {
    const config = parseAgentConfig(GOOD);
    expect(config.concurrency).toBe(4);
    expect(config.labels).toEqual({ role: 'web', region: 'eu', rack: '7' });
    expect(config.allowShell).toBe(false);
    expect(config.defaults).toEqual({ timeoutMs: 600_000, outputCap: 1_048_576 });
    expect(config.handlers.uptime).toEqual({ argv: ['uptime'], timeoutMs: 600_000, outputCap: 1_048_576, env: {} });
    expect(config.handlers.df!.timeoutMs).toBe(30_000);
    const deploy = config.handlers.deploy!;
    expect(deploy).toMatchObject({ argv: ['/opt/deploy.sh', '{args}'], timeoutMs: 900_000, outputCap: 5 * 1_048_576, cwd: '/opt', env: { FOO: 'bar' } });
    expect(deploy.allowArgs!.test('v1.2-rc')).toBe(true);
    expect(deploy.allowArgs!.test('a;b')).toBe(false);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.handlers.df!.argv)).toBe(true);
  });

  it('has defaults for everything but handlers', () => {
    const config = validateAgentConfig({ handlers: { date: { argv: ['date'] } } });
    expect(config).toMatchObject({ concurrency: 4, labels: {}, allowShell: false });
  });

  it('anchors allowArgs even when the author did not', () => {
    const config = validateAgentConfig({ handlers: { x: { argv: ['x', '{args}'], allowArgs: '[a-z]+' } } });
    expect(config.handlers.x!.allowArgs!.test('abc')).toBe(true);
    expect(config.handlers.x!.allowArgs!.test('abc;rm')).toBe(false);
  });

  it('exports a safe demo config', () => {
    expect(Object.keys(DEMO_AGENT_CONFIG.handlers).sort()).toEqual(['date', 'df', 'echo', 'uptime']);
    expect(DEMO_AGENT_CONFIG.allowShell).toBe(false);
    expect(DEMO_AGENT_CONFIG.handlers.df!.argv).toEqual(['df', '-h']);
  });

  it.each([
    [{ concurrency: 0 }, 'concurrency', /integer from 1 to 256, got 0/],
    [{ concurrency: '4' }, 'concurrency', /integer/],
    [{ allowShell: 'yes' }, 'allowShell', /true or false, got "yes"/],
    [{ labels: ['a'] }, 'labels', /mapping, got a list/],
    [{ labels: { role: { x: 1 } } }, 'labels.role', /a string/],
    [{ labels: { 'bad key!': 'x' } }, 'labels.bad key!', /invalid name/],
    [{ defaults: { timeout: 'soon' } }, 'defaults.timeout', /duration .* got "soon"/],
    [{ defaults: { outputCap: '1MB' } }, 'defaults.outputCap', /size .*KiB.* got "1MB"/],
    [{ defaults: { timeout: '1m', retries: 3 } }, 'defaults.retries', /unknown key; expected one of timeout, outputCap/],
    [{ colour: 'blue' }, 'colour', /unknown key/],
    [{ handlers: {} }, 'handlers', /at least one handler/],
    [{ handlers: { df: { argv: 'df -h' } } }, 'handlers.df.argv', /non-empty list of strings/],
    [{ handlers: { df: { argv: [] } } }, 'handlers.df.argv', /non-empty list/],
    [{ handlers: { df: {} } }, 'handlers.df.argv', /is required/],
    [{ handlers: { df: { argv: ['df'], timout: '1s' } } }, 'handlers.df.timout', /unknown key; expected one of argv, timeout/],
    [{ handlers: { df: { argv: ['df'], timeout: -5 } } }, 'handlers.df.timeout', /duration/],
    [{ handlers: { df: { argv: ['df'], outputCap: 'lots' } } }, 'handlers.df.outputCap', /size/],
    [{ handlers: { df: { argv: ['df'], cwd: 'opt' } } }, 'handlers.df.cwd', /absolute path, got "opt"/],
    [{ handlers: { df: { argv: ['df'], env: { 'A-B': 'x' } } } }, 'handlers.df.env.A-B', /environment variable name/],
    [{ handlers: { df: { argv: ['df', '{args}'], allowArgs: '([a-z' } } }, 'handlers.df.allowArgs', /invalid regular expression/],
    [{ handlers: { df: { argv: ['df', '--x={args}'] } } }, 'handlers.df.argv[1]', /list element of its own/],
    [{ handlers: { df: { argv: ['{args}'] } } }, 'handlers.df.argv[0]', /program to run/],
    [{ handlers: { df: { argv: ['df', '{args}', '{args}'] } } }, 'handlers.df.argv', /at most once/],
    [{ handlers: { 'bad name': { argv: ['x'] } } }, 'handlers.bad name', /invalid handler name/],
    [{ allowShell: true, handlers: { sh: { argv: ['sh'] } } }, 'handlers.sh', /reserved for raw shell/],
  ])('rejects %j naming %s', (overrides, key, message) => {
    const err = bad(overrides);
    expect(err.key).toBe(key);
    expect(err.code).toBe('SKADI_CONFIG_INVALID');
    expect(err.message).toMatch(message);
    expect(err.message.startsWith(`config ${key}: `)).toBe(true);
  });

  it('reports YAML syntax errors and non-mapping documents with the file name', () => {
    expect(configError(() => parseAgentConfig('handlers: [\n', '/etc/agent.yaml')).message).toMatch(/^config \/etc\/agent.yaml: invalid YAML/);
    expect(configError(() => parseAgentConfig('- a\n- b\n', '/etc/agent.yaml')).key).toBe('/etc/agent.yaml');
    expect(configError(() => parseAgentConfig('a: 1\na: 2\n')).message).toMatch(/invalid YAML/);
    expect(configError(() => parseAgentConfig('')).key).toBe('handlers');
  });

  it('loads a file, and names a missing one', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'skadi-agent-'));
    const path = join(dir, 'agent.yaml');
    await writeFile(path, GOOD);
    expect(Object.keys((await loadAgentConfig(path)).handlers)).toContain('deploy');
    await expect(loadAgentConfig(join(dir, 'missing.yaml'))).rejects.toThrow(/missing\.yaml: cannot read/);
  });
});
