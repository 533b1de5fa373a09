import { describe, expect, it } from 'vitest';
import { fanOutAgentLabel, newJobId } from '../../src/core/index.js';
import type { FanOutPlan } from '../../src/core/index.js';
import { at, FAR_FUTURE, newJob, T0, uid, type StoresContext } from './stores-fixtures.js';

const CLAIM = FAR_FUTURE;

function plan(targets: string[], overrides: Partial<FanOutPlan> = {}): FanOutPlan {
  return { selector: 'role=web', concurrency: 2, maxFailures: 0, targets, skipped: [{ agent: 'web-9', why: 'offline' }], started: 0, stopped: null, reported: 0, ...overrides };
}

/** FanOutStore: parents born running with their plan, compare-and-set of the plan with a progress event, the sweep's queries. */
export function fanOutStoreContract(ctx: StoresContext): void {
  const fanOuts = () => ctx.stores().fanOuts;
  const jobs = () => ctx.stores().jobs;

  async function parent(targets = [uid('w'), uid('w')]) {
    const input = newJob(fanOutAgentLabel('role=web'), { idempotency: { scope: uid('chat:web'), key: uid('m'), fingerprint: 'f' } });
    return { input, created: await fanOuts().createParent(input, plan(targets), CLAIM) };
  }

  describe('FanOutStore', () => {
    it('creates a parent running with its plan, and its first event (null -> running)', async () => {
      const { input, created } = await parent();
      expect(created.job).toMatchObject({ id: input.id, agent: '(role=web)', state: 'running', runningAt: T0, finishedAt: null, version: 1, fanout: { selector: 'role=web', started: 0, skipped: [{ agent: 'web-9', why: 'offline' }] } });
      expect(created.event.payload).toMatchObject({ jobId: input.id, from: null, to: 'running', version: 1, platform: 'slack', fanOut: true });
      expect(await jobs().get(input.id)).toEqual(created.job);
      // An ordinary job has no plan at all.
      const plain = await jobs().create(newJob(uid('a')), CLAIM);
      expect((await jobs().get(plain.job.id))?.fanout).toBeUndefined();
      // Its events say it is no fan-out job, so the fan-out consumer skips them unread.
      expect(plain.event.payload).not.toHaveProperty('fanOut');
      expect(plain.event.payload).not.toHaveProperty('parentId');
    });

    it('refuses a second parent with the same idempotency key', async () => {
      const { input } = await parent();
      const again = fanOuts().createParent({ ...newJob('(role=web)'), idempotency: input.idempotency }, plan(['a']), CLAIM);
      await expect(again).rejects.toMatchObject({ code: 'SKADI_IDEMPOTENCY_CONFLICT' });
    });

    it('advances the plan by compare-and-set on the version, with a progress event; a stale version changes nothing', async () => {
      const { created } = await parent(['w-1', 'w-2', 'w-3']);
      const next = { ...created.job.fanout!, started: 2 };
      const moved = await fanOuts().advance(created.job.id, 1, next, at(1000), CLAIM);
      expect(moved?.job).toMatchObject({ version: 2, state: 'running', updatedAt: at(1000), fanout: { started: 2 } });
      expect(moved?.event).toMatchObject({ id: `${created.job.id}:2`, payload: { from: 'running', to: 'running', reason: 'progress', version: 2 } });
      expect(await fanOuts().advance(created.job.id, 1, { ...next, started: 3 }, at(2000), CLAIM)).toBeNull();
      expect((await jobs().get(created.job.id))?.fanout?.started).toBe(2);
      // The progress event is in the outbox like any other.
      const later = new Date('3001-01-01T00:00:00.000Z');
      const events = await ctx.stores().outbox.claimUnrelayed(later, later, 10_000);
      expect(events.some((e) => e.id === `${created.job.id}:2`)).toBe(true);
      // An ended parent's plan no longer moves.
      await jobs().transition({ jobId: created.job.id, from: ['running'], to: 'cancelled', at: at(3000) }, CLAIM);
      expect(await fanOuts().advance(created.job.id, 3, { ...next, started: 3 }, at(4000), CLAIM)).toBeNull();
    });

    it('finds running parents, and active children of parents that ended', async () => {
      const { created: running } = await parent();
      const { created: ended } = await parent();
      const child = await jobs().create(newJob(uid('w'), { parentId: ended.job.id }), CLAIM);
      const doneChild = await jobs().create(newJob(uid('w'), { parentId: ended.job.id, state: 'expired', reason: 'agent-offline' }), CLAIM);
      const liveChild = await jobs().create(newJob(uid('w'), { parentId: running.job.id }), CLAIM);
      let parents = (await fanOuts().findRunningParents(10_000)).map((j) => j.id);
      expect(parents).toContain(running.job.id);
      expect(parents).toContain(ended.job.id);
      expect(parents).not.toContain(child.job.id);
      await jobs().transition({ jobId: ended.job.id, from: ['running'], to: 'cancelled', at: at(1) }, CLAIM);
      parents = (await fanOuts().findRunningParents(10_000)).map((j) => j.id);
      expect(parents).not.toContain(ended.job.id);
      const orphans = (await fanOuts().findOrphanedChildren(10_000)).map((j) => j.id);
      expect(orphans).toContain(child.job.id);
      expect(orphans).not.toContain(doneChild.job.id);
      expect(orphans).not.toContain(liveChild.job.id);
      expect(orphans).not.toContain(newJobId());
    });
  });
}
