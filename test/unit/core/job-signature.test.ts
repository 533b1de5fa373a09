import { generateKeyPairSync } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, jobSigningPayload, parseSigningKey, parseVerifyKey, publicKeyBase64, signJob, verifyJobSignature, type SignedJobFields } from '../../../src/core/job-signature.js';
import { generateSigningKeyText } from '../../../src/auth/job-signing-key.js';

const fields: SignedJobFields = {
  id: 'k3f9x2ab7q4m',
  agent: 'web-1',
  message: 'deploy v2 "now" — ✓',
  requester: 'slack:T1/U2',
  issuedAt: '2026-11-22T04:00:00.000Z',
  expiresAt: '2026-11-22T04:10:00.000Z',
};

describe('canonical JSON', () => {
  it('sorts keys at every level and has no whitespace', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: 'x y' } })).toBe('{"a":{"c":"x y","d":[1,{"y":2,"z":1}]},"b":1}');
  });

  it('is the same whatever order the keys were written in', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null))), (obj) => {
        const reversed = Object.fromEntries(Object.entries(obj).reverse());
        expect(canonicalJson(reversed)).toBe(canonicalJson(obj));
        expect(JSON.parse(canonicalJson(obj))).toEqual(obj);
      }),
    );
  });

  it('signs exactly the six fields, in key order', () => {
    const payload = jobSigningPayload({ ...fields, extra: 'ignored' } as SignedJobFields).toString('utf8');
    expect(payload).toBe(`{"agent":"web-1","expiresAt":"2026-11-22T04:10:00.000Z","id":"k3f9x2ab7q4m","issuedAt":"2026-11-22T04:00:00.000Z","message":"deploy v2 \\"now\\" — ✓","requester":"slack:T1/U2"}`);
  });
});

describe('job signatures', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');

  it('verify for the signed fields and fail for any change of any field', () => {
    const sig = signJob(privateKey, fields);
    expect(sig).toMatch(/^[A-Za-z0-9+/]{86}==$/);
    expect(verifyJobSignature([publicKey], fields, sig)).toBe(true);
    for (const key of Object.keys(fields) as Array<keyof SignedJobFields>) {
      expect(verifyJobSignature([publicKey], { ...fields, [key]: `${fields[key]}x` }, sig), key).toBe(false);
    }
  });

  it('fail for another key, a mangled signature or garbage, without throwing', () => {
    const sig = signJob(privateKey, fields);
    const other = generateKeyPairSync('ed25519').publicKey;
    expect(verifyJobSignature([other], fields, sig)).toBe(false);
    expect(verifyJobSignature([other, publicKey], fields, sig)).toBe(true); // rotation: any pinned key
    const flipped = Buffer.from(sig, 'base64');
    flipped[5]! ^= 1;
    expect(verifyJobSignature([publicKey], fields, flipped.toString('base64'))).toBe(false);
    fc.assert(fc.property(fc.string(), (junk) => verifyJobSignature([publicKey], fields, junk) === false));
  });

  it('read keys in every documented form and agree on the public key', () => {
    const seed = generateSigningKeyText();
    const fromSeed = parseSigningKey(seed);
    const pem = fromSeed.export({ format: 'pem', type: 'pkcs8' }).toString();
    const der = fromSeed.export({ format: 'der', type: 'pkcs8' }).toString('base64');
    const pub = publicKeyBase64(fromSeed);
    expect(Buffer.from(pub, 'base64')).toHaveLength(32);
    expect(publicKeyBase64(parseSigningKey(pem))).toBe(pub);
    expect(publicKeyBase64(parseSigningKey(der))).toBe(pub);
    const verifyKey = parseVerifyKey(pub);
    expect(publicKeyBase64(parseVerifyKey(verifyKey.export({ format: 'pem', type: 'spki' }).toString()))).toBe(pub);
    expect(verifyJobSignature([verifyKey], fields, signJob(fromSeed, fields))).toBe(true);
  });

  it('refuse keys that are not Ed25519, never echoing them', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const rsaPem = rsa.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    expect(() => parseSigningKey(rsaPem)).toThrow(/Ed25519/);
    expect(() => parseVerifyKey(rsa.publicKey.export({ format: 'pem', type: 'spki' }).toString())).toThrow(/Ed25519/);
    for (const bad of ['', 'not a key', 'c2hvcnQ=', 'hunter2-secret-value']) {
      let message = '';
      try {
        parseSigningKey(bad);
      } catch (err) {
        message = (err as Error).message;
      }
      expect(message).toMatch(/Ed25519/);
      if (bad) expect(message).not.toContain(bad);
    }
  });
});
