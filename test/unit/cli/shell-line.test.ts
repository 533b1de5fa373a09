import { describe, expect, it } from 'vitest';
import { leadingOptions, parseShellLine, restFrom } from '../../../src/cli/shell-line.js';

const command = (line: string) => {
  const parsed = parseShellLine(line);
  if (parsed.kind !== 'command') throw new Error(`not a command: ${JSON.stringify(parsed)}`);
  return parsed;
};

describe('shell line parser', () => {
  it('splits the command word (lower-cased) from its arguments', () => {
    const p = command('  LIST   role=web  ');
    expect(p.name).toBe('list');
    expect(p.args).toEqual(['role=web']);
    expect(p.rest).toBe('role=web');
  });

  it('groups quoted words and removes the quotes from args, but keeps them in rest', () => {
    const p = command(`send echo "hello   world" 'single  one' “curly quote”`);
    expect(p.args).toEqual(['echo', 'hello   world', 'single  one', 'curly quote']);
    expect(p.rest).toBe(`echo "hello   world" 'single  one' “curly quote”`);
  });

  it('keeps apostrophes inside words and escaped quotes inside quotes', () => {
    expect(command(`send echo don't`).args).toEqual(['echo', "don't"]);
    expect(command(String.raw`send echo "say \"hi\""`).args).toEqual(['echo', 'say "hi"']);
  });

  it('reports an unclosed quote with its position', () => {
    expect(parseShellLine('send echo "oops')).toEqual({ kind: 'error', message: expect.stringContaining('never closed'), at: 10 });
  });

  it('treats blank lines and # comments as empty', () => {
    expect(parseShellLine('')).toEqual({ kind: 'empty' });
    expect(parseShellLine('   \t ')).toEqual({ kind: 'empty' });
    expect(parseShellLine('  # a comment')).toEqual({ kind: 'empty' });
  });

  it('gives the raw text from any argument on (restFrom)', () => {
    const p = command('send --wait 5 echo "a  b"');
    expect(restFrom(p, 2)).toBe('echo "a  b"');
    expect(restFrom(p, 9)).toBe('');
  });

  it('takes leading --options and stops at the first message word or after --', () => {
    const known = ['wait', 'timeout'];
    expect(leadingOptions(['--wait', '5', '--timeout=30', 'echo', '--wait'], known)).toEqual({ options: { wait: '5', timeout: '30' }, next: 3 });
    expect(leadingOptions(['--', '--wait', 'x'], known)).toEqual({ options: {}, next: 1 });
    expect(leadingOptions(['ls', '-la'], known)).toEqual({ options: {}, next: 0 });
    expect(leadingOptions(['--color', 'x'], known)).toEqual({ options: {}, next: 0 });
    expect(leadingOptions(['--wait'], known)).toEqual({ error: '--wait needs a value' });
  });
});
