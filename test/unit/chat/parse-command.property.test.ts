import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../../src/chat/parse-command.js';
import { tokenize } from '../../../src/chat/tokenize.js';

const COMMANDS = new Set(['help', 'status', 'jobs', 'cancel', 'rerun', 'agents']);
const options = { isCommand: (w: string) => COMMANDS.has(w) };

/** Text as chat users (and attackers) type it: quotes of every kind, escapes, spaces, control and bidi characters, emoji. */
const chatText = fc
  .array(
    fc.oneof(
      fc.constantFrom('"', "'", '\u201c', '\u201d', '\u201e', '\u2018', '\u2019', '\u00ab', '\u00bb', '\\', ' ', '\t', '\n', '\u3000', '\u00a0', '\u202e', '\u2066', '\u200b', '\u0000', '\u001b[31m', 'help', 'status', 'web-1', '👨‍👩‍👧', 'ｌｏｃａｌ', '\ud800'),
      fc.string({ unit: 'binary', maxLength: 6 }),
    ),
    { maxLength: 40 },
  )
  .map((parts) => parts.join(''));

describe('command parser: properties', () => {
  it('never throws, and always answers one of the five kinds', () => {
    fc.assert(
      fc.property(chatText, (text) => {
        const parsed = parseCommand(text, options);
        expect(['empty', 'command', 'agent', 'fanout', 'error']).toContain(parsed.kind);
        // A fan-out's selector is the start of the text, as typed.
        if (parsed.kind === 'fanout') expect(text.trimStart().startsWith(parsed.selector)).toBe(true);
        if (parsed.kind === 'error') expect(parsed.message.length).toBeGreaterThan(0);
        if (parsed.kind === 'command') expect(COMMANDS.has(parsed.word)).toBe(true);
        // A quoted empty first word ("") is an agent named "": the dispatcher answers that no such agent exists.
        if (parsed.kind === 'agent') expect(parsed.agent.length > 0 || /^\s*\S\S/u.test(text)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('tokens lie inside the text, in order, and never overlap', () => {
    fc.assert(
      fc.property(chatText, (text) => {
        const result = tokenize(text);
        if (!result.ok) {
          expect(result.at).toBeGreaterThanOrEqual(0);
          expect(result.at).toBeLessThan(text.length);
          return;
        }
        let last = 0;
        for (const t of result.tokens) {
          expect(t.start).toBeGreaterThanOrEqual(last);
          expect(t.end).toBeGreaterThanOrEqual(t.start + (t.quoted ? 2 : 1));
          expect(t.end).toBeLessThanOrEqual(text.length);
          last = t.end;
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('words quoted back with escapes tokenize to the same words (round trip)', () => {
    const quote = (w: string) => `"${w.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary', maxLength: 12 }), { maxLength: 8 }), (words) => {
        const result = tokenize(words.map(quote).join(' '));
        expect(result.ok).toBe(true);
        if (result.ok) expect(result.tokens.map((t) => t.value)).toEqual(words);
      }),
      { numRuns: 2000 },
    );
  });

  it('refuses a megabyte message at once, and parses hostile text of the full length in linear time', () => {
    const huge = 'x'.repeat(1024 * 1024);
    const t0 = performance.now();
    expect(parseCommand(huge, options)).toMatchObject({ kind: 'error', error: 'too-long' });
    for (const hostile of ['"'.repeat(3999), '\\"'.repeat(1999), `a ${'"\\'.repeat(1999)}`, '\u201c'.repeat(3999), ' '.repeat(3999), `${'\u202e'.repeat(1000)}web-1 ${'\u0000'.repeat(2000)}`]) {
      parseCommand(hostile, options);
    }
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});
