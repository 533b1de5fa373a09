import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, linkSync, mkdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../core/errors.js';
import { parseSigningKey, publicKeyBase64, signJob, type SignedJobFields } from '../core/job-signature.js';

/** Signs jobs at creation; the agents verify with the public key. */
export interface JobSigner {
  sign(fields: SignedJobFields): string;
  /** Base64 of the raw 32-byte public key: the value agents pin as `serverPublicKey`. */
  readonly publicKey: string;
}

export interface SigningKeySource {
  key: KeyObject;
  /** `config` (jobs.signingKey / SKADI_JOB_SIGNING_KEY), or the key file in the data directory. */
  from: 'config' | 'file' | 'generated';
  path?: string;
}

/** Name of the generated key file in the data directory. */
export const SIGNING_KEY_FILE = 'job-signing-key';

/**
 * The server's job-signing key: `jobs.signingKey` when configured (every server process of one
 * installation must use the same one), else the key file in the data directory, generated once
 * (PKCS#8 PEM, mode 0600). The file is never in the database: a database dump must not carry
 * the key that makes jobs runnable.
 */
export function loadJobSigningKey(options: { signingKey: string | null; dataDir: string }): SigningKeySource {
  if (options.signingKey) {
    try {
      return { key: parseSigningKey(options.signingKey), from: 'config' };
    } catch (err) {
      throw new ConfigError('jobs.signingKey', `${(err as Error).message} (the value is not shown)`);
    }
  }
  const path = join(options.dataDir, SIGNING_KEY_FILE);
  if (existsSync(path)) {
    // Readable by others: tighten it rather than refuse, so a copied data directory still starts.
    if ((statSync(path).mode & 0o077) !== 0) chmodSync(path, 0o600);
    try {
      return { key: parseSigningKey(readFileSync(path, 'utf8')), from: 'file', path };
    } catch (err) {
      throw new ConfigError('jobs.signingKey', `the key file ${path} is unreadable: ${(err as Error).message}; restore it from a backup (agents pin its public key) or delete it to generate a new one`);
    }
  }
  mkdirSync(options.dataDir, { recursive: true });
  const { privateKey } = generateKeyPairSync('ed25519');
  // Written whole under a temporary name, then linked into place: a process starting at the
  // same moment on the same data directory either wins or reads the complete winner's key.
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  writeFileSync(tmp, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600, flag: 'wx' });
  try {
    linkSync(tmp, path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return loadJobSigningKey(options);
    throw err;
  } finally {
    unlinkSync(tmp);
  }
  return { key: privateKey, from: 'generated', path };
}

export function createJobSigner(key: KeyObject): JobSigner {
  return { sign: (fields) => signJob(key, fields), publicKey: publicKeyBase64(key) };
}

/** A new private key as base64 of its 32-byte seed: a value for `jobs.signingKey` / SKADI_JOB_SIGNING_KEY. */
export function generateSigningKeyText(): string {
  const { privateKey } = generateKeyPairSync('ed25519');
  const der = privateKey.export({ format: 'der', type: 'pkcs8' });
  return der.subarray(der.length - 32).toString('base64');
}
