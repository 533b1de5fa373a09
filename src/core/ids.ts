import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'; // Crockford base32, lower case: easy to type in chat

/** Random id of `length` base32 characters (5 bits each). */
export function randomId(length = 10): string {
  const bytes = randomBytes(length);
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHABET[bytes[i]! & 31];
  return out;
}

/** Job ids: short enough to type in `status <job>`, 60 random bits. */
export function newJobId(): string {
  return randomId(12);
}
