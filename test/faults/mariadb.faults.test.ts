import { describe, it } from 'vitest';
import { sleep } from './helpers/processes.js';
import { expectEveryJobOnce, rigPerTest, runScenario } from './helpers/scenario.js';

/**
 * Issue 10, faults: the database restarted in the middle of a load on two server processes.
 * While it is away, requests fail with 503 and clients retry (the web chat page, a CI script);
 * the agents' polls and reports fail and are retried; nothing is half-done afterwards.
 */
describe('fault: MariaDB', () => {
  const startRig = rigPerTest();

  it('killed -9 and restarted mid-load: every accepted job finishes once and is answered once', async () => {
    const rig = await startRig({ fault: 'MariaDB killed -9 and restarted' });
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
    expectEveryJobOnce(rig, outcome, { minSent: 50, errorRepliesAnswer: true });
  });
});
