import type { KeyObject } from 'node:crypto';
import type { JobAssignment } from '../core/agent-protocol.js';
import { ConfigError } from '../core/errors.js';
import { parseVerifyKey, verifyJobSignature } from '../core/job-signature.js';
import type { JobJournal } from './job-journal.js';

/**
 * What the agent trusts, from its own config (never from the server): the server's public key,
 * its own name, and whether unsigned jobs are acceptable at all.
 */
export interface JobGuardOptions {
  /** This agent's name as pinned in its config; a job signed for another agent is refused. */
  name: string | null;
  /** Base64 (raw 32 bytes) or PEM Ed25519 public keys; a job must verify against one of them. */
  serverPublicKeys: readonly string[];
  /** Run unsigned jobs (no key pinned). Must be set explicitly; cannot be combined with a key. */
  allowUnsignedJobs: boolean;
  /** Tolerated difference between the server's clock and this one (default 2 min). */
  clockSkewMs?: number;
}

export type Admission = { ok: true } | { ok: false; reason: string };

/** Decides, before anything is spawned, whether an assignment may run here. */
export interface JobGuard {
  readonly name: string | null;
  readonly signed: boolean;
  /** Checks signature, name, expiry and the journal, and records the job; a refusal says why. Never rejects. */
  admit(job: JobAssignment): Promise<Admission>;
}

/** The config problem with a trust setting, or null. Exported for the agent config loader. */
export function trustProblem(options: Pick<JobGuardOptions, 'name' | 'serverPublicKeys' | 'allowUnsignedJobs'>): ConfigError | null {
  const hasKey = options.serverPublicKeys.length > 0;
  if (!hasKey && !options.allowUnsignedJobs) {
    return new ConfigError(
      'serverPublicKey',
      'is required: pin the server\'s job-signing key (run `skadi keys show` on the server and copy the line it prints), ' +
        'or set `allowUnsignedJobs: true` to run jobs without verifying who created them (not recommended)',
    );
  }
  if (hasKey && options.allowUnsignedJobs) return new ConfigError('allowUnsignedJobs', 'cannot be true while serverPublicKey is set: with a key pinned, every job must be signed');
  if (hasKey && !options.name) return new ConfigError('name', 'is required with serverPublicKey: the agent\'s own name (as in `skadi agent add NAME`), so a job signed for another agent is refused');
  return null;
}

/** Fails closed: any doubt is a refusal, and a job is journaled before it is admitted. */
export function createJobGuard(options: JobGuardOptions, deps: { journal: JobJournal; now?: () => number }): JobGuard {
  const problem = trustProblem(options);
  if (problem) throw problem;
  const keys: KeyObject[] = options.serverPublicKeys.map((text, i) => {
    try {
      return parseVerifyKey(text);
    } catch (err) {
      throw new ConfigError(options.serverPublicKeys.length > 1 ? `serverPublicKey[${i}]` : 'serverPublicKey', (err as Error).message);
    }
  });
  const skew = options.clockSkewMs ?? 120_000;
  const now = deps.now ?? Date.now;
  const signed = keys.length > 0;

  const check = (job: JobAssignment): string | null => {
    if (signed) {
      if (typeof job.signature !== 'string' || job.signature === '') return 'refused: the job is not signed, and this agent runs only jobs signed by its server (serverPublicKey)';
      if (typeof job.issuedAt !== 'string') return 'refused: the job has no issue time to verify';
      const fields = { id: job.id, agent: options.name!, message: job.message, requester: job.requester, issuedAt: job.issuedAt, expiresAt: job.expiresAt };
      if (!verifyJobSignature(keys, fields, job.signature)) {
        return `refused: the job's signature does not verify for agent ${options.name} with the pinned server key (a forged or altered job, a job for another agent, or the server's key changed)`;
      }
    }
    const expires = Date.parse(job.expiresAt);
    if (!Number.isFinite(expires)) return 'refused: the job has no valid expiry time';
    const t = now();
    if (t > expires + skew) return `refused: the job expired at ${job.expiresAt}`;
    if (job.issuedAt !== undefined) {
      const issued = Date.parse(job.issuedAt);
      if (!Number.isFinite(issued)) return 'refused: the job has no valid issue time';
      if (issued > t + skew) return `refused: the job was issued in the future (${job.issuedAt}); check the clocks of the server and this agent`;
    }
    if (deps.journal.has(job.id)) return `refused: job ${job.id} already ran on this agent (a replayed job)`;
    return null;
  };

  return {
    name: options.name,
    signed,
    async admit(job) {
      const reason = check(job);
      if (reason) return { ok: false, reason };
      try {
        await deps.journal.record(job.id, Date.parse(job.expiresAt));
      } catch (err) {
        return { ok: false, reason: `refused: the job could not be recorded in the agent's journal (${(err as Error).message})` };
      }
      return { ok: true };
    },
  };
}
