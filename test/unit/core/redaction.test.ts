import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileRedactions, createStreamRedactor, redactionHoldback, REDACTED, type RedactionRule } from '../../../src/core/redaction.js';

describe('redaction', () => {
  it('replaces literals (longest first) and regex matches, merging overlaps', () => {
    const r = compileRedactions(['hunter2', 'hunter2-prod', { regex: 'AKIA[0-9A-Z]{16}' }, { regex: 'token=\\w+', flags: 'i' }]);
    expect(r.redact('pw hunter2-prod and hunter2; key AKIAABCDEFGHIJKLMNOP; TOKEN=abc123 end')).toBe(`pw ${REDACTED} and ${REDACTED}; key ${REDACTED}; ${REDACTED} end`);
    expect(r.redact('nothing here')).toBe('nothing here');
    expect(compileRedactions([]).redact('hunter2')).toBe('hunter2');
  });

  it('refuses rules that would shred every output, naming the index but never the secret', () => {
    expect(() => compileRedactions(['abc'])).toThrow(/^\[0\]: .*at least 4/);
    expect(() => compileRedactions(['long-enough', { regex: '.*' }])).toThrow(/^\[1\]\.regex: matches the empty string/);
    expect(() => compileRedactions([{ regex: 'x', flags: 'g' }])).toThrow(/flags/);
    expect(() => compileRedactions([{ regex: '(' }])).toThrow(/^\[0\]\.regex/);
    expect(() => compileRedactions([42 as unknown as RedactionRule])).toThrow(/^\[0\]/);
  });

  it('redacts a stream cut anywhere exactly as it redacts the whole text', () => {
    const secrets = ['hunter2!', 's3cr3t-value', 'ab12'];
    const rules: RedactionRule[] = [...secrets, { regex: 'AKIA[0-9A-Z]{8}' }];
    const redactor = compileRedactions(rules);
    const piece = fc.oneof(fc.constantFrom(...secrets, 'AKIAABCDEFGH', 'hunter', 's3cr', 'AKIA'), fc.string({ maxLength: 8 }));
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 30 }), fc.array(fc.nat(), { maxLength: 12 }), (pieces, cuts) => {
        const text = pieces.join('');
        const points = [...new Set(cuts.map((c) => (text.length ? c % text.length : 0)))].sort((a, b) => a - b);
        const chunks: string[] = [];
        let at = 0;
        for (const p of points) {
          chunks.push(text.slice(at, p));
          at = p;
        }
        chunks.push(text.slice(at));
        const stream = createStreamRedactor(redactor, redactionHoldback(rules, 32));
        const out = chunks.map((c) => stream.push(c)).join('') + stream.flush();
        expect(out).toBe(redactor.redact(text));
        for (const s of secrets) expect(out).not.toContain(s);
      }),
      { numRuns: 500 },
    );
  });

  it('does not buffer without end when a pattern match keeps growing', () => {
    const rules: RedactionRule[] = [{ regex: 'token=\\S+' }];
    const stream = createStreamRedactor(compileRedactions(rules), redactionHoldback(rules));
    let out = stream.push('token=');
    for (let i = 0; i < 20; i++) out += stream.push('x'.repeat(10_000));
    // Streamed on (not held back whole), with the secret's start redacted.
    expect(out.startsWith(REDACTED)).toBe(true);
    expect(out.length).toBeGreaterThan(100_000);
    out += stream.flush();
  });
});
