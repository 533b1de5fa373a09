import { describe, expect, it } from 'vitest';
import { uidSet } from '../../../../adapters/email/mailbox-pass.js';

describe('email uidSet', () => {
  it('compresses runs of UIDs into IMAP ranges', () => {
    expect(uidSet([])).toBe('');
    expect(uidSet([4])).toBe('4');
    expect(uidSet([1, 2, 3, 5, 7, 8])).toBe('1:3,5,7:8');
  });
});
