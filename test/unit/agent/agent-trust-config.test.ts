import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/core/errors.js';
import { publicKeyBase64 } from '../../../src/core/job-signature.js';
import { parseAgentConfig } from '../../../src/agent/agent-config.js';
import { journalPath, openJobGuard } from '../../../src/agent/open-job-guard.js';

const key = generateKeyPairSync('ed25519');
const PUB = publicKeyBase64(key.privateKey);
const PEM = key.publicKey.export({ format: 'pem', type: 'spki' }).toString();
const HANDLERS = 'handlers:\n  uptime: { argv: [uptime] }\n';

async function configError(fn: () => unknown): Promise<ConfigError> {
  try {
    await fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('agent config: trust settings', () => {
  it('reads name, one or several public keys (base64 or PEM), journal and redact', () => {
    const c = parseAgentConfig(`name: web-1\nserverPublicKey: [${PUB}, ${JSON.stringify(PEM)}]\njournal: state/jobs.journal\nredact: [hunter2x, { regex: "AKIA[0-9A-Z]{16}", flags: i }]\n${HANDLERS}`);
    expect(c.name).toBe('web-1');
    expect(c.serverPublicKeys).toEqual([PUB, PUB]);
    expect(c.allowUnsignedJobs).toBe(false);
    expect(c.journal).toBe('state/jobs.journal');
    expect(c.redact).toEqual(['hunter2x', { regex: 'AKIA[0-9A-Z]{16}', flags: 'i' }]);
    expect(journalPath(c, '/etc/skadi/agent.yaml')).toBe('/etc/skadi/state/jobs.journal');
    expect(journalPath({ journal: null }, '/etc/skadi/agent.yaml')).toBe('/etc/skadi/agent.journal');
  });

  it.each([
    [`serverPublicKey: nope\n`, 'serverPublicKey', /Ed25519 public key/],
    [`serverPublicKey: [${PUB}, 42]\n`, 'serverPublicKey[1]', /public key/],
    [`name: Web_1!\n`, 'name', /agent name/],
    [`allowUnsignedJobs: "yes"\n`, 'allowUnsignedJobs', /true or false/],
    [`redact: [ab]\n`, 'redact[0]', /at least 4/],
    [`redact: [{ regex: "x*" }]\n`, 'redact[0].regex', /empty string/],
    [`redact: [{ regex: "(" }]\n`, 'redact[0].regex', /Invalid regular expression|Unterminated/],
    [`redact: hunter2\n`, 'redact', /list of secrets/],
  ])('rejects %j naming %s', async (yaml, keyName, message) => {
    const err = await configError(() => parseAgentConfig(yaml + HANDLERS));
    expect(err.key).toBe(keyName);
    expect(err.message).toMatch(message);
  });

  it('starts only with an explicit choice: a pinned key with the name, or allowUnsignedJobs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'skadi-trust-'));
    const at = join(dir, 'agent.yaml');
    expect((await configError(() => openJobGuard(parseAgentConfig(HANDLERS), at))).key).toBe('serverPublicKey');
    expect((await configError(() => openJobGuard(parseAgentConfig(`serverPublicKey: ${PUB}\n${HANDLERS}`), at))).key).toBe('name');
    expect((await configError(() => openJobGuard(parseAgentConfig(`name: a\nserverPublicKey: ${PUB}\nallowUnsignedJobs: true\n${HANDLERS}`), at))).key).toBe('allowUnsignedJobs');
    const { guard, journal, path } = await openJobGuard(parseAgentConfig(`name: web-1\nserverPublicKey: ${PUB}\n${HANDLERS}`), at);
    expect(guard.signed).toBe(true);
    expect(path).toBe(join(dir, 'agent.journal'));
    await journal.close();
    const unsigned = await openJobGuard(parseAgentConfig(`allowUnsignedJobs: true\n${HANDLERS}`), at);
    expect(unsigned.guard.signed).toBe(false);
    await unsigned.journal.close();
  });

  it('names the journal key when the journal cannot be written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'skadi-trust-'));
    writeFileSync(join(dir, 'a-file'), '');
    // A path below a regular file cannot be created, not even by root.
    const err = await configError(() => openJobGuard(parseAgentConfig(`allowUnsignedJobs: true\njournal: a-file/jobs.journal\n${HANDLERS}`), join(dir, 'agent.yaml')));
    expect(err.key).toBe('journal');
    expect(err.message).toMatch(/cannot write the job journal/);
  });
});
