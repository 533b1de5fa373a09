import { describe, expect, it } from 'vitest';
import { parseCommand, type ParsedInput } from '../../../src/chat/parse-command.js';
import { tokenize } from '../../../src/chat/tokenize.js';

const COMMANDS = new Set(['help', '?', 'status', 'jobs', 'ps', 'cancel', 'rerun', 'agents']);
const parse = (text: string, maxLength?: number): ParsedInput => parseCommand(text, { isCommand: (w) => COMMANDS.has(w), maxLength });
const words = (text: string): string[] => {
  const result = tokenize(text);
  if (!result.ok) throw new Error(result.error);
  return result.tokens.map((t) => t.value);
};

describe('tokenize', () => {
  it('splits on any Unicode space, including the ideographic space U+3000 and NBSP', () => {
    expect(words('a b\tc\u3000d\u00a0e\u2003f')).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(words('  \u3000 ')).toEqual([]);
  });

  it('keeps CJK and emoji (with modifiers and ZWJ sequences) inside words', () => {
    expect(words('状态 日本語テキスト 👍🏽 👨‍👩‍👧 🇯🇵x')).toEqual(['状态', '日本語テキスト', '👍🏽', '👨‍👩‍👧', '🇯🇵x']);
  });

  it('groups "double", \'single\', “curly” and ‘curly single’ quotes', () => {
    expect(words('say "hello world" \'a b\' “c d” ‘e f’ «g h»')).toEqual(['say', 'hello world', 'a b', 'c d', 'e f', 'g h']);
    expect(words('"" x')).toEqual(['', 'x']);
  });

  it('keeps apostrophes inside words (don\'t, it’s)', () => {
    expect(words("don't stop it’s fine")).toEqual(["don't", 'stop', 'it’s', 'fine']);
  });

  it('applies backslash escapes inside quotes only', () => {
    expect(words('"say \\"hi\\" \\\\ now"')).toEqual(['say "hi" \\ now']);
    expect(words('"C:\\temp\\x"')).toEqual(['C:\\temp\\x']);
    expect(words('a\\b')).toEqual(['a\\b']);
  });

  it('reports an unterminated quote with where it opened', () => {
    const result = tokenize('status "abc');
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error).toContain('"');
      expect(result.error).toContain('character 8');
      expect(result.at).toBe(7);
    }
    expect(tokenize('x “open').ok).toBe(false);
    expect(tokenize('x "ends with backslash\\"').ok).toBe(false);
  });

  it('gives offsets into the original text', () => {
    const result = tokenize('  local   "a b"');
    expect(result.ok && result.tokens.map((t) => [t.start, t.end])).toEqual([[2, 7], [10, 15]]);
  });
});

describe('parseCommand', () => {
  it('recognises built-in commands and aliases, case- and width-insensitively', () => {
    expect(parse('help')).toEqual({ kind: 'command', word: 'help', args: [] });
    expect(parse('Status abc123')).toEqual({ kind: 'command', word: 'status', args: ['abc123'] });
    expect(parse('ＨＥＬＰ')).toEqual({ kind: 'command', word: 'help', args: [] });
    expect(parse('ps')).toEqual({ kind: 'command', word: 'ps', args: [] });
    expect(parse('? status')).toEqual({ kind: 'command', word: '?', args: ['status'] });
    expect(parse('jobs\u3000local')).toEqual({ kind: 'command', word: 'jobs', args: ['local'] });
  });

  it('passes the rest of the text to the agent exactly as typed, quotes and spacing kept', () => {
    expect(parse('local uptime')).toEqual({ kind: 'agent', agent: 'local', message: 'uptime' });
    expect(parse('  local   echo  "a  b"   \'c\' ')).toEqual({ kind: 'agent', agent: 'local', message: 'echo  "a  b"   \'c\'' });
    expect(parse('Local echo 你好\u3000世界 👋🏽')).toEqual({ kind: 'agent', agent: 'local', message: 'echo 你好\u3000世界 👋🏽' });
    expect(parse('local\u3000echo “curly”')).toEqual({ kind: 'agent', agent: 'local', message: 'echo “curly”' });
    expect(parse("local echo don't")).toEqual({ kind: 'agent', agent: 'local', message: "echo don't" });
    expect(parse('local')).toEqual({ kind: 'agent', agent: 'local', message: '' });
  });

  it('treats a quoted first word as an agent name, never as a command', () => {
    expect(parse('"help" me')).toMatchObject({ kind: 'agent', agent: 'help', message: 'me' });
  });

  it('returns empty for nothing but spaces', () => {
    expect(parse('')).toEqual({ kind: 'empty' });
    expect(parse(' \u3000 ')).toEqual({ kind: 'empty' });
  });

  it('refuses an unterminated quote with a sentence that says how to fix it', () => {
    const parsed = parse('local echo "hello');
    expect(parsed).toMatchObject({ kind: 'error', error: 'unterminated-quote' });
    if (parsed.kind === 'error') expect(parsed.message).toMatch(/never closed.*Close the quote/);
  });

  it('refuses very long input quickly, with the limit in the reply', () => {
    const huge = `local ${'"'.repeat(2_000_000)}`;
    const started = performance.now();
    const parsed = parse(huge);
    expect(performance.now() - started).toBeLessThan(50);
    expect(parsed).toMatchObject({ kind: 'error', error: 'too-long' });
    if (parsed.kind === 'error') expect(parsed.message).toContain('4000');
    expect(parse('x'.repeat(101), 100)).toMatchObject({ kind: 'error', error: 'too-long' });
    expect(parse(`local ${'x'.repeat(94)}`, 100)).toMatchObject({ kind: 'agent' });
  });

  it('stays linear on adversarial input at the limit', () => {
    const nasty = `status ${'"\\'.repeat(1_996)}`;
    const started = performance.now();
    parse(nasty);
    parse(`local ${'\u3000 '.repeat(1_997)}`);
    parse(`local ${'👨‍👩‍👧'.repeat(500)}`);
    expect(performance.now() - started).toBeLessThan(200);
  });
});
