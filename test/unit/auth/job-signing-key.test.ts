import { chmodSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createJobSigner, generateSigningKeyText, loadJobSigningKey, SIGNING_KEY_FILE } from '../../../src/auth/job-signing-key.js';
import { ConfigError } from '../../../src/core/errors.js';
import { parseVerifyKey, verifyJobSignature } from '../../../src/core/job-signature.js';

const fields = { id: 'j1', agent: 'web-1', message: 'uptime', requester: 'api:ci', issuedAt: '2026-01-01T00:00:00.000Z', expiresAt: '2026-01-01T00:10:00.000Z' };

describe('the server job-signing key', () => {
  it('is generated once into the data directory (mode 0600) and read back the same afterwards', () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'skadi-key-')), 'data');
    const first = loadJobSigningKey({ signingKey: null, dataDir: dir });
    expect(first.from).toBe('generated');
    const path = join(dir, SIGNING_KEY_FILE);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    const again = loadJobSigningKey({ signingKey: null, dataDir: dir });
    expect(again.from).toBe('file');
    expect(createJobSigner(again.key).publicKey).toBe(createJobSigner(first.key).publicKey);
    chmodSync(path, 0o644);
    loadJobSigningKey({ signingKey: null, dataDir: dir });
    expect(statSync(path).mode & 0o777).toBe(0o600); // tightened again
  });

  it('comes from jobs.signingKey when set (shared by several servers), and signs what agents verify', () => {
    const seed = generateSigningKeyText();
    const a = createJobSigner(loadJobSigningKey({ signingKey: seed, dataDir: '/nonexistent' }).key);
    const b = createJobSigner(loadJobSigningKey({ signingKey: seed, dataDir: '/elsewhere' }).key);
    expect(a.publicKey).toBe(b.publicKey);
    expect(verifyJobSignature([parseVerifyKey(a.publicKey)], fields, b.sign(fields))).toBe(true);
  });

  it('refuses an unusable configured key naming jobs.signingKey, without the value', () => {
    let err: unknown;
    try {
      loadJobSigningKey({ signingKey: 'c2VjcmV0LWJ1dC1ub3QtYS1rZXk=', dataDir: '/x' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).key).toBe('jobs.signingKey');
    expect((err as ConfigError).message).not.toContain('c2VjcmV0');
  });
});
