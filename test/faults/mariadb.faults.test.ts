import { afterEach, describe, expect, it } from 'vitest';
import { FaultRig } from './helpers/fault-rig.js';
import { sleep } from './helpers/processes.js';
import { explain, runScenario } from './helpers/scenario.js';

/**
 * Issue 10, faults: the database restarted in the middle of a load on two server processes.
 * While it is away, requests fail with 503 and clients retry (the web chat page, a CI script);
 * the agents' polls and reports fail and are retried; nothing is half-done afterwards.
 */
describe('fault: MariaDB', () => {
  let rig: FaultRig | null = null;
  afterEach(async () => {
    await rig?.close();
    rig = null;
  });

  it('killed -9 and restarted mid-load: every accepted job finishes once and is answered once', async () => {
    rig = new FaultRig({ fault: 'MariaDB killed -9 and restarted' });
    await rig.start();
    const outcome = await runScenario(rig, {
      load: { ratePerSecond: 5 },
      warmupMs: 6000,
      inject: async (r) => {
        // A crash (kill -9) and a restart: connections drop mid-transaction, InnoDB recovers.
        await r.db.kill9();
        await sleep(2000);
        await r.db.start();
      },
      cooldownMs: 8000,
    });
    const { row } = outcome;
    expect(row.jobsSent, explain(rig, outcome)).toBeGreaterThan(50);
    expect(row.lost, explain(rig, outcome)).toBe(0);
    expect(row.duplicated, explain(rig, outcome)).toBe(0);
    expect(row.jobsFinished + row.errorReplies, explain(rig, outcome)).toBe(row.jobsSent);
    expect(row.expired, explain(rig, outcome)).toBe(0);
    expect(row.failed, explain(rig, outcome)).toBe(0);
    expect(row.notAccepted, explain(rig, outcome)).toBe(0);
  });
});
