import { describe, expect, it } from 'vitest';
import { validateAgentConfig } from '../../../src/agent/agent-config.js';
import { parseJobMessage, splitWords } from '../../../src/agent/parse-job-message.js';

const config = validateAgentConfig({
  handlers: {
    uptime: { argv: ['uptime'] },
    echo: { argv: ['echo', '{args}'] },
    deploy: { argv: ['/opt/deploy.sh', '--env', '{args}', '--verbose'], timeout: '15m', outputCap: '5MiB', cwd: '/opt', env: { FOO: 'bar' }, allowArgs: '^[a-z0-9._-]+$' },
  },
});
const shellConfig = validateAgentConfig({ allowShell: true, handlers: { echo: { argv: ['echo', '{args}'] } } });

function words(text: string): string[] {
  const split = splitWords(text);
  if ('error' in split) throw new Error(split.error);
  return split.words;
}

describe('splitWords', () => {
  it('splits on any whitespace, including ideographic space and newlines', () => {
    expect(words('  a  b\tc\nd\u3000e ')).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('respects double and single quotes and joins adjacent parts', () => {
    expect(words(`echo "hello world" 'it''s' a"b c"d`)).toEqual(['echo', 'hello world', 'its', 'ab cd']);
    expect(words(`echo 'say "hi"' "it's"`)).toEqual(['echo', 'say "hi"', "it's"]);
    expect(words('echo "" x')).toEqual(['echo', '', 'x']);
  });

  it('handles backslash escapes outside single quotes', () => {
    expect(words('echo a\\ b "c\\"d" \'e\\f\'')).toEqual(['echo', 'a b', 'c"d', 'e\\f']);
  });

  it('treats curly double quotes from phones as quotes', () => {
    expect(words('echo \u201chello world\u201d')).toEqual(['echo', 'hello world']);
  });

  it('keeps CJK and emoji (surrogate pairs, ZWJ sequences) intact', () => {
    expect(words('echo 你好 世界 "日本語 テキスト" 👍🏽 👨‍👩‍👧')).toEqual(['echo', '你好', '世界', '日本語 テキスト', '👍🏽', '👨‍👩‍👧']);
  });

  it('reports an unterminated quote', () => {
    expect(splitWords('echo "oops')).toEqual({ error: 'unterminated " quote in the message' });
  });
});

describe('parseJobMessage', () => {
  it('builds argv from literal elements and {args}, one element per word', () => {
    const parsed = parseJobMessage('echo "a b" c 🚀', config);
    expect(parsed).toEqual({ ok: true, handler: 'echo', spec: { argv: ['echo', 'a b', 'c', '🚀'], env: {}, timeoutMs: 600_000, outputCap: 1_048_576 } });
  });

  it('places {args} in the middle and carries the handler settings', () => {
    const parsed = parseJobMessage('deploy web-1 v2.0', config);
    expect(parsed).toEqual({
      ok: true,
      handler: 'deploy',
      spec: { argv: ['/opt/deploy.sh', '--env', 'web-1', 'v2.0', '--verbose'], cwd: '/opt', env: { FOO: 'bar' }, timeoutMs: 900_000, outputCap: 5 * 1_048_576 },
    });
  });

  it('never interprets shell syntax: metacharacters are plain argv', () => {
    const parsed = parseJobMessage('echo $(id) ; rm -rf / | cat', config);
    expect(parsed.ok && parsed.spec.argv).toEqual(['echo', '$(id)', ';', 'rm', '-rf', '/', '|', 'cat']);
  });

  it('matches a capitalised first word', () => {
    expect(parseJobMessage('Uptime', config)).toMatchObject({ ok: true, handler: 'uptime' });
  });

  it('refuses an argument that does not match allowArgs', () => {
    const parsed = parseJobMessage('deploy web-1 "--exec=evil"', config);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.error).toMatch(/deploy: argument "--exec=evil" is not allowed/);
    expect(parseJobMessage('deploy 你好', config).ok).toBe(false);
  });

  it('refuses arguments to a handler without {args}', () => {
    expect(parseJobMessage('uptime now', config)).toEqual({ ok: false, error: 'uptime takes no arguments, got 1' });
  });

  it('refuses an unknown handler and lists the available ones', () => {
    expect(parseJobMessage('reboot now', config)).toEqual({ ok: false, error: 'unknown command "reboot"; this agent runs: deploy, echo, uptime' });
    expect(parseJobMessage('constructor', config).ok).toBe(false);
    expect(parseJobMessage('   ', config)).toEqual({ ok: false, error: 'empty command; this agent runs: deploy, echo, uptime' });
  });

  it('refuses raw shell unless allowShell is true', () => {
    const parsed = parseJobMessage('sh ls | wc -l', config);
    expect(!parsed.ok && parsed.error).toMatch(/unknown command "sh" \(raw shell is disabled on this agent\)/);
  });

  it('runs the rest of the message via /bin/sh -c when allowShell is true', () => {
    expect(parseJobMessage('sh  ls "/tmp" | wc -l', shellConfig)).toEqual({
      ok: true,
      handler: 'sh',
      spec: { argv: ['/bin/sh', '-c', 'ls "/tmp" | wc -l'], timeoutMs: 600_000, outputCap: 1_048_576 },
    });
    expect(parseJobMessage('sh', shellConfig).ok).toBe(false);
    expect(parseJobMessage('nope', shellConfig)).toEqual({ ok: false, error: 'unknown command "nope"; this agent runs: echo, sh <command>' });
  });

  it('reports quoting errors as refusals', () => {
    expect(parseJobMessage("echo 'abc", config)).toEqual({ ok: false, error: "unterminated ' quote in the message" });
  });
});
