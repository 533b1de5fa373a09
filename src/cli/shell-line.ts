import { tokenize } from '../chat/tokenize.js';

/** One line typed at the `skadi shell` prompt, split into the command word and its arguments. */
export type ShellLine =
  | { kind: 'empty' }
  | {
      kind: 'command';
      /** The command word, lower-cased. */
      name: string;
      /** The arguments with quotes removed ("hello world" is one argument). */
      args: string[];
      /**
       * The text after the command word exactly as typed (quotes kept), trimmed: what `send`
       * hands to the agent, which splits it with its own rules, and what `use` reads as a selector.
       */
      rest: string;
      /** Where each argument starts in the line, for `restFrom`. */
      argStarts: number[];
      line: string;
    }
  | { kind: 'error'; message: string; at: number };

/**
 * Parses a shell line. Quotes group words as in chat (src/chat/tokenize.ts: "double", 'single'
 * and curly quotes, a quote opens only at the start of a word); an unclosed quote is an error
 * with its position. Blank lines and `#` comments are empty, so scripts can be commented.
 */
export function parseShellLine(line: string): ShellLine {
  const trimmed = line.trim();
  if (trimmed === '' || trimmed.startsWith('#')) return { kind: 'empty' };
  const result = tokenize(line);
  if (!result.ok) return { kind: 'error', message: result.error, at: result.at };
  const [first, ...others] = result.tokens;
  if (!first) return { kind: 'empty' };
  return { kind: 'command', name: first.value.toLowerCase(), args: others.map((t) => t.value), rest: line.slice(first.end).trim(), argStarts: others.map((t) => t.start), line };
}

/** The text from argument `index` to the end of the line, as typed ('' past the last one). */
export function restFrom(parsed: Extract<ShellLine, { kind: 'command' }>, index: number): string {
  const start = parsed.argStarts[index];
  return start === undefined ? '' : parsed.line.slice(start).trim();
}

/**
 * Splits leading `--name value` options off an argument list (`send --wait 5 -- echo hi`).
 * Stops at the first word that is not a known option, or after `--`. Returns the options and
 * the index of the first word that is not one, or an error naming the bad option.
 */
export function leadingOptions(args: readonly string[], known: readonly string[]): { options: Record<string, string>; next: number } | { error: string } {
  const options: Record<string, string> = {};
  let i = 0;
  while (i < args.length) {
    const word = args[i]!;
    if (word === '--') return { options, next: i + 1 };
    if (!word.startsWith('--')) break;
    const [name, inline] = word.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    if (!known.includes(name)) break;
    const value = inline ?? args[i + 1];
    if (value === undefined) return { error: `--${name} needs a value` };
    options[name] = value;
    i += inline === undefined ? 2 : 1;
  }
  return { options, next: i };
}
