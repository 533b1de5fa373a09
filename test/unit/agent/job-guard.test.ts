import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { JobAssignment } from '../../../src/core/agent-protocol.js';
import { ConfigError } from '../../../src/core/errors.js';
import { publicKeyBase64, signJob } from '../../../src/core/job-signature.js';
import { createJobGuard, type JobGuardOptions } from '../../../src/agent/job-guard.js';
import { memoryJobJournal, openJobJournal } from '../../../src/agent/job-journal.js';

const { privateKey } = generateKeyPairSync('ed25519');
const PUBLIC = publicKeyBase64(privateKey);
const NOW = Date.parse('2026-11-22T04:00:00.000Z');
let n = 0;

/** An assignment as the server hands it out, signed for `agent` unless `sign: false`. */
function job(overrides: Partial<JobAssignment> = {}, agent = 'web-1', sign = true): JobAssignment {
  const base: JobAssignment = {
    id: `job${++n}`,
    lease: 'lease-1',
    message: 'uptime',
    requester: 'slack:T1/U2',
    attempt: 1,
    issuedAt: new Date(NOW - 1000).toISOString(),
    expiresAt: new Date(NOW + 600_000).toISOString(),
    timeoutMs: 600_000,
    ackDeadline: new Date(NOW + 15_000).toISOString(),
    ...overrides,
  };
  if (!sign) return base;
  const signature = signJob(privateKey, { id: base.id, agent, message: base.message, requester: base.requester, issuedAt: base.issuedAt!, expiresAt: base.expiresAt });
  return { ...base, signature, ...('signature' in overrides ? { signature: overrides.signature } : {}) };
}

function guard(options: Partial<JobGuardOptions> = {}, journal = memoryJobJournal()) {
  return createJobGuard({ name: 'web-1', serverPublicKeys: [PUBLIC], allowUnsignedJobs: false, ...options }, { journal, now: () => NOW });
}

