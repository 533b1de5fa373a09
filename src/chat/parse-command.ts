import { tokenize } from './tokenize.js';
import { parseFanOut } from './parse-fan-out.js';

/** Longest text the dispatcher accepts, in UTF-16 code units (an emoji counts two). */
export const DEFAULT_MAX_MESSAGE_LENGTH = 4_000;

export type ParsedInput =
  /** Nothing but the mention. */
  | { kind: 'empty' }
  /** A built-in command (name or alias, normalised) and its words. */
  | { kind: 'command'; word: string; args: string[] }
  /** `<agent> <message…>`: the message is the rest of the text exactly as typed, trimmed. */
  | { kind: 'agent'; agent: string; message: string }
  /** `<selector> [--concurrency N] [--max-failures N] <message…>`: one job per matching agent. */
  | { kind: 'fanout'; selector: string; message: string; concurrency?: number; maxFailures?: number }
  | { kind: 'error'; error: 'too-long' | 'unterminated-quote' | 'bad-selector' | 'bad-option'; message: string };

export interface ParseOptions {
  /** True for built-in command names and aliases (already normalised: lower case). */
  isCommand(word: string): boolean;
  maxLength?: number;
}

/**
 * The first word as a name: NFKC folds full-width letters an IME may produce (ｌｏｃａｌ) and
 * lower case forgives a phone's auto-capitalisation (Local uptime). Agent names and command
 * words are lower-case ASCII, so nothing that could match is lost.
 */
export function normaliseName(word: string): string {
  return word.normalize('NFKC').toLowerCase();
}

/**
 * Reads the text of an addressed message (mention already stripped): a built-in command, a
 * job for an agent, or a fan-out to the agents a selector matches. The length is checked before anything else so a huge paste costs nothing.
 */
export function parseCommand(text: string, options: ParseOptions): ParsedInput {
  const maxLength = options.maxLength ?? DEFAULT_MAX_MESSAGE_LENGTH;
  if (text.length > maxLength) {
    return { kind: 'error', error: 'too-long', message: `That message is ${text.length} characters long; I take at most ${maxLength}. Put long input in a file on the server and pass its name.` };
  }
  const result = tokenize(text);
  if (!result.ok) {
    return { kind: 'error', error: 'unterminated-quote', message: `I could not read that: ${result.error}. Close the quote, or put a backslash before a quote that is part of the text.` };
  }
  const [first, ...rest] = result.tokens;
  if (!first) return { kind: 'empty' };
  const word = normaliseName(first.value);
  if (!first.quoted && options.isCommand(word)) {
    return { kind: 'command', word, args: rest.map((token) => token.value) };
  }
  // A selector (an operator, a glob, a comma: never an agent name) makes a fan-out.
  const fanOut = parseFanOut(text, result.tokens);
  if (fanOut) return fanOut;
  // The agent parses its own message, so it gets the user's quoting and spacing untouched.
  return { kind: 'agent', agent: word, message: text.slice(first.end).trim() };
}
