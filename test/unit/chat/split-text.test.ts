import { describe, expect, it } from 'vitest';
import { numberPrefix, splitText } from '../../../src/core/split-text.js';

function unnumber(pieces: string[]): string {
  return pieces.map((piece, i) => {
    const prefix = numberPrefix(i + 1, pieces.length);
    expect(piece.startsWith(prefix)).toBe(true);
    return piece.slice(prefix.length);
  }).join('');
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });
function graphemeBoundaries(text: string): Set<number> {
  return new Set([...[...segmenter.segment(text)].map((s) => s.index), text.length]);
}

describe('splitText', () => {
  it('returns text that fits as one unnumbered piece', () => {
    expect(splitText('short', 10)).toEqual(['short']);
    expect(splitText('', 10)).toEqual(['']);
  });

  it('splits on line boundaries and numbers the pieces (1/3)', () => {
    const text = ['alpha alpha', 'beta beta', 'gamma gamma', 'delta delta'].join('\n');
    const pieces = splitText(text, 22);
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces[0]).toMatch(/^\(1\/\d\) /);
    for (const piece of pieces) expect(piece.length).toBeLessThanOrEqual(22);
    expect(unnumber(pieces)).toBe(text);
    // Each piece but the last ends at the end of a line.
    for (const piece of pieces.slice(0, -1)) expect(piece.endsWith('\n')).toBe(true);
  });

  it('without numbering, pieces concatenate to the original', () => {
    const text = Array.from({ length: 200 }, (_, i) => `line ${i} of output`).join('\n');
    const pieces = splitText(text, 100, { numbered: false });
    expect(pieces.join('')).toBe(text);
    for (const piece of pieces) expect(piece.length).toBeLessThanOrEqual(100);
  });

  it('falls back to spaces, then to grapheme boundaries, for one long line', () => {
    const words = 'word '.repeat(100);
    const pieces = splitText(words, 23, { numbered: false });
    expect(pieces.join('')).toBe(words);
    for (const piece of pieces.slice(0, -1)) expect(piece.endsWith(' ')).toBe(true);
  });

  it('never cuts a surrogate pair or an emoji/flag/accent cluster', () => {
    const clusters = ['👍🏽', '👨‍👩‍👧‍👦', '🇯🇵', 'é', '漢', 'a', '😀'];
    let text = '';
    for (let i = 0; i < 400; i++) text += clusters[i % clusters.length];
    // 11 is the longest cluster here (a family emoji); any limit from there on keeps clusters whole.
    for (const limit of [11, 12, 13, 29, 64]) {
      const pieces = splitText(text, limit, { numbered: false });
      expect(pieces.join('')).toBe(text);
      const boundaries = graphemeBoundaries(text);
      let at = 0;
      for (const piece of pieces) {
        expect(piece.length).toBeLessThanOrEqual(limit);
        at += piece.length;
        expect(boundaries.has(at)).toBe(true);
      }
    }
  });

  it('cuts a cluster longer than the limit between code points, never between surrogates', () => {
    const text = '👨‍👩‍👧‍👦'.repeat(20);
    const pieces = splitText(text, 7, { numbered: false });
    expect(pieces.join('')).toBe(text);
    for (const piece of pieces) {
      expect(piece.length).toBeLessThanOrEqual(7);
      expect(piece).not.toMatch(LONE_SURROGATE);
    }
  });

  it('keeps a long run of flags paired correctly', () => {
    const text = '🇫🇷'.repeat(100);
    const pieces = splitText(text, 30, { numbered: false });
    expect(pieces.join('')).toBe(text);
    for (const piece of pieces) expect(piece.length % 4).toBe(0);
  });

  it('splits CJK text with ideographic spaces (U+3000) at the space', () => {
    const text = '你好世界\u3000'.repeat(50);
    const pieces = splitText(text, 40, { numbered: false });
    expect(pieces.join('')).toBe(text);
    for (const piece of pieces.slice(0, -1)) expect(piece.endsWith('\u3000')).toBe(true);
  });

  it('widens the number prefix when there are ten or more pieces', () => {
    const text = 'x'.repeat(500);
    const pieces = splitText(text, 20);
    expect(pieces.length).toBeGreaterThanOrEqual(10);
    for (const piece of pieces) expect(piece.length).toBeLessThanOrEqual(20);
    expect(pieces.at(-1)).toMatch(new RegExp(`^\\(${pieces.length}/${pieces.length}\\) `));
    expect(unnumber(pieces)).toBe(text);
  });

  it('handles a megabyte of output quickly', () => {
    const text = 'some log line with words\n'.repeat(40_000);
    const started = performance.now();
    const pieces = splitText(text, 4_000);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(unnumber(pieces)).toBe(text);
  });

  it('refuses a limit that leaves no room', () => {
    expect(() => splitText('abcdefghijkl', 0)).toThrow(RangeError);
    expect(() => splitText('abcdefghijkl', 5)).toThrow(RangeError);
  });
});