describe('job guard', () => {
  it('admits a job signed for this agent by the pinned key, once', async () => {
    const g = guard();
    const j = job();
    expect(await g.admit(j)).toEqual({ ok: true });
    expect(await g.admit({ ...j, lease: 'lease-2', attempt: 2 })).toEqual({ ok: false, reason: `refused: job ${j.id} already ran on this agent (a replayed job)` });
  });

  it('refuses unsigned, altered, misaddressed and foreign-key jobs with a reason', async () => {
    const g = guard();
    const cases: Array<[string, JobAssignment, RegExp]> = [
      ['unsigned', job({}, 'web-1', false), /not signed/],
      ['message altered', { ...job(), message: 'rm -rf /' }, /does not verify/],
      ['requester altered', { ...job(), requester: 'web:admin' }, /does not verify/],
      ['expiry extended', { ...job(), expiresAt: new Date(NOW + 86_400_000).toISOString() }, /does not verify/],
      ['id changed (a copied row)', { ...job(), id: 'other-id' }, /does not verify/],
      ['signed for another agent', job({}, 'db-1'), /does not verify for agent web-1/],
      ['no issue time', { ...job(), issuedAt: undefined }, /no issue time/],
      ['garbage signature', { ...job(), signature: 'AAAA' }, /does not verify/],
    ];
    for (const [what, j, reason] of cases) {
      const verdict = await g.admit(j);
      expect(verdict.ok, what).toBe(false);
      expect(verdict.ok ? '' : verdict.reason, what).toMatch(reason);
    }
    const other = createJobGuard({ name: 'web-1', serverPublicKeys: [publicKeyBase64(generateKeyPairSync('ed25519').privateKey)], allowUnsignedJobs: false }, { journal: memoryJobJournal(), now: () => NOW });
    expect((await other.admit(job())).ok).toBe(false);
  });

  it('refuses expired jobs and jobs from the future (beyond the clock-skew grace)', async () => {
    const g = guard({ clockSkewMs: 60_000 });
    expect(await g.admit(job({ expiresAt: new Date(NOW - 61_000).toISOString(), issuedAt: new Date(NOW - 700_000).toISOString() }))).toMatchObject({ ok: false, reason: expect.stringMatching(/expired/) });
    expect((await g.admit(job({ expiresAt: new Date(NOW - 30_000).toISOString(), issuedAt: new Date(NOW - 700_000).toISOString() }))).ok).toBe(true);
    expect(await g.admit(job({ issuedAt: new Date(NOW + 3_600_000).toISOString(), expiresAt: new Date(NOW + 4_000_000).toISOString() }))).toMatchObject({ ok: false, reason: expect.stringMatching(/future/) });
  });

  it('with allowUnsignedJobs and no key: runs unsigned jobs, still refuses replays and expired ones', async () => {
    const g = guard({ name: null, serverPublicKeys: [], allowUnsignedJobs: true });
    const j = job({}, 'web-1', false);
    expect(await g.admit(j)).toEqual({ ok: true });
    expect((await g.admit(j)).ok).toBe(false);
    expect((await g.admit(job({ expiresAt: new Date(NOW - 600_000).toISOString(), issuedAt: undefined }, 'x', false))).ok).toBe(false);
  });

  it('insists on an explicit choice: a pinned key (with the name) or allowUnsignedJobs', () => {
    const problem = (o: Partial<JobGuardOptions>) => {
      try {
        guard(o);
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as ConfigError).key;
      }
      return null;
    };
    expect(problem({ serverPublicKeys: [] })).toBe('serverPublicKey');
    expect(problem({ name: null })).toBe('name');
    expect(problem({ allowUnsignedJobs: true })).toBe('allowUnsignedJobs');
    expect(problem({ serverPublicKeys: ['not-a-key'] })).toBe('serverPublicKey');
    expect(problem({})).toBeNull();
  });

  it('fails closed when the journal cannot record the job', async () => {
    const journal = { ...memoryJobJournal(), record: () => Promise.reject(new Error('disk full')) };
    expect(await guard({}, journal).admit(job())).toEqual({ ok: false, reason: expect.stringMatching(/journal \(disk full\)/) });
  });
});

describe('job journal file', () => {
  const dir = () => mkdtempSync(join(tmpdir(), 'skadi-journal-'));

  it('survives a restart, so a job replayed after it is still refused', async () => {
    const path = join(dir(), 'agent.journal');
    const first = await openJobJournal(path, { now: () => NOW });
    await first.record('abc123', NOW + 600_000);
    await first.close();
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const again = await openJobJournal(path, { now: () => NOW + 1000 });
    expect(again.has('abc123')).toBe(true);
    const g = createJobGuard({ name: 'web-1', serverPublicKeys: [PUBLIC], allowUnsignedJobs: false }, { journal: again, now: () => NOW });
    expect((await g.admit(job({ id: 'abc123' }))).ok).toBe(false);
    await again.close();
  });

  it('forgets entries past their expiry (plus grace) and stays bounded', async () => {
    const path = join(dir(), 'agent.journal');
    writeFileSync(path, `old1 ${NOW - 3_600_000}\nfresh ${NOW + 60_000}\ngarbage line\n\n`);
    const j = await openJobJournal(path, { now: () => NOW, retainMs: 60_000, maxEntries: 3 });
    expect(j.has('old1')).toBe(false);
    expect(j.has('fresh')).toBe(true);
    expect(readFileSync(path, 'utf8')).toBe(`fresh ${NOW + 60_000}\n`);
    for (let i = 0; i < 10; i++) await j.record(`j${i}`, NOW + 1000 * i);
    expect(j.size()).toBe(3);
    expect(j.has('j9')).toBe(true);
    await expect(j.record('bad id with spaces', NOW)).rejects.toThrow(/cannot be journaled/);
    await j.close();
  });
});
