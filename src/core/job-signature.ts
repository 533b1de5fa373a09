import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

/**
 * Signed jobs. The server signs every job when it creates it (Ed25519 over a canonical JSON of
 * the fields below) and stores the signature on the job row; the reference agent verifies it
 * against a public key pinned in its own config. A job written into the database or pushed
 * through Redis by someone who does not hold the server's private key has no valid signature,
 * so a compromised database or Redis cannot make an agent run what no user asked for.
 */
export interface SignedJobFields {
  id: string;
  /** The agent the job is for: an agent refuses a job signed for another agent. */
  agent: string;
  message: string;
  /** Access-control identity of the requester (`slack:T1/U2`, `api:ci`, …). */
  requester: string;
  /** ISO instant the job was created (signed). */
  issuedAt: string;
  /** ISO instant after which the job is void. */
  expiresAt: string;
}

/**
 * JSON with object keys sorted (by UTF-16 code unit) at every level and no whitespace, so the
 * signer and the verifier serialise the same fields to the same bytes whatever their order.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const text = JSON.stringify(value);
    if (text === undefined) throw new TypeError(`canonicalJson: ${typeof value} has no JSON form`);
    return text;
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).filter((k) => obj[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
}

/** The bytes that are signed: exactly the six fields, nothing else. */
export function jobSigningPayload(fields: SignedJobFields): Buffer {
  const { id, agent, message, requester, issuedAt, expiresAt } = fields;
  return Buffer.from(canonicalJson({ id, agent, message, requester, issuedAt, expiresAt }), 'utf8');
}

/** Base64 Ed25519 signature of the job's fields. */
export function signJob(privateKey: KeyObject, fields: SignedJobFields): string {
  return sign(null, jobSigningPayload(fields), privateKey).toString('base64');
}

/** True when `signature` is a valid signature of `fields` by one of `publicKeys`. Never throws. */
export function verifyJobSignature(publicKeys: readonly KeyObject[], fields: SignedJobFields, signature: string): boolean {
  if (!/^[A-Za-z0-9+/]{86}==$/.test(signature)) return false;
  const sig = Buffer.from(signature, 'base64');
  let payload: Buffer;
  try {
    payload = jobSigningPayload(fields);
  } catch {
    return false;
  }
  return publicKeys.some((key) => {
    try {
      return verify(null, payload, key, sig);
    } catch {
      return false;
    }
  });
}

// DER prefixes of an Ed25519 PKCS#8 private key (seed follows) and SPKI public key (key follows).
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

function base64Bytes(text: string): Buffer | null {
  const t = text.trim();
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(t)) return null;
  return Buffer.from(t.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}

function requireEd25519(key: KeyObject, what: string): KeyObject {
  if (key.asymmetricKeyType !== 'ed25519') throw new Error(`${what} is a ${key.asymmetricKeyType ?? 'symmetric'} key; an Ed25519 key is required`);
  return key;
}

/**
 * An Ed25519 private key from a PEM (PKCS#8), or base64 of the 32-byte seed, or base64 of the
 * PKCS#8 DER. Throws with a sentence that never repeats the key text.
 */
export function parseSigningKey(text: string): KeyObject {
  const t = text.trim();
  try {
    if (t.startsWith('-----BEGIN')) return requireEd25519(createPrivateKey({ key: t, format: 'pem' }), 'the signing key');
    const bytes = base64Bytes(t);
    if (bytes?.length === 32) return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, bytes]), format: 'der', type: 'pkcs8' });
    if (bytes && bytes.length > 32) return requireEd25519(createPrivateKey({ key: bytes, format: 'der', type: 'pkcs8' }), 'the signing key');
  } catch (err) {
    throw new Error(`not a usable Ed25519 private key (${(err as Error).message.replace(/\s+/g, ' ').slice(0, 120)})`);
  }
  throw new Error('not an Ed25519 private key: expected a PEM (BEGIN PRIVATE KEY), or base64 of the 32-byte seed or of the PKCS#8 DER');
}

/**
 * An Ed25519 public key from base64 of the raw 32 bytes (what `skadi keys show` prints), or a
 * PEM (SPKI), or base64 of the SPKI DER.
 */
export function parseVerifyKey(text: string): KeyObject {
  const t = text.trim();
  try {
    if (t.startsWith('-----BEGIN')) return requireEd25519(createPublicKey({ key: t, format: 'pem' }), 'the public key');
    const bytes = base64Bytes(t);
    if (bytes?.length === 32) return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, bytes]), format: 'der', type: 'spki' });
    if (bytes && bytes.length > 32) return requireEd25519(createPublicKey({ key: bytes, format: 'der', type: 'spki' }), 'the public key');
  } catch (err) {
    throw new Error(`not a usable Ed25519 public key (${(err as Error).message.replace(/\s+/g, ' ').slice(0, 120)})`);
  }
  throw new Error('not an Ed25519 public key: expected base64 of 32 bytes (as `skadi keys show` prints it), or a PEM (BEGIN PUBLIC KEY)');
}

/** The public half of a key (private or public) as base64 of its raw 32 bytes: the form agents pin. */
export function publicKeyBase64(key: KeyObject): string {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  const der = pub.export({ format: 'der', type: 'spki' });
  return der.subarray(der.length - 32).toString('base64');
}
