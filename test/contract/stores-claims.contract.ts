import { describe, expect, it } from 'vitest';
import type { Job } from '../../src/core/index.js';
import { at, leaseSource, newJob, uid, type StoresContext } from './stores-fixtures.js';

const CLAIM = at(5_000);

/** JobStore: handing out queued jobs, the timers' queries, and output chunks. */
export function jobClaimsContract(ctx: StoresContext): void {
  const jobs = () => ctx.stores().jobs;

  async function queue(agent: string, n: number, spacingMs = 1_000): Promise<Job[]> {
    const made: Job[] = [];
    for (let i = 0; i < n; i++) made.push((await jobs().create(newJob(agent, { createdAt: at(i * spacingMs) }), CLAIM)).job);
    return made;
  }

  describe('JobStore: claimQueued', () => {
    it('hands out the oldest queued jobs of that agent, each with its own lease and event', async () => {
      const agent = uid('cq');
      const made = await queue(agent, 3);
      await queue(uid('other'), 1);
      const leases = leaseSource();
      const claimed = await jobs().claimQueued(agent, 2, leases.next, at(60_000), at(10_000), CLAIM);
      expect(claimed.map((c) => c.job.id)).toEqual([made[0]!.id, made[1]!.id]);
      expect(claimed.map((c) => c.job.leaseId)).toEqual(leases.issued);
      expect(new Set(leases.issued).size).toBe(2);
      for (const c of claimed) {
        expect(c.job).toMatchObject({ state: 'sent', version: 2, ackDeadline: at(60_000), sentAt: at(10_000) });
        expect(c.event).toMatchObject({ id: `${c.job.id}:2`, payload: { from: 'queuing', to: 'sent', version: 2, agent } });
        expect(await jobs().get(c.job.id)).toEqual(c.job);
      }
      const rest = await jobs().claimQueued(agent, 5, leases.next, at(60_000), at(10_000), CLAIM);
      expect(rest.map((c) => c.job.id)).toEqual([made[2]!.id]);
      expect(await jobs().claimQueued(agent, 5, leases.next, at(60_000), at(10_000), CLAIM)).toEqual([]);
      expect(await jobs().claimQueued(uid('idle'), 5, leases.next, at(60_000), at(10_000), CLAIM)).toEqual([]);
    });

    it('hands out nothing for max 0, and never a job whose timeout has passed', async () => {
      const agent = uid('cq');
      await jobs().create(newJob(agent, { expiresAt: at(1_000) }), CLAIM);
      const leases = leaseSource();
      expect(await jobs().claimQueued(agent, 0, leases.next, at(60_000), at(0), CLAIM)).toEqual([]);
      expect(await jobs().claimQueued(agent, 5, leases.next, at(60_000), at(2_000), CLAIM)).toEqual([]);
      expect(await jobs().claimQueued(agent, 5, leases.next, at(60_000), at(500), CLAIM)).toHaveLength(1);
    });

    it('never hands one job to two concurrent claimers on two connections', async () => {
      const agent = uid('race');
      const made = await queue(agent, 24, 10);
      const other = await ctx.open();
      try {
        const claimer = async (stores: typeof other) => {
          const got: string[] = [];
          const leases = leaseSource();
          for (let empty = 0; empty < 3; ) {
            const batch = await stores.jobs.claimQueued(agent, 3, leases.next, at(60_000), at(1_000), CLAIM);
            got.push(...batch.map((c) => c.job.id));
            empty = batch.length === 0 ? empty + 1 : 0;
          }
          return got;
        };
        const [a, b, c] = await Promise.all([claimer(ctx.stores()), claimer(other), claimer(other)]);
        const all = [...a!, ...b!, ...c!];
        expect(new Set(all).size).toBe(all.length);
        expect([...all].sort()).toEqual(made.map((j) => j.id).sort());
        for (const job of made) expect((await jobs().get(job.id))!.version).toBe(2);
      } finally {
        await other.close();
      }
    });
  });

  describe('JobStore: timer queries', () => {
    it('finds sent jobs past their ack deadline, oldest deadline first', async () => {
      const agent = uid('ack');
      const [a, b, c] = await queue(agent, 3);
      const send = (id: string, deadline: number) =>
        jobs().transition({ jobId: id, from: ['queuing'], to: 'sent', patch: { leaseId: 'L', ackDeadline: at(deadline) }, at: at(1) }, CLAIM);
      await send(a!.id, 30_000);
      await send(b!.id, 20_000);
      await send(c!.id, 90_000);
      const overdue = (await jobs().findAckOverdue(at(40_000), 1000)).filter((j) => j.agent === agent);
      expect(overdue.map((j) => j.id)).toEqual([b!.id, a!.id]);
      // Exactly at the deadline is still in time.
      expect((await jobs().findAckOverdue(at(20_000), 1000)).some((j) => j.id === b!.id)).toBe(false);
      expect(await jobs().findAckOverdue(at(40_000), 1)).toHaveLength(1);
    });

    it('finds active jobs past expiresAt, not finished ones', async () => {
      const agent = uid('exp');
      const soon = (await jobs().create(newJob(agent, { expiresAt: at(1_000) }), CLAIM)).job;
      const later = (await jobs().create(newJob(agent, { expiresAt: at(9_000) }), CLAIM)).job;
      const finished = (await jobs().create(newJob(agent, { expiresAt: at(1_000) }), CLAIM)).job;
      await jobs().transition({ jobId: finished.id, from: ['queuing'], to: 'cancelled', at: at(2) }, CLAIM);
      const found = (await jobs().findTimedOut(at(5_000), 10_000)).filter((j) => j.agent === agent);
      expect(found.map((j) => j.id)).toEqual([soon.id]);
      expect((await jobs().findTimedOut(at(10_000), 10_000)).filter((j) => j.agent === agent).map((j) => j.id)).toEqual([soon.id, later.id]);
    });

    it('finds the active jobs of one agent in the given states', async () => {
      const agent = uid('act');
      const [a, b] = await queue(agent, 2);
      await jobs().transition({ jobId: b!.id, from: ['queuing'], to: 'sent', patch: { leaseId: 'L' }, at: at(1) }, CLAIM);
      expect((await jobs().findActiveByAgent(agent, ['sent', 'running'], 10)).map((j) => j.id)).toEqual([b!.id]);
      expect((await jobs().findActiveByAgent(agent, ['queuing', 'sent'], 10)).map((j) => j.id)).toEqual([a!.id, b!.id]);
      expect(await jobs().findActiveByAgent(agent, [], 10)).toEqual([]);
    });
  });

  describe('JobStore: output', () => {
    it('stores each chunk once (by seq) and reports stats in characters', async () => {
      const job = (await jobs().create(newJob(uid('out')), CLAIM)).job;
      expect(await jobs().outputStats(job.id)).toEqual({ chunks: 0, maxSeq: -1, size: 0 });
      expect(await jobs().readOutput(job.id)).toBe('');
      expect(await jobs().appendOutput(job.id, 0, 'héllo ')).toBe(true);
      expect(await jobs().appendOutput(job.id, 1, 'wörld')).toBe(true);
      expect(await jobs().appendOutput(job.id, 1, 'IGNORED')).toBe(false);
      expect(await jobs().outputStats(job.id)).toEqual({ chunks: 2, maxSeq: 1, size: 11 });
      expect(await jobs().readOutput(job.id)).toBe('héllo wörld');
    });

    it('keeps output larger than 64 KB (MySQL text) intact', async () => {
      const job = (await jobs().create(newJob(uid('big')), CLAIM)).job;
      const chunk = 'x'.repeat(70_000) + 'é'.repeat(20_000);
      expect(await jobs().appendOutput(job.id, 0, chunk)).toBe(true);
      expect(await jobs().appendOutput(job.id, 1, chunk)).toBe(true);
      await jobs().transition({ jobId: job.id, from: ['queuing'], to: 'cancelled', patch: { collectOutput: true }, at: at(1) }, CLAIM);
      const read = await jobs().get(job.id);
      expect(read!.output).toHaveLength(180_000);
      expect(read!.output).toBe(chunk + chunk);
      expect(await jobs().readOutput(job.id)).toBe(chunk + chunk);
    });
  });
}
