import { describe, expect, it } from 'vitest';
import { SkadiError } from '../../src/core/index.js';
import type { EventJobStatusPayload, TransitionRequest } from '../../src/core/index.js';
import { at, drainOutbox, FAR_FUTURE, newJob, T0, uid, type StoresContext } from './stores-fixtures.js';

const CLAIM = at(5_000);

/** JobStore: creation, reads, compare-and-set transitions and their outbox events. */
export function jobStoreContract(ctx: StoresContext): void {
  const jobs = () => ctx.stores().jobs;

  async function queued(agent = uid('a'), overrides = {}) {
    return (await jobs().create(newJob(agent, overrides), CLAIM)).job;
  }

  describe('JobStore: create and read', () => {
    it('creates version 1 with its first event (from null) and reads every field back exactly', async () => {
      const signature = `${'A'.repeat(86)}==`;
      const input = newJob(uid('web'), { message: 'déploie 🚀 — ok', parentId: 'parent123456', signature });
      const { job, event } = await jobs().create(input, CLAIM);
      expect(job).toMatchObject({ id: input.id, state: 'queuing', version: 1, attempt: 1, leaseId: null, output: null, outputTruncated: false });
      expect(event).toEqual({
        id: `${input.id}:1`,
        name: 'EventJobStatus',
        createdAt: T0,
        payload: { jobId: input.id, agent: input.agent, from: null, to: 'queuing', reason: null, at: T0.toISOString(), version: 1, attempt: 1, platform: 'slack', parentId: 'parent123456' },
      });
      const read = await jobs().get(input.id);
      expect(read).toEqual(job);
      expect(read).toEqual({
        id: input.id,
        agent: input.agent,
        message: 'déploie 🚀 — ok',
        requester: { identity: 'slack:T1/U2', displayName: 'Alice' },
        thread: input.thread,
        state: 'queuing',
        reason: null,
        version: 1,
        attempt: 1,
        leaseId: null,
        ackDeadline: null,
        expiresAt: input.expiresAt,
        timeoutMs: 600_000,
        exitCode: null,
        output: null,
        outputTruncated: false,
        parentId: 'parent123456',
        signature,
        createdAt: T0,
        sentAt: null,
        runningAt: null,
        finishedAt: null,
        updatedAt: T0,
      });
      expect(read!.createdAt.getTime()).toBe(T0.getTime()); // milliseconds survive
    });

    it('stores a job created expired (agent offline) as finished, with its reason in the event', async () => {
      const input = newJob(uid('off'), { state: 'expired', reason: 'agent-offline', thread: null, requester: { identity: 'api:ci' } });
      const { job, event } = await jobs().create(input, CLAIM);
      expect(job).toMatchObject({ state: 'expired', reason: 'agent-offline', finishedAt: T0, thread: null, requester: { identity: 'api:ci' } });
      expect(event.payload).toMatchObject({ from: null, to: 'expired', reason: 'agent-offline', platform: null });
      expect(await jobs().get(input.id)).toEqual(job);
    });

    it('returns null for an unknown job', async () => {
      expect(await jobs().get('nosuchjob000')).toBeNull();
    });

    it('finds a job by idempotency key within its scope; keys are case-sensitive', async () => {
      const scope = uid('api:ci');
      const first = await jobs().create(newJob(uid('a'), { idempotency: { scope, key: 'Deploy-1', fingerprint: 'f1' } }), CLAIM);
      const found = await jobs().findByIdempotencyKey(scope, 'Deploy-1');
      expect(found).toEqual({ job: first.job, fingerprint: 'f1' });
      expect(await jobs().findByIdempotencyKey(scope, 'deploy-1')).toBeNull();
      expect(await jobs().findByIdempotencyKey(`${scope}x`, 'Deploy-1')).toBeNull();
      // Another key differing only in case is another request.
      await jobs().create(newJob(uid('a'), { idempotency: { scope, key: 'deploy-1', fingerprint: 'f2' } }), CLAIM);
      expect((await jobs().findByIdempotencyKey(scope, 'deploy-1'))?.fingerprint).toBe('f2');
    });

    it('refuses a second job with the same idempotency key, naming the first', async () => {
      const scope = uid('api:ci');
      const first = await jobs().create(newJob(uid('a'), { idempotency: { scope, key: 'k', fingerprint: 'same' } }), CLAIM);
      const again = jobs().create(newJob(uid('a'), { idempotency: { scope, key: 'k', fingerprint: 'same' } }), CLAIM);
      await expect(again).rejects.toBeInstanceOf(SkadiError);
      await expect(again).rejects.toMatchObject({ code: 'SKADI_IDEMPOTENCY_CONFLICT', details: { jobId: first.job.id, sameRequest: true } });
      const different = jobs().create(newJob(uid('a'), { idempotency: { scope, key: 'k', fingerprint: 'other' } }), CLAIM);
      await expect(different).rejects.toMatchObject({ code: 'SKADI_IDEMPOTENCY_CONFLICT', details: { sameRequest: false } });
    });

    it('lists newest first with filters and paging', async () => {
      const agent = uid('lst');
      const requester = { identity: uid('web:bob') };
      const made = [];
      for (let i = 0; i < 5; i++) made.push(await queued(agent, { createdAt: at(i * 1000), requester, parentId: i % 2 ? 'p1' : null }));
      const ids = (list: { id: string }[]) => list.map((j) => j.id);
      expect(ids(await jobs().list({ agent, limit: 10 }))).toEqual(ids([...made].reverse()));
      expect(ids(await jobs().list({ agent, limit: 2 }))).toEqual([made[4]!.id, made[3]!.id]);
      expect(ids(await jobs().list({ agent, before: at(3000), limit: 10 }))).toEqual([made[2]!.id, made[1]!.id, made[0]!.id]);
      expect(ids(await jobs().list({ requester: requester.identity, limit: 10 }))).toHaveLength(5);
      expect(ids(await jobs().list({ agent, parentId: 'p1', limit: 10 }))).toEqual([made[3]!.id, made[1]!.id]);
      await jobs().transition({ jobId: made[0]!.id, from: ['queuing'], to: 'cancelled', at: at(9000) }, CLAIM);
      expect(ids(await jobs().list({ agent, states: ['cancelled'], limit: 10 }))).toEqual([made[0]!.id]);
      expect(await jobs().list({ agent, states: [], limit: 10 })).toEqual([]);
    });

    it('counts jobs by state', async () => {
      const before = await jobs().countByState();
      const job = await queued();
      await queued();
      await jobs().transition({ jobId: job.id, from: ['queuing'], to: 'cancelled', at: at(1) }, CLAIM);
      const after = await jobs().countByState();
      expect((after.queuing ?? 0) - (before.queuing ?? 0)).toBe(1);
      expect((after.cancelled ?? 0) - (before.cancelled ?? 0)).toBe(1);
    });
  });

  describe('JobStore: transitions (compare-and-set)', () => {
    it('moves queuing -> sent under a lease, bumps the version and returns the event', async () => {
      const job = await queued();
      const r = await jobs().transition(
        { jobId: job.id, from: ['queuing'], to: 'sent', expectLeaseId: null, patch: { leaseId: 'L1', ackDeadline: at(30_000) }, at: at(1_000) },
        CLAIM,
      );
      expect(r).not.toBeNull();
      expect(r!.job).toMatchObject({ state: 'sent', version: 2, leaseId: 'L1', ackDeadline: at(30_000), sentAt: at(1_000), updatedAt: at(1_000) });
      expect(r!.event).toEqual({
        id: `${job.id}:2`,
        name: 'EventJobStatus',
        createdAt: at(1_000),
        payload: { jobId: job.id, agent: job.agent, from: 'queuing', to: 'sent', reason: null, at: at(1_000).toISOString(), version: 2, attempt: 1, platform: 'slack' } satisfies EventJobStatusPayload,
      });
      expect(await jobs().get(job.id)).toEqual(r!.job);
    });

    it('returns null and changes nothing when the state does not match', async () => {
      const job = await queued();
      expect(await jobs().transition({ jobId: job.id, from: ['running'], to: 'succeeded', at: at(1) }, CLAIM)).toBeNull();
      expect(await jobs().get(job.id)).toEqual(job);
    });

    it('returns null for an unknown job', async () => {
      expect(await jobs().transition({ jobId: 'nosuchjob000', from: ['queuing'], to: 'cancelled', at: at(1) }, CLAIM)).toBeNull();
    });

    it('checks the lease and the agent: wrong lease, expected-none or another agent fail; the right ones pass', async () => {
      const job = await queued();
      await jobs().transition({ jobId: job.id, from: ['queuing'], to: 'sent', patch: { leaseId: 'L-right' }, at: at(1) }, CLAIM);
      const ack = (lease: string | null): TransitionRequest => ({ jobId: job.id, from: ['sent'], to: 'running', expectLeaseId: lease, at: at(2) });
      expect(await jobs().transition(ack('L-wrong'), CLAIM)).toBeNull();
      expect(await jobs().transition(ack(null), CLAIM)).toBeNull();
      expect(await jobs().transition({ ...ack('L-right'), expectAgent: `${job.agent}x` }, CLAIM)).toBeNull();
      expect((await jobs().get(job.id))!.version).toBe(2);
      const ok = await jobs().transition({ ...ack('L-right'), expectAgent: job.agent }, CLAIM);
      expect(ok!.job).toMatchObject({ state: 'running', version: 3, runningAt: at(2), leaseId: 'L-right' });
      expect(ok!.event.payload.from).toBe('sent');
    });

    it('refuses a transition the state machine never allows', async () => {
      const job = await queued();
      const bad = jobs().transition({ jobId: job.id, from: ['succeeded'], to: 'running', at: at(1) }, CLAIM);
      await expect(bad).rejects.toMatchObject({ code: 'SKADI_INVALID_TRANSITION' });
    });

    it('runs a whole life: output collected in seq order, exit code, timestamps, version per step', async () => {
      const job = await queued();
      await jobs().transition({ jobId: job.id, from: ['queuing'], to: 'sent', patch: { leaseId: 'L', ackDeadline: at(100) }, at: at(10) }, CLAIM);
      await jobs().transition({ jobId: job.id, from: ['sent'], to: 'running', expectLeaseId: 'L', patch: { ackDeadline: null }, at: at(20) }, CLAIM);
      expect(await jobs().appendOutput(job.id, 2, 'three\n')).toBe(true);
      expect(await jobs().appendOutput(job.id, 0, 'one\n')).toBe(true);
      expect(await jobs().appendOutput(job.id, 1, 'två 🚀\n')).toBe(true);
      const done = await jobs().transition(
        { jobId: job.id, from: ['running'], to: 'failed', expectLeaseId: 'L', reason: 'exit-code', patch: { exitCode: 3, collectOutput: true, outputTruncated: true }, at: at(30) },
        CLAIM,
      );
      expect(done!.job).toMatchObject({
        state: 'failed',
        reason: 'exit-code',
        version: 4,
        exitCode: 3,
        output: 'one\ntvå 🚀\nthree\n',
        outputTruncated: true,
        ackDeadline: null,
        sentAt: at(10),
        runningAt: at(20),
        finishedAt: at(30),
        updatedAt: at(30),
      });
      expect(done!.event.payload).toMatchObject({ from: 'running', to: 'failed', reason: 'exit-code', version: 4 });
      expect(await jobs().get(job.id)).toEqual(done!.job);
      // Finished is final.
      expect(await jobs().transition({ jobId: job.id, from: ['running'], to: 'cancelled', at: at(40) }, CLAIM)).toBeNull();
    });

    it('redelivers: sent -> queuing drops the lease, counts the attempt, clears the reason on the next move', async () => {
      const job = await queued();
      await jobs().transition({ jobId: job.id, from: ['queuing'], to: 'sent', patch: { leaseId: 'L1', ackDeadline: at(5) }, at: at(1) }, CLAIM);
      const back = await jobs().transition(
        { jobId: job.id, from: ['sent'], to: 'queuing', reason: 'ack-timeout', patch: { leaseId: null, ackDeadline: null, incrementAttempt: true }, at: at(6) },
        CLAIM,
      );
      expect(back!.job).toMatchObject({ state: 'queuing', attempt: 2, leaseId: null, ackDeadline: null, reason: 'ack-timeout', version: 3 });
      expect(back!.event.payload).toMatchObject({ attempt: 2, reason: 'ack-timeout', from: 'sent', to: 'queuing' });
      const again = await jobs().transition({ jobId: job.id, from: ['queuing'], to: 'sent', patch: { leaseId: 'L2' }, at: at(7) }, CLAIM);
      expect(again!.job).toMatchObject({ reason: null, attempt: 2, leaseId: 'L2', sentAt: at(7) });
    });

    it('lets exactly one of many concurrent transitions of one job win, across two connections', async () => {
      const other = await ctx.open();
      try {
        const job = await queued();
        const attempts = Array.from({ length: 12 }, (_, i) =>
          (i % 2 ? other : ctx.stores()).jobs.transition({ jobId: job.id, from: ['queuing'], to: i % 3 ? 'cancelled' : 'expired', at: at(i) }, CLAIM),
        );
        const results = await Promise.all(attempts);
        expect(results.filter((r) => r !== null)).toHaveLength(1);
        expect((await jobs().get(job.id))!.version).toBe(2);
      } finally {
        await other.close();
      }
    });

    it('writes one outbox row per change, equal to the returned events', async () => {
      await drainOutbox(ctx.stores());
      const created = await jobs().create(newJob(uid('ob')), CLAIM);
      const sent = await jobs().transition({ jobId: created.job.id, from: ['queuing'], to: 'sent', patch: { leaseId: 'L' }, at: at(1) }, CLAIM);
      expect(await jobs().transition({ jobId: created.job.id, from: ['queuing'], to: 'sent', at: at(2) }, CLAIM)).toBeNull();
      const cancelled = await jobs().transition({ jobId: created.job.id, from: ['sent'], to: 'cancelled', reason: 'by web:alice', at: at(3) }, CLAIM);
      // Not claimable before the claim the creator took expires.
      expect(await ctx.stores().outbox.claimUnrelayed(at(4_999), FAR_FUTURE, 100)).toEqual([]);
      const events = await ctx.stores().outbox.claimUnrelayed(at(5_001), FAR_FUTURE, 100);
      expect(events).toEqual([created.event, sent!.event, cancelled!.event]);
    });
  });
}
