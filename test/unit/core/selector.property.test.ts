import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SkadiError } from '../../../src/core/errors.js';
import { parseSelector, selectorMatches, SelectorError, type SelectorTerm } from '../../../src/core/selector.js';

const keyArb = fc.stringMatching(/^[a-z][a-z0-9_./-]{0,8}$/).filter((k) => k !== 'in' && k !== 'notin');
const valueArb = fc.stringMatching(/^[A-Za-z0-9_.:@-]{1,8}$/);
const nameArb = fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,10}$/);
const agentArb = fc.record({ name: nameArb, labels: fc.dictionary(keyArb, valueArb, { maxKeys: 4 }) });

/** Terms of the grammar, and how each is written. */
const termArb: fc.Arbitrary<[string, SelectorTerm['kind']]> = fc.oneof(
  nameArb.filter((n) => n !== 'in' && n !== 'notin').map((n): [string, SelectorTerm['kind']] => [n, 'name']),
  fc.tuple(nameArb, fc.constantFrom('*', '?')).map(([n, g]): [string, SelectorTerm['kind']] => [`${n}${g}`, 'name']),
  fc.tuple(keyArb, valueArb).map(([k, v]): [string, SelectorTerm['kind']] => [`${k}=${v}`, 'eq']),
  fc.tuple(keyArb, valueArb).map(([k, v]): [string, SelectorTerm['kind']] => [`${k} != ${v}`, 'neq']),
  fc.tuple(keyArb, fc.array(valueArb, { minLength: 1, maxLength: 3 })).map(([k, vs]): [string, SelectorTerm['kind']] => [`${k} in (${vs.join(', ')})`, 'in']),
  fc.tuple(keyArb, fc.array(valueArb, { minLength: 1, maxLength: 3 })).map(([k, vs]): [string, SelectorTerm['kind']] => [`${k} notin (${vs.join(',')})`, 'notin']),
  keyArb.map((k): [string, SelectorTerm['kind']] => [`!${k}`, 'absent']),
);

/** Mostly selector-shaped junk: the characters the grammar cares about, plus anything else. */
const junkArb = fc
  .array(fc.oneof(fc.constantFrom('=', '!', '!=', '==', ',', '(', ')', ' in ', ' notin ', '*', '?', ' ', 'role', 'web-1', '\u202e', '\u0000', '\n'), fc.string({ unit: 'binary', maxLength: 4 })), { maxLength: 25 })
  .map((parts) => parts.join(''));

describe('selector language: properties', () => {
  it('any input parses or fails with SelectorError (400 SKADI_BAD_REQUEST, a position inside the text and a hint), never anything else', () => {
    fc.assert(
      fc.property(fc.oneof(junkArb, fc.string({ unit: 'binary', maxLength: 40 })), agentArb, (source, agent) => {
        let selector;
        try {
          selector = parseSelector(source);
        } catch (err) {
          expect(err).toBeInstanceOf(SelectorError);
          const e = err as SelectorError;
          expect(e).toBeInstanceOf(SkadiError);
          expect(e.code).toBe('SKADI_BAD_REQUEST');
          expect(e.status).toBe(400);
          expect(e.position).toBeGreaterThanOrEqual(0);
          expect(e.position).toBeLessThanOrEqual(Math.max(source.length, 1000));
          return;
        }
        expect(typeof selectorMatches(selector, agent)).toBe('boolean');
      }),
      { numRuns: 3000 },
    );
  });

  it('every well-formed selector parses into its terms, in order', () => {
    fc.assert(
      fc.property(fc.array(termArb, { minLength: 1, maxLength: 5 }), (terms) => {
        const parsed = parseSelector(terms.map(([text]) => text).join(', '));
        expect(parsed.terms.map((t) => t.kind)).toEqual(terms.map(([, kind]) => kind));
      }),
      { numRuns: 1000 },
    );
  });

  it('comma means and: a selector matches exactly when each of its terms matches', () => {
    fc.assert(
      fc.property(fc.array(termArb, { minLength: 1, maxLength: 4 }), agentArb, (terms, agent) => {
        const whole = selectorMatches(parseSelector(terms.map(([t]) => t).join(',')), agent);
        expect(whole).toBe(terms.every(([t]) => selectorMatches(parseSelector(t), agent)));
      }),
      { numRuns: 1000 },
    );
  });

  it('a hostile glob matches in linear time (no regular-expression backtracking)', () => {
    const t0 = performance.now();
    const sel = parseSelector(`${'*a'.repeat(300)}*b`);
    for (let i = 0; i < 50; i++) selectorMatches(sel, { name: 'a'.repeat(63), labels: {} });
    expect(performance.now() - t0).toBeLessThan(500);
    expect(() => parseSelector('x'.repeat(5000))).toThrow(SelectorError);
  });
});
