import type { RowDataPacket } from 'mysql2/promise';
import { describe, expect, it } from 'vitest';
import type { FaultRig } from './helpers/fault-rig.js';
import { sleep, waitUntil } from './helpers/processes.js';
import { expectEveryJobOnce, explain, rigPerTest, runScenario } from './helpers/scenario.js';

async function runningJobs(rig: FaultRig, agent: string): Promise<number> {
  const [row] = await rig.db.query<RowDataPacket & { n: string }>("SELECT COUNT(*) AS n FROM jobs WHERE agent = ? AND state = 'running'", [agent]);
  return Number(row!.n);
}

/**
 * Issue 10, faults on the agent side: an agent process killed in the middle of its jobs, an
 * agent whose network drops right after a poll handed it jobs (before it could acknowledge
 * them), and an agent cut off long enough to be declared offline that then comes back. A job
 * may expire, or be handed out again while nobody acknowledged it; once acknowledged it is
 * never run again, and every job ends once with one reply.
 */
describe('fault: agents', () => {
  const startRig = rigPerTest();

  it('an agent killed mid-job: its running jobs expire (never re-run), the rest is redelivered to its restart', async () => {
    // The jobs a killed agent had running stay `running` until the job timeout: short here.
    const rig = await startRig({ fault: 'agent killed mid-job', serverEnv: { SKADI_JOB_TIMEOUT: '15s' } });
    let killedWith = 0;
    const outcome = await runScenario(rig, {
      load: { ratePerSecond: 4, workSeconds: (n) => 1 + (n % 3) },
      inject: async (r) => {
        await waitUntil('w1 running two jobs', async () => (await runningJobs(r, 'w1')) >= 2, 20_000, 50);
        killedWith = await runningJobs(r, 'w1');
        await r.killAgent('w1');
        // A supervisor restarts it.
        await sleep(1500);
        r.startAgentProcess('w1');
      },
      cooldownMs: 6000,
    });
    expect(killedWith, explain(rig, outcome)).toBeGreaterThanOrEqual(2);
    // What the killed process had running expired at the timeout; nothing else did.
    expectEveryJobOnce(rig, outcome, { expired: { min: 1, max: killedWith + 4 } });
  });

  it('the network drops between a poll and its acks: the jobs are handed out again after the ack deadline and run once', async () => {
    const rig = await startRig({ fault: 'agent network drop between poll and ack', serverEnv: { SKADI_ACK_TIMEOUT: '2s' } });
    const outcome = await runScenario(rig, {
      load: { ratePerSecond: 3 },
      inject: async (r) => {
        // The next three poll answers with jobs reach each agent, then its link is down for 3 s.
        for (const agent of r.agents.values()) agent.dropAfterJobs = { remaining: 3, ms: 3000 };
        await waitUntil('the drops to happen', () => [...r.agents.values()].every((a) => a.dropAfterJobs.remaining === 0), 40_000, 100);
      },
      cooldownMs: 6000,
    });
    expect(outcome.row.redelivered, explain(rig, outcome)).toBeGreaterThan(0);
    expectEveryJobOnce(rig, outcome);
  });

  it('an agent declared offline comes back: what it had expires once, it runs new jobs again', async () => {
    const rig = await startRig({ fault: 'agent back after declared offline', serverEnv: { SKADI_OFFLINE_AFTER: '3s' } });
    const outcome = await runScenario(rig, {
      load: { ratePerSecond: 4, workSeconds: (n) => 0.5 + (n % 3) / 2 },
      inject: async (r) => {
        await waitUntil('w1 running a job', async () => (await runningJobs(r, 'w1')) >= 1, 20_000, 50);
        r.agents.get('w1')!.link.cut(8000);
        await waitUntil(
          'w1 offline',
          async () => (await r.db.query<RowDataPacket & { status: string }>("SELECT status FROM agents WHERE name = 'w1'"))[0]?.status === 'offline',
          20_000,
          100,
        );
        await sleep(8000);
        await r.waitAgentsOnline(['w1'], 45_000);
      },
      cooldownMs: 5000,
    });
    expectEveryJobOnce(rig, outcome, { expired: { min: 1 } });
  });
});
