import { describe, expect, it } from 'vitest';
import { errorSentence, isUserError } from '../../../src/chat/error-sentences.js';
import { ERROR_CODES, NotFoundError, SkadiError, type ErrorCode } from '../../../src/core/index.js';

describe('error sentences', () => {
  it('has a sentence for every error code', () => {
    for (const code of Object.keys(ERROR_CODES) as ErrorCode[]) {
      const sentence = errorSentence(new SkadiError(code, 'detail'));
      expect(sentence.length).toBeGreaterThan(20);
      expect(sentence).toMatch(/[.?!]$/);
    }
  });

  it('tells the user what to do', () => {
    expect(errorSentence(new NotFoundError('SKADI_AGENT_NOT_FOUND', 'no agent named x'))).toContain('say "agents"');
    expect(errorSentence(new SkadiError('SKADI_UNAVAILABLE', 'db down'))).toContain('try again in a minute');
  });

  it('hides unexpected errors behind a reference', () => {
    const sentence = errorSentence(new TypeError('secret internals'), 'ref123');
    expect(sentence).not.toContain('secret');
    expect(sentence).toContain('(reference ref123)');
    expect(isUserError(new TypeError('x'))).toBe(false);
    expect(isUserError(new SkadiError('SKADI_FORBIDDEN', 'x'))).toBe(true);
    expect(isUserError(new SkadiError('SKADI_UNAVAILABLE', 'x'))).toBe(false);
  });
});
