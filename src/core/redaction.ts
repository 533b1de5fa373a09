/**
 * Output redaction: configured secrets (literal strings and regular expressions) are replaced
 * by `[redacted]` before job output is stored or replied. Used by the server (on each stored
 * chunk and on the collected output) and by the reference agent (on its output stream).
 */

export const REDACTED = '[redacted]';

/** One configured secret: a literal string, or a regular expression (`{regex, flags?}`). */
export type RedactionRule = string | { regex: string; flags?: string };

export interface Redactor {
  /** True when no rule is configured: `redact` returns its input. */
  readonly empty: boolean;
  redact(text: string): string;
  /** Non-overlapping [start, end) ranges to replace, in order. */
  ranges(text: string): Array<[number, number]>;
}

/** Shortest literal accepted: a one- or two-character "secret" would shred every output. */
export const MIN_LITERAL_LENGTH = 4;

/**
 * Validates rules (from config) and compiles them. Throws an Error naming the rule's index
 * (never the secret itself) when one is unusable.
 */
export function compileRedactions(rules: readonly RedactionRule[]): Redactor {
  const literals: string[] = [];
  const patterns: RegExp[] = [];
  rules.forEach((rule, i) => {
    if (typeof rule === 'string') {
      if (rule.length < MIN_LITERAL_LENGTH) throw new Error(`[${i}]: a literal secret must be at least ${MIN_LITERAL_LENGTH} characters`);
      literals.push(rule);
      return;
    }
    if (!rule || typeof rule !== 'object' || typeof rule.regex !== 'string' || rule.regex === '') throw new Error(`[${i}]: expected a string (a literal secret) or {regex: "…", flags?: "i"}`);
    const flags = rule.flags ?? '';
    if (!/^[imsu]*$/.test(flags)) throw new Error(`[${i}].flags: only i, m, s and u are allowed`);
    let re: RegExp;
    try {
      re = new RegExp(rule.regex, `${flags}g`);
    } catch (err) {
      throw new Error(`[${i}].regex: ${(err as Error).message}`);
    }
    if (re.test('')) throw new Error(`[${i}].regex: matches the empty string, so it would match everywhere`);
    re.lastIndex = 0;
    patterns.push(re);
  });
  // Longest first, so a secret that contains another is replaced whole.
  literals.sort((a, b) => b.length - a.length);

  const ranges = (text: string): Array<[number, number]> => {
    const found: Array<[number, number]> = [];
    for (const lit of literals) {
      for (let at = text.indexOf(lit); at >= 0; at = text.indexOf(lit, at + lit.length)) found.push([at, at + lit.length]);
    }
    for (const re of patterns) {
      re.lastIndex = 0;
      for (let m = re.exec(text); m; m = re.exec(text)) {
        if (m[0].length === 0) {
          re.lastIndex++;
          continue;
        }
        found.push([m.index, m.index + m[0].length]);
      }
    }
    if (found.length < 2) return found;
    found.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
    const merged: Array<[number, number]> = [found[0]!];
    for (const r of found.slice(1)) {
      const last = merged[merged.length - 1]!;
      if (r[0] < last[1]) last[1] = Math.max(last[1], r[1]);
      else merged.push(r);
    }
    return merged;
  };

  return {
    empty: literals.length === 0 && patterns.length === 0,
    ranges,
    redact(text) {
      if (literals.length === 0 && patterns.length === 0) return text;
      return replaceRanges(text, ranges(text));
    },
  };
}

function replaceRanges(text: string, ranges: ReadonlyArray<[number, number]>): string {
  if (!ranges.length) return text;
  let out = '';
  let at = 0;
  for (const [s, e] of ranges) {
    out += text.slice(at, s) + REDACTED;
    at = e;
  }
  return out + text.slice(at);
}

/**
 * Redacts a stream cut into arbitrary chunks: the last `holdback` characters are kept back
 * until more text (or the end) shows whether they start a secret, so a secret split across two
 * chunks is still caught. A match that reaches into the held-back tail is held back whole.
 */
export function createStreamRedactor(redactor: Redactor, holdback: number): { push(chunk: string): string; flush(): string } {
  let pending = '';
  const maxPending = Math.max(4 * holdback, 64 * 1024);
  return {
    push(chunk) {
      if (redactor.empty) return chunk;
      const text = pending + chunk;
      const limit = Math.max(0, text.length - holdback);
      let cut = limit;
      const ranges = redactor.ranges(text);
      for (const [s, e] of ranges) if (s < cut && e > cut) cut = s;
      if (limit - cut > maxPending) {
        // A match that keeps growing (`token=\S+` on an endless line) is redacted as far as it
        // reaches now rather than buffered without end; a continuation in later chunks is not.
        const end = ranges.find(([s, e]) => s === cut && e > cut)![1];
        pending = text.slice(end);
        return replaceRanges(text.slice(0, end), ranges.filter(([, e]) => e <= end));
      }
      pending = text.slice(cut);
      return replaceRanges(text.slice(0, cut), ranges.filter(([, e]) => e <= cut));
    },
    flush() {
      const rest = redactor.redact(pending);
      pending = '';
      return rest;
    },
  };
}

/** How much a stream redactor must hold back: the longest literal, or `regexSpan` for patterns. */
export function redactionHoldback(rules: readonly RedactionRule[], regexSpan = 256): number {
  let n = 0;
  for (const rule of rules) n = Math.max(n, typeof rule === 'string' ? rule.length - 1 : regexSpan);
  return n;
}
