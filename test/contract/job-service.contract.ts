import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import type { Stores } from '../../src/core/stores.js';
import { manualClock } from '../helpers/manual-clock.js';
import { jobServiceFixture } from '../helpers/job-service-fixture.js';

const requester = { identity: 'api:test' };

/**
 * Every rule of the job state machine, run against a real store (SQLite and MariaDB), with a
 * manual clock so the timer rules are exact.
 */
/** `newDatabase` makes a fresh database and returns a function opening connections (stores) to it. */
export function jobServiceRules(name: string, newDatabase: () => Promise<() => Promise<Stores>>) {
  describe(`JobService rules (${name})`, () => {
    let stores: Stores;
    let open: () => Promise<Stores>;
    const opened: Stores[] = [];
    let clock: ReturnType<typeof manualClock>;

    beforeEach(async () => {
      open = await newDatabase();
      stores = await open();
      opened.push(stores);
      clock = manualClock(new Date(Date.UTC(2026, 0, 1) + Math.floor(Math.random() * 1e9)));
    });
    afterAll(async () => {
      for (const s of opened) await s.close();
    });

    async function agentOnline(name = 'web-1') {
      await stores.agents.create({ name, labels: {}, createdAt: clock.now() });
      await stores.agents.checkIn(name, { at: clock.now() });
      return name;
    }

    it('runs a job through queuing, sent, running, succeeded with output', async () => {
      const agent = await agentOnline();
      const { service, statuses } = jobServiceFixture(stores, clock);
      const { job } = await service.submit({ agent, message: 'uptime', requester, thread: null });
      expect(job.state).toBe('queuing');
      const poll = await service.poll(agent, { max: 5, wait: 0 });
      expect(poll.jobs.map((j) => j.id)).toEqual([job.id]);
      const lease = poll.jobs[0]!.lease;
      expect((await service.ack(agent, job.id, lease)).state).toBe('running');
      await service.output(agent, job.id, lease, 0, 'up 3 days\n');
      await service.output(agent, job.id, lease, 1, 'load 0.1\n');
      await service.output(agent, job.id, lease, 1, 'load 0.1\n'); // retried chunk: idempotent
      const done = await service.result(agent, job.id, { lease, exitCode: 0, chunks: 2 });
      expect(done.state).toBe('succeeded');
      expect(done.output).toBe('up 3 days\nload 0.1\n');
      expect(done.exitCode).toBe(0);
      expect(statuses()).toEqual(['queuing', 'sent', 'running', 'succeeded']);
      // A repeated result is idempotent.
      expect((await service.result(agent, job.id, { lease, exitCode: 0, chunks: 2 })).state).toBe('succeeded');
    });

    it('a non-zero exit code fails the job', async () => {
      const agent = await agentOnline();
      const { service } = jobServiceFixture(stores, clock);
      const { job } = await service.submit({ agent, message: 'false', requester, thread: null });
      const [a] = (await service.poll(agent, { max: 1, wait: 0 })).jobs;
      await service.ack(agent, job.id, a!.lease);
      expect((await service.result(agent, job.id, { lease: a!.lease, exitCode: 2, chunks: 0 })).state).toBe('failed');
    });

    it('a result naming more chunks than stored is refused until they arrive', async () => {
      const agent = await agentOnline();
      const { service } = jobServiceFixture(stores, clock);
      const { job } = await service.submit({ agent, message: 'x', requester, thread: null });
      const [a] = (await service.poll(agent, { max: 1, wait: 0 })).jobs;
      await service.ack(agent, job.id, a!.lease);
      await service.output(agent, job.id, a!.lease, 1, 'b');
      await expect(service.result(agent, job.id, { lease: a!.lease, exitCode: 0, chunks: 2 })).rejects.toMatchObject({ code: 'SKADI_OUTPUT_INCOMPLETE' });
      await service.output(agent, job.id, a!.lease, 0, 'a');
      expect((await service.result(agent, job.id, { lease: a!.lease, exitCode: 0, chunks: 2 })).output).toBe('ab');
    });

    it('output beyond the server cap is cut and the job says so', async () => {
      const agent = await agentOnline();
      const { service } = jobServiceFixture(stores, clock, { maxOutput: 10 });
      const { job } = await service.submit({ agent, message: 'x', requester, thread: null });
      const [a] = (await service.poll(agent, { max: 1, wait: 0 })).jobs;
      await service.ack(agent, job.id, a!.lease);
      await service.output(agent, job.id, a!.lease, 0, '0123456');
      await service.output(agent, job.id, a!.lease, 1, '789abcdef');
      const done = await service.result(agent, job.id, { lease: a!.lease, exitCode: 0, chunks: 2 });
      expect(done.output).toBe('0123456789');
      expect(done.outputTruncated).toBe(true);
    });

    it('refuses ack, output and result from another agent, with a wrong lease, or in the wrong state', async () => {
      const agent = await agentOnline('a-1');
      await agentOnline('a-2');
      const { service } = jobServiceFixture(stores, clock);
      const { job } = await service.submit({ agent, message: 'x', requester, thread: null });
      await expect(service.result(agent, job.id, { lease: 'nope', exitCode: 0, chunks: 0 })).rejects.toMatchObject({ code: 'SKADI_LEASE_MISMATCH' });
      const [a] = (await service.poll(agent, { max: 1, wait: 0 })).jobs;
      await expect(service.ack('a-2', job.id, a!.lease)).rejects.toMatchObject({ code: 'SKADI_JOB_NOT_FOUND' });
      await expect(service.ack(agent, job.id, 'wrong')).rejects.toMatchObject({ code: 'SKADI_LEASE_MISMATCH' });
      await expect(service.result(agent, job.id, { lease: a!.lease, exitCode: 0, chunks: 0 })).rejects.toMatchObject({ code: 'SKADI_INVALID_TRANSITION' });
      await expect(service.output(agent, job.id, a!.lease, 0, 'x')).rejects.toMatchObject({ code: 'SKADI_INVALID_TRANSITION' });
      await expect(service.ack(agent, 'no-such-job', a!.lease)).rejects.toMatchObject({ code: 'SKADI_JOB_NOT_FOUND' });
      await service.ack(agent, job.id, a!.lease);
      expect((await service.ack(agent, job.id, a!.lease)).state).toBe('running'); // repeated ack
    });

    it('an unacknowledged job goes back to the queue after the ack deadline and is handed out again', async () => {
      const agent = await agentOnline();
      const { service, statuses } = jobServiceFixture(stores, clock);
      const { job } = await service.submit({ agent, message: 'x', requester, thread: null });
      const first = (await service.poll(agent, { max: 1, wait: 0 })).jobs[0]!;
      clock.advance(14_000);
      expect((await service.sweep()).redelivered).toBe(0);
      clock.advance(2_000);
      expect((await service.sweep()).redelivered).toBe(1);
      const again = (await service.poll(agent, { max: 1, wait: 0 })).jobs[0]!;
      expect(again.id).toBe(job.id);
      expect(again.lease).not.toBe(first.lease);
      expect(again.attempt).toBe(2);
      await expect(service.ack(agent, job.id, first.lease)).rejects.toMatchObject({ code: 'SKADI_LEASE_MISMATCH' });
      await service.ack(agent, job.id, again.lease);
      expect(statuses()).toEqual(['queuing', 'sent', 'queuing', 'sent', 'running']);
    });

    it('after acknowledgement a job is never redelivered; it expires at the job timeout', async () => {
      const agent = await agentOnline();
      const { service } = jobServiceFixture(stores, clock, { timeoutMs: 60_000 });
      const { job } = await service.submit({ agent, message: 'x', requester, thread: null });
      const a = (await service.poll(agent, { max: 1, wait: 0 })).jobs[0]!;
      await service.ack(agent, job.id, a.lease);
      clock.advance(30_000);
      await stores.agents.checkIn(agent, { at: clock.now() });
      expect(await service.sweep()).toMatchObject({ redelivered: 0, timedOut: 0 });
      clock.advance(31_000);
      await stores.agents.checkIn(agent, { at: clock.now() });
      expect((await service.sweep()).timedOut).toBe(1);
      const after = await service.get(job.id);
      expect(after).toMatchObject({ state: 'expired', reason: 'timeout' });
      // The agent's late result is refused; its next poll is told to stop the job.
      await expect(service.result(agent, job.id, { lease: a.lease, exitCode: 0, chunks: 0 })).rejects.toMatchObject({ code: 'SKADI_INVALID_TRANSITION' });
      expect((await service.poll(agent, { max: 0, wait: 0, running: [job.id] })).cancels).toEqual([job.id]);
    });

    it('an agent silent for the offline threshold goes offline and its jobs expire', async () => {
      const agent = await agentOnline();
      const { service } = jobServiceFixture(stores, clock);
      const { job: queued } = await service.submit({ agent, message: 'a', requester, thread: null });
      const { job: other } = await service.submit({ agent, message: 'b', requester, thread: null });
      const a = (await service.poll(agent, { max: 1, wait: 0 })).jobs[0]!;
      await service.ack(agent, a.id, a.lease);
      clock.advance(179_000);
      expect((await service.sweep()).offline).toEqual([]);
      clock.advance(2_000);
      expect((await service.sweep()).offline).toEqual([agent]);
      expect((await service.get(queued.id))!.state).toBe('expired');
      expect((await service.get(other.id))!).toMatchObject({ state: 'expired', reason: 'agent-offline' });
      expect((await stores.agents.get(agent))!.status).toBe('offline');
      expect((await service.sweep()).offline).toEqual([]); // once
    });

    it('a job for an offline agent expires at once with that reason', async () => {
      await stores.agents.create({ name: 'never-seen', labels: {}, createdAt: clock.now() });
      const { service, statuses } = jobServiceFixture(stores, clock);
      const { job } = await service.submit({ agent: 'never-seen', message: 'x', requester, thread: null });
      expect(job).toMatchObject({ state: 'expired', reason: 'agent-offline' });
      expect(statuses()).toEqual(['expired']);
      await agentOnline('gone');
      clock.advance(200_000);
      const { job: late } = await service.submit({ agent: 'gone', message: 'x', requester, thread: null });
      expect(late.state).toBe('expired');
    });

    it('unknown and revoked agents are refused', async () => {
      const { service } = jobServiceFixture(stores, clock);
      await expect(service.submit({ agent: 'nobody', message: 'x', requester, thread: null })).rejects.toMatchObject({ code: 'SKADI_AGENT_NOT_FOUND' });
      const agent = await agentOnline();
      await stores.agents.revoke(agent, clock.now());
      await expect(service.submit({ agent, message: 'x', requester, thread: null })).rejects.toMatchObject({ code: 'SKADI_AGENT_REVOKED' });
    });

    it('cancel stops a queued or running job and the agent is told', async () => {
      const agent = await agentOnline();
      const { service } = jobServiceFixture(stores, clock);
      const { job: q } = await service.submit({ agent, message: 'a', requester, thread: null });
      expect((await service.cancel(q.id, 'web:alice')).state).toBe('cancelled');
      await expect(service.cancel(q.id, 'web:alice')).rejects.toMatchObject({ code: 'SKADI_INVALID_TRANSITION' });
      const { job: r } = await service.submit({ agent, message: 'b', requester, thread: null });
      const a = (await service.poll(agent, { max: 1, wait: 0 })).jobs[0]!;
      await service.ack(agent, r.id, a.lease);
      const polling = service.poll(agent, { max: 0, wait: 5, running: [r.id] });
      await new Promise((res) => setTimeout(res, 20));
      await service.cancel(r.id, 'web:alice');
      expect((await polling).cancels).toEqual([r.id]);
      expect(await service.output(agent, r.id, a.lease, 0, 'x')).toEqual({ cancelled: true });
    });

    it('a held long-poll is answered as soon as a job is queued', async () => {
      const agent = await agentOnline();
      const { service } = jobServiceFixture(stores, clock);
      const t0 = Date.now();
      const polling = service.poll(agent, { max: 1, wait: 10 });
      await new Promise((res) => setTimeout(res, 30));
      const { job } = await service.submit({ agent, message: 'x', requester, thread: null });
      const got = await polling;
      expect(got.jobs[0]!.id).toBe(job.id);
      expect(Date.now() - t0).toBeLessThan(5000);
    });

    it('a long-poll ends when its signal aborts', async () => {
      const agent = await agentOnline();
      const { service } = jobServiceFixture(stores, clock);
      const abort = new AbortController();
      const polling = service.poll(agent, { max: 1, wait: 10 }, abort.signal);
      setTimeout(() => abort.abort(), 20);
      expect(await polling).toEqual({ jobs: [], cancels: [] });
      expect(service.heldPolls()).toBe(0);
    });

    it('an Idempotency-Key returns the first job, and a different body with it conflicts', async () => {
      const agent = await agentOnline();
      const { service } = jobServiceFixture(stores, clock);
      const idem = { scope: 'tok1', key: 'k-1', fingerprint: 'f1' };
      const first = await service.submit({ agent, message: 'x', requester, thread: null, idempotency: idem });
      const again = await service.submit({ agent, message: 'x', requester, thread: null, idempotency: idem });
      expect(again).toMatchObject({ created: false, job: { id: first.job.id } });
      await expect(service.submit({ agent, message: 'y', requester, thread: null, idempotency: { ...idem, fingerprint: 'f2' } })).rejects.toMatchObject({ code: 'SKADI_IDEMPOTENCY_CONFLICT' });
    });

    it('two server processes racing for jobs never hand one out twice, and only one wins each timer transition', async () => {
      const other = await open();
      opened.push(other);
      const agent = await agentOnline();
      const p1 = jobServiceFixture(stores, clock);
      const p2 = jobServiceFixture(other, clock);
      const ids: string[] = [];
      for (let i = 0; i < 20; i++) ids.push((await (i % 2 ? p1 : p2).service.submit({ agent, message: `m${i}`, requester, thread: null })).job.id);
      const handed: string[] = [];
      await Promise.all(
        [p1, p2, p1, p2].map(async (p) => {
          for (let k = 0; k < 10; k++) handed.push(...(await p.service.poll(agent, { max: 3, wait: 0 })).jobs.map((j) => j.id));
        }),
      );
      expect(handed.sort()).toEqual([...ids].sort());
      clock.advance(20_000);
      const [s1, s2] = await Promise.all([p1.service.sweep(), p2.service.sweep()]);
      expect(s1.redelivered + s2.redelivered).toBe(20);
      const events = [...p1.relayed, ...p2.relayed].filter((e) => (e.payload as { to: string }).to === 'queuing' && (e.payload as { from: string | null }).from === 'sent');
      expect(events).toHaveLength(20);
    });
  });
}
