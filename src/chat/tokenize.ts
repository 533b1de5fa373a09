/**
 * Chat-friendly word splitting for built-in commands. Unlike a shell, a quote only opens at the
 * start of a word, so "don't" and "it's" stay one word; quotes phones type (“…”, ‘…’) pair like
 * straight ones. Single pass over code points: no regular expression can backtrack on long input.
 */

export interface Token {
  /** The word with quotes removed and escapes applied. */
  value: string;
  /** UTF-16 offsets of the word in the original text (end exclusive, closing quote included). */
  start: number;
  end: number;
  quoted: boolean;
}

export type TokenizeResult = { ok: true; tokens: Token[] } | { ok: false; error: string; at: number };

/** Opening quote -> the characters that close it. */
const QUOTES: ReadonlyMap<string, string> = new Map([
  ['"', '"'],
  ["'", "'"],
  ['\u201c', '\u201d\u201c'], // “ … ” (some keyboards close with “ too)
  ['\u201e', '\u201d\u201c'], // „ … “ / ”
  ['\u2018', '\u2019\u2018'], // ‘ … ’
  ['\u00ab', '\u00bb'], // « … »
]);

/** Unicode White_Space: includes U+3000 (ideographic space), NBSP and the en/em spaces. */
export function isSpace(ch: string): boolean {
  return /^\s$/u.test(ch);
}

/**
 * Splits `text` into words. Inside quotes a backslash escapes the closing quote or another
 * backslash (elsewhere it is kept, so `"C:\temp"` survives); outside quotes it is an ordinary
 * character. An unterminated quote is an error naming the quote and where it opened.
 */
export function tokenize(text: string): TokenizeResult {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const ch = charAt(text, i);
    if (isSpace(ch)) {
      i += ch.length;
      continue;
    }
    const closers = QUOTES.get(ch);
    const token = closers === undefined ? readWord(text, i) : readQuoted(text, i, ch, closers);
    if (!('value' in token)) return token;
    tokens.push(token);
    i = token.end;
  }
  return { ok: true, tokens };
}

function readWord(text: string, start: number): Token {
  let i = start;
  while (i < text.length) {
    const ch = charAt(text, i);
    if (isSpace(ch)) break;
    i += ch.length;
  }
  return { value: text.slice(start, i), start, end: i, quoted: false };
}

function readQuoted(text: string, start: number, open: string, closers: string): Token | { ok: false; error: string; at: number } {
  let value = '';
  let i = start + open.length;
  while (i < text.length) {
    const ch = charAt(text, i);
    if (ch === '\\' && i + 1 < text.length) {
      const next = charAt(text, i + 1);
      if (next === '\\' || closers.includes(next)) {
        value += next;
        i += 1 + next.length;
        continue;
      }
    }
    if (closers.includes(ch)) return { value, start, end: i + ch.length, quoted: true };
    value += ch;
    i += ch.length;
  }
  return { ok: false, error: `the ${open} quote opened at character ${start + 1} is never closed`, at: start };
}

/** The code point at `i` as a string (one or two UTF-16 units). */
function charAt(text: string, i: number): string {
  const code = text.codePointAt(i)!;
  return code > 0xffff ? text.slice(i, i + 2) : text[i]!;
}
