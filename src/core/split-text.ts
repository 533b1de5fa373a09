/**
 * Splitting long text for platforms with a per-message size limit. Shared by the reply router
 * and the adapters, so that every platform splits the same way: on line boundaries where it
 * can, then on spaces, and never inside a surrogate pair or a grapheme (an emoji with its
 * skin tone, a flag, a letter with its combining accent).
 */

export interface SplitTextOptions {
  /**
   * Prefix every piece with `(i/n) ` (default true when there is more than one piece). The
   * prefix counts towards the limit. Turn it off when the caller numbers the pieces itself.
   */
  numbered?: boolean;
}

/** How far back from a cut the grapheme segmenter looks; longer clusters fall back to code points. */
const GRAPHEME_WINDOW = 64;

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * Splits `text` into pieces of at most `limit` UTF-16 code units (the unit String#length and
 * most platform limits count). Without numbering the pieces concatenate back to `text` exactly;
 * with numbering, removing each `(i/n) ` prefix gives `text` back. Text that fits comes back
 * as one piece, unnumbered. Linear in the length of `text`.
 */
export function splitText(text: string, limit: number, options: SplitTextOptions = {}): string[] {
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`splitText: limit must be a positive integer, got ${limit}`);
  if (text.length <= limit) return [text];
  if (options.numbered === false) return cut(text, limit);
  // The prefix width depends on the number of pieces, which depends on the prefix width:
  // grow the reserved width until the count fits in it (converges in a step or two).
  let digits = 1;
  for (;;) {
    const room = limit - prefixLength(digits);
    if (room < 1) throw new RangeError(`splitText: limit ${limit} leaves no room for the (i/n) prefix`);
    const pieces = cut(text, room);
    const needed = String(pieces.length).length;
    if (needed <= digits) return pieces.map((piece, i) => `${numberPrefix(i + 1, pieces.length)}${piece}`);
    digits = needed;
  }
}

/** The `(i/n) ` marker splitText puts in front of piece `index` (1-based) of `total`. */
export function numberPrefix(index: number, total: number): string {
  return `(${index}/${total}) `;
}

/** Longest prefix for `digits`-digit counts: `(` i `/` n `)` and a space. */
function prefixLength(digits: number): number {
  return digits * 2 + 4;
}

function cut(text: string, limit: number): string[] {
  const pieces: string[] = [];
  let start = 0;
  while (text.length - start > limit) {
    const end = cutPoint(text, start, start + limit);
    pieces.push(text.slice(start, end));
    start = end;
  }
  pieces.push(text.slice(start));
  return pieces;
}

/**
 * Where to end the piece that starts at `start` and may not go past `max`. Prefers the end of
 * a line, then the end of a word, as long as that keeps the piece at least half full (so one
 * early newline does not produce a run of tiny messages); otherwise the last grapheme boundary.
 */
function cutPoint(text: string, start: number, max: number): number {
  const halfway = start + Math.floor((max - start) / 2);
  const newline = text.lastIndexOf('\n', max - 1);
  if (newline >= halfway) return newline + 1;
  for (let i = max - 1; i >= halfway; i--) {
    if (isBreakingSpace(text.charCodeAt(i))) return i + 1;
  }
  return graphemeBoundary(text, start, max);
}

function isBreakingSpace(code: number): boolean {
  // Space, tab and the ideographic space U+3000 that CJK input methods type.
  return code === 0x20 || code === 0x09 || code === 0x3000;
}

/** The last grapheme boundary in (start, max]; falls back to the last code-point boundary. */
function graphemeBoundary(text: string, start: number, max: number): number {
  // Segmenting from the middle of a cluster (a flag pair, an emoji ZWJ sequence) can invent
  // boundaries, so the window starts where a cluster surely starts: the piece start, or an
  // ASCII character other than LF (which may close a CR LF pair).
  let from = Math.max(start, max - GRAPHEME_WINDOW);
  let trusted = from === start;
  for (let i = from; i < max && !trusted; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80 && code !== 0x0a) {
      from = i;
      trusted = true;
    }
  }
  // Run a little past the cut, so the cluster straddling it is seen whole.
  const window = text.slice(from, Math.min(text.length, max + GRAPHEME_WINDOW));
  let best = -1;
  for (const { index } of segmenter.segment(window)) {
    const at = from + index;
    if (at > max) break;
    if (at > start && (index > 0 || trusted)) best = at;
  }
  return best > start ? best : codePointBoundary(text, start, max);
}

function codePointBoundary(text: string, start: number, max: number): number {
  const before = text.charCodeAt(max - 1);
  // A high surrogate just before the cut belongs with the low surrogate after it.
  return before >= 0xd800 && before <= 0xdbff && max - 1 > start ? max - 1 : max;
}
