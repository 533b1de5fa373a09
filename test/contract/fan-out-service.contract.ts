import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { ACTIVE_STATES, isTerminal } from '../../src/core/index.js';
import type { Agent, FanOutJob, Job, Stores, SubmitFanOutInput } from '../../src/core/index.js';
import { silentLogger } from '../../src/core/logger.js';
import { createFanOutService, type FanOutService } from '../../src/jobs/fan-out-service.js';
import type { JobService } from '../../src/jobs/job-service.js';
import { manualClock } from '../helpers/manual-clock.js';
import { jobServiceFixture } from '../helpers/job-service-fixture.js';

const requester = { identity: 'web:alice' };
const allowAll = async () => ({ allowed: true, reason: 'allowed by access rule 1' });

/** One "server process": a job service and a fan-out service over its own connection. */
interface Proc {
  stores: Stores;
  service: JobService;
  fanOut: FanOutService;
}

/**
 * The fan-out service against a real store (SQLite and MariaDB): the concurrency limit,
 * stop-after-N-failures, a second process finishing what a crashed one left (the sweep),
 * parents cancelled, and agents skipped because they are offline or not allowed.
 */
export function fanOutServiceRules(name: string, newDatabase: () => Promise<() => Promise<Stores>>) {
  describe(`fan-out service (${name})`, () => {
    let open: () => Promise<Stores>;
    const opened: Stores[] = [];
    let clock: ReturnType<typeof manualClock>;
    let a: Proc;

    async function proc(): Promise<Proc> {
      const stores = await open();
      opened.push(stores);
      const { service } = jobServiceFixture(stores, clock);
      const fanOut = createFanOutService({ concurrency: 10, maxFailures: 0, timeoutMs: 600_000, offlineAfterMs: 180_000, maxMessageLength: 4000 }, { stores, jobs: service, relay: { relayNow: () => undefined }, clock, logger: silentLogger });
      return { stores, service, fanOut };
    }

    beforeEach(async () => {
      open = await newDatabase();
      clock = manualClock(new Date(Date.UTC(2026, 0, 1) + Math.floor(Math.random() * 1e9)));
      a = await proc();
    });
    afterAll(async () => {
      for (const s of opened) await s.close();
    });

    async function agents(names: string[], options: { offline?: string[]; labels?: Record<string, string> } = {}) {
      for (const agent of names) {
        await a.stores.agents.create({ name: agent, labels: options.labels ?? { role: 'web' }, createdAt: clock.now() });
        if (!options.offline?.includes(agent)) await a.stores.agents.checkIn(agent, { at: clock.now() });
      }
    }

    async function submit(overrides: Partial<SubmitFanOutInput> = {}, p: Proc = a): Promise<FanOutJob> {
      const result = await p.fanOut.submit({ selector: 'role=web', message: 'uptime', requester, thread: null, authorize: allowAll, ...overrides });
      if (result.kind !== 'created') throw new Error(`no fan-out: ${JSON.stringify(result)}`);
      return result.job;
    }

    const children = (parentId: string, p: Proc = a) => p.fanOut.children(parentId);
    const active = async (parentId: string) => (await children(parentId)).filter((c) => ACTIVE_STATES.includes(c.state));
    const parentOf = async (id: string) => (await a.stores.jobs.get(id)) as FanOutJob;

    /** The agent takes its job and reports `exitCode`; the fan-out hears of it as from the event. */
    async function run(child: Job, exitCode: number, p: Proc = a): Promise<void> {
      const poll = await p.service.poll(child.agent, { max: 1, wait: 0 });
      const lease = poll.jobs.find((j) => j.id === child.id)!.lease;
      await p.service.ack(child.agent, child.id, lease);
      await p.service.result(child.agent, child.id, { lease, exitCode, chunks: 0 });
      await p.fanOut.handleEvent({ jobId: child.id, agent: child.agent, from: 'running', to: exitCode === 0 ? 'succeeded' : 'failed', reason: null, at: clock.now().toISOString(), version: 4, attempt: 1, platform: null, parentId: child.parentId! });
    }

    it('keeps at most `concurrency` children in flight and ends succeeded when all did', async () => {
      const names = ['web-1', 'web-2', 'web-3', 'web-4', 'web-5'];
      await agents(names);
      const parent = await submit({ concurrency: 2 });
      expect(parent).toMatchObject({ state: 'running', agent: '(role=web)', fanout: { targets: names, started: 2, concurrency: 2 } });
      let most = 0;
      for (let step = 0; step < 10; step++) {
        const inFlight = await active(parent.id);
        most = Math.max(most, inFlight.length);
        if (!inFlight.length) break;
        await run(inFlight[0]!, 0);
      }
      expect(most).toBe(2);
      const done = await parentOf(parent.id);
      expect(done.state).toBe('succeeded');
      expect((await children(parent.id)).map((c) => [c.agent, c.state])).toEqual(names.map((n) => [n, 'succeeded']));
      expect(done.output).toContain('web-3');
      // Every child belongs to the parent and carries no thread of its own (one aggregated reply).
      for (const c of await children(parent.id)) expect(c).toMatchObject({ parentId: parent.id, thread: null, requester });
    });

    it('stops starting children after max failures; queued ones are cancelled, running ones finish; the parent fails', async () => {
      await agents(['web-1', 'web-2', 'web-3', 'web-4', 'web-5']);
      const parent = await submit({ concurrency: 2, maxFailures: 1 });
      const [first, second] = await active(parent.id);
      // web-2 is already running when web-1 fails: it may finish; nothing else starts.
      const poll = await a.service.poll(second!.agent, { max: 1, wait: 0 });
      await a.service.ack(second!.agent, second!.id, poll.jobs[0]!.lease);
      await run(first!, 2);
      let now = await parentOf(parent.id);
      expect(now.fanout).toMatchObject({ stopped: 'max-failures', started: 2 });
      expect(now.state).toBe('running');
      expect((await children(parent.id)).length).toBe(2);
      await a.service.result(second!.agent, second!.id, { lease: poll.jobs[0]!.lease, exitCode: 0, chunks: 0 });
      await a.fanOut.advance(parent.id);
      now = await parentOf(parent.id);
      expect(now.state).toBe('failed');
      expect(now.reason).toMatch(/stopped after 1 failure/);
      expect((await children(parent.id)).map((c) => c.state)).toEqual(['failed', 'succeeded']);
      expect(now.output).toMatch(/web-3\s+not started/);
    });

    it('cancels children still queued when it stops; a child a user cancelled is no failure', async () => {
      await agents(['web-1', 'web-2', 'web-3', 'web-4']);
      const parent = await submit({ concurrency: 3, maxFailures: 2 });
      const [first, second, third] = await active(parent.id);
      await run(first!, 1);
      await a.service.cancel(third!.id, 'web:alice'); // cancelled by a user: not a failure
      await a.fanOut.advance(parent.id);
      expect((await parentOf(parent.id)).fanout.stopped).toBeNull();
      const fourth = (await active(parent.id)).find((c) => c.agent === 'web-4')!;
      expect(fourth).toBeDefined();
      await run(second!, 3);
      const now = await parentOf(parent.id);
      expect(now.state).toBe('failed');
      expect((await children(parent.id)).map((c) => [c.agent, c.state])).toEqual([['web-1', 'failed'], ['web-2', 'failed'], ['web-3', 'cancelled'], ['web-4', 'cancelled']]);
    });

    it('a second process finishes what a crashed one left: a missed event, and a child never created', async () => {
      await agents(['web-1', 'web-2', 'web-3', 'web-4']);
      const parent = await submit({ concurrency: 1 });
      const [first] = await active(parent.id);
      // Process A dies after the agent's result and before it advanced the parent (the event is lost to it).
      const poll = await a.service.poll(first!.agent, { max: 1, wait: 0 });
      await a.service.ack(first!.agent, first!.id, poll.jobs[0]!.lease);
      await a.service.result(first!.agent, first!.id, { lease: poll.jobs[0]!.lease, exitCode: 0, chunks: 0 });
      // … and another run of A died between moving the plan on and inserting the next child.
      const plan = (await parentOf(parent.id)).fanout;
      expect(await a.stores.fanOuts.advance(parent.id, (await parentOf(parent.id)).version, { ...plan, started: 2, reported: 1 }, clock.now(), new Date(clock.now().getTime() + 5000))).not.toBeNull();
      expect((await children(parent.id)).length).toBe(1);
      // Process B's sweep picks it up: web-2 gets its child, and never a second one.
      const b = await proc();
      await b.fanOut.sweep();
      await b.fanOut.sweep();
      expect((await children(parent.id, b)).map((c) => c.agent)).toEqual(['web-1', 'web-2']);
      for (;;) {
        const inFlight = await active(parent.id);
        if (!inFlight.length) break;
        expect(inFlight.length).toBe(1);
        await run(inFlight[0]!, inFlight[0]!.agent === 'web-3' ? 1 : 0, b);
      }
      const now = await parentOf(parent.id);
      expect(now.state).toBe('failed');
      const states = (await children(parent.id)).map((c) => c.state);
      expect(states).toEqual(['succeeded', 'succeeded', 'failed', 'succeeded']);
    });

    it('two processes advancing one parent at once never exceed the limit or start a child twice', async () => {
      const names = Array.from({ length: 8 }, (_, i) => `web-${i + 1}`);
      await agents(names);
      const b = await proc();
      const parent = await submit({ concurrency: 3 });
      for (let step = 0; step < 20; step++) {
        const inFlight = await active(parent.id);
        expect(inFlight.length).toBeLessThanOrEqual(3);
        if (!inFlight.length) break;
        const child = inFlight[0]!;
        const poll = await a.service.poll(child.agent, { max: 1, wait: 0 });
        await a.service.ack(child.agent, child.id, poll.jobs[0]!.lease);
        await a.service.result(child.agent, child.id, { lease: poll.jobs[0]!.lease, exitCode: 0, chunks: 0 });
        await Promise.all([a.fanOut.advance(parent.id), b.fanOut.advance(parent.id), b.fanOut.sweep()]);
      }
      const all = await children(parent.id);
      expect(all.map((c) => c.agent).sort()).toEqual([...names].sort());
      expect((await parentOf(parent.id)).state).toBe('succeeded');
    });

    it('cancelling the parent cancels queued and running children (by event, or by the sweep)', async () => {
      await agents(['web-1', 'web-2', 'web-3']);
      const parent = await submit({ concurrency: 2 });
      const [first] = await active(parent.id);
      const poll = await a.service.poll(first!.agent, { max: 1, wait: 0 });
      await a.service.ack(first!.agent, first!.id, poll.jobs[0]!.lease);
      await a.service.cancel(parent.id, 'web:alice');
      // No event reached anyone: the sweep finds the orphans.
      expect((await a.fanOut.sweep()).cancelled).toBe(2);
      expect((await children(parent.id)).map((c) => c.state)).toEqual(['cancelled', 'cancelled']);
      expect((await parentOf(parent.id)).state).toBe('cancelled');
      // The event path does the same for another parent.
      const other = await submit({ concurrency: 1, selector: 'web-*' });
      await a.service.cancel(other.id, 'web:alice');
      await a.fanOut.handleEvent({ jobId: other.id, agent: other.agent, from: 'running', to: 'cancelled', reason: null, at: clock.now().toISOString(), version: 3, attempt: 1, platform: null, fanOut: true });
      expect((await children(other.id)).every((c) => isTerminal(c.state))).toBe(true);
    });

    it('skips offline agents and agents the user may not use; with nothing left it makes no job', async () => {
      await agents(['web-1', 'web-2', 'web-3'], { offline: ['web-3'] });
      const authorize = async (agent: Agent) => (agent.name === 'web-2' ? { allowed: false, reason: 'you may not run jobs on web-2' } : { allowed: true, reason: 'ok' });
      const parent = await submit({ authorize });
      expect(parent.fanout.targets).toEqual(['web-1']);
      expect(parent.fanout.skipped).toEqual([{ agent: 'web-2', why: 'not-allowed', detail: 'you may not run jobs on web-2' }, { agent: 'web-3', why: 'offline' }]);
      const none = await a.fanOut.submit({ selector: 'web-2,role=web', message: 'uptime', requester, thread: null, authorize });
      expect(none).toEqual({ kind: 'no-targets', matched: 1, skipped: [{ agent: 'web-2', why: 'not-allowed', detail: 'you may not run jobs on web-2' }] });
      expect(await a.fanOut.submit({ selector: 'role=db', message: 'uptime', requester, thread: null, authorize })).toEqual({ kind: 'no-targets', matched: 0, skipped: [] });
      const before = (await a.stores.jobs.list({ requester: requester.identity, limit: 100 })).length;
      expect(before).toBe(2); // the one parent and its one child
    });

    it('is idempotent per request key, and a child for an agent that went offline expires and counts', async () => {
      await agents(['web-1', 'web-2']);
      const idempotency = { scope: 'chat:web', key: 'm-1', fingerprint: 'f' };
      const first = await submit({ idempotency, concurrency: 1 });
      const again = await a.fanOut.submit({ selector: 'role=web', message: 'uptime', requester, thread: null, authorize: allowAll, idempotency });
      expect(again).toMatchObject({ kind: 'created', created: false, job: { id: first.id } });
      // web-2 stops checking in before its turn: its child expires at once.
      clock.advance(200_000);
      await a.stores.agents.checkIn('web-1', { at: clock.now() });
      const [child] = await active(first.id);
      await run(child!, 0);
      const now = await parentOf(first.id);
      expect((await children(first.id)).map((c) => [c.agent, c.state, c.reason])).toEqual([['web-1', 'succeeded', null], ['web-2', 'expired', 'agent-offline']]);
      expect(now.state).toBe('failed');
    });
  });
}
